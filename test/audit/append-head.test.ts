import { Client } from 'pg';
import { inTransaction, systemContext } from '../../src/shared/context';
import { recordAudit, verifyAuditChain } from '../../src/shared/audit/audit.service';
import { testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

/**
 * The first of the audit append's two round trips under the chain's lock (audit.service.ts): one statement,
 * `audit_chain_lock_head(n)`, that waits for the lock and then reads the head. Its read must take a snapshot
 * after the lock is granted (a VOLATILE function's queries each take their own under READ COMMITTED): a head
 * read with the snapshot of the statement's start would miss the last holder's commit and fork the chain.
 */

const { db, world, server } = useTestServer({ world: false, server: false });

async function connect(): Promise<Client> {
  const client = new Client({ connectionString: db.apiUrl });
  await client.connect();
  return client;
}

it('reads the head that the previous holder committed while this statement waited for the lock', async () => {
  const config = testConfig();
  await inTransaction(systemContext(db.dataSource, config), (tx) =>
    recordAudit(tx, { action: 'test.first', entityType: 'Brand', entityId: '1' }),
  );
  const [{ hash: first }] = await db.dataSource.query('SELECT hash FROM audit_event ORDER BY leaf_index DESC LIMIT 1');

  const holder = await connect();
  const waiter = await connect();
  try {
    await holder.query('BEGIN');
    const held = (await holder.query('SELECT head, size::int, seqs::text[] FROM audit_chain_lock_head(1)')).rows[0];
    expect(held.head).toBe(first);
    // The waiter's statement starts now, and waits for the lock.
    await waiter.query('BEGIN');
    const waiting = waiter.query('SELECT head, size::int, seqs::text[] FROM audit_chain_lock_head(1)');
    for (let i = 0; i < 200; i += 1) {
      const [{ n }] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'advisory' AND query LIKE '%audit_chain_lock_head%'`,
      );
      if (n === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The holder appends one event (as the server would: the next leaf, after the head it read) and commits.
    await holder.query(
      `INSERT INTO audit_event (seq, at, actor_label, action, entity_type, entity_id, prev_hash, hash, leaf_index)
       VALUES ($1, now(), 'test', 'test.second', 'Brand', 1, $2, $3, $4)`,
      [held.seqs[0], first, 'f'.repeat(64), held.size],
    );
    await holder.query('COMMIT');
    const seen = (await waiting).rows[0];
    expect(seen).toEqual({ head: 'f'.repeat(64), size: held.size + 1, seqs: [expect.any(String)] });
    expect(BigInt(seen.seqs[0])).toBeGreaterThan(BigInt(held.seqs[0]));
    await waiter.query('ROLLBACK');
  } finally {
    await holder.end();
    await waiter.end();
  }
  // The event written by hand has no valid hash: remove it as the owner, and the chain verifies again.
  await db.dataSource.query(`DELETE FROM audit_event WHERE action = 'test.second'`);
  expect((await verifyAuditChain(db.dataSource.manager, { audit: config.audit })).ok).toBe(true);
});
