import pino from 'pino';
import { AuditCheckpointer, makeCheckpoint } from '../../src/shared/audit/audit-checkpoint';
import { signLeaf } from '../../src/shared/audit/audit-signing';
import { afterAuditAppend, onAuditAppend, recordAudit, verifyAuditChain } from '../../src/shared/audit/audit.service';
import { leafHash } from '../../src/shared/audit/merkle';
import { inTransaction, systemContext } from '../../src/shared/context';
import { testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

/**
 * Events appended per second through the service (inTransaction + recordAudit: the chain's lock and head,
 * then the signed INSERT sent with the COMMIT), with and without the server's checkpoints running beside, and with the
 * alternative design this one was measured against: a frontier row updated under the chain's lock with
 * every change. Prints the figures (docs/operations.md, "The audit log"): with PostgreSQL's durable COMMIT
 * (the chain's lock is held through it, so a COMMIT's flush bounds the rate) and with synchronous_commit
 * off (what the append itself costs). A small run by default; the figures: AUDIT_BENCH_EVENTS=2000.
 */

const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 200);
const config = testConfig({ DATABASE_POOL_SIZE: '12' });
const { db, world, server } = useTestServer({ world: false, server: false });

beforeAll(async () => {
  await db.dataSource.query(
    'CREATE TABLE bench_frontier (id int PRIMARY KEY, size bigint NOT NULL, hashes bytea[] NOT NULL)',
  );
  await db.dataSource.query(`INSERT INTO bench_frontier VALUES (1, 0, '{}')`);
});

/** Appends EVENTS events as `writers` concurrent writers, `perChange` events a change; events per second. */
async function run(writers: number, perChange: number, { frontierRow = false } = {}): Promise<number> {
  const changes = Math.ceil(EVENTS / perChange);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const ctx = systemContext(db.dataSource, config, `writer-${w}`);
      while (next < changes) {
        next += 1;
        await inTransaction(ctx, async (tx) => {
          await recordAudit(
            tx,
            ...Array.from({ length: perChange }, (_, i) => ({
              action: 'bench.appended',
              entityType: 'Brand',
              entityId: String(i + 1),
              after: { writer: w },
            })),
          );
          if (frontierRow) {
            // The alternative: the compact range kept in a row, rewritten under the lock by every change.
            afterAuditAppend(
              tx,
              `UPDATE bench_frontier SET size = size + ${perChange}, hashes = array_fill('\\x${'ab'.repeat(32)}'::bytea, ARRAY[20]) WHERE id = 1`,
            );
          }
        });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round((changes * perChange) / seconds);
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/** With the server's checkpointer beside the writers: one every 100 events (AUDIT_CHECKPOINT_EVERY) and every second. */
async function runWithCheckpoints(writers: number, perChange: number): Promise<{ rate: number; made: number }> {
  const audit = { ...config.audit, checkpointEvery: 100, checkpointSeconds: 1 };
  const checkpointer = new AuditCheckpointer(db.dataSource, audit, pino({ level: 'silent' }));
  const stop = onAuditAppend((from, to) => checkpointer.appended(from, to));
  await checkpointer.start();
  const before = (await db.dataSource.query('SELECT count(*)::int AS n FROM audit_checkpoint'))[0].n;
  const rate = await run(writers, perChange);
  // A fast run can end before the checkpoint it triggered starts (50 ms after the append, cancelled by stop):
  // give the checkpointer its schedule (every second) to sign what was appended, then stop it.
  const count = async () =>
    (await db.dataSource.query('SELECT count(*)::int AS n FROM audit_checkpoint'))[0].n as number;
  for (let waited = 0; waited < 3000 && (await count()) === before; waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100));
  stop();
  await checkpointer.stop();
  return { rate, made: (await count()) - before };
}

/** Each variant three times, interleaved (the machine is shared: its load moves), and the medians. */
async function measure(mode: string, lines: string[]): Promise<void> {
  await run(4, 1); // warm-up
  for (const [writers, perChange] of [
    [1, 1],
    [8, 1],
    [8, 5],
  ]) {
    const rates = { built: [] as number[], checkpoints: [] as number[], frontier: [] as number[] };
    let made = 0;
    for (let round = 0; round < 3; round += 1) {
      rates.built.push(await run(writers, perChange));
      const withCheckpoints = await runWithCheckpoints(writers, perChange);
      rates.checkpoints.push(withCheckpoints.rate);
      made += withCheckpoints.made;
      rates.frontier.push(await run(writers, perChange, { frontierRow: true }));
    }
    lines.push(
      `${mode}, ${writers} writer(s), ${perChange} event(s) a change (median of 3): ${median(rates.built)} events/s as built [${rates.built.join(', ')}]; ` +
        `${median(rates.checkpoints)} with checkpoints every 100 events [${rates.checkpoints.join(', ')}; ${made} made]; ` +
        `${median(rates.frontier)} with a frontier row updated under the lock [${rates.frontier.join(', ')}]`,
    );
    expect(made).toBeGreaterThan(0);
  }
}

it('measures events appended per second, with and without checkpoints', async () => {
  const lines: string[] = [];
  // Signing alone.
  const leaf = leafHash(Buffer.alloc(32, 1));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 2000; i += 1) signLeaf(config.audit, leaf);
  lines.push(`Ed25519 signature of one leaf: ${(Number(process.hrtime.bigint() - t0) / 2000 / 1000).toFixed(0)} µs`);

  await measure('durable COMMIT', lines);
  const [{ name }] = await db.dataSource.query('SELECT current_database() AS name');
  await db.dataSource.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  await db.dataSource.destroy();
  await db.dataSource.initialize();
  await measure('synchronous_commit off', lines);

  // The cost of one checkpoint over 1,000 new events (their signatures checked, the tree extended, signed).
  const ctx = systemContext(db.dataSource, config, 'one-checkpoint');
  await makeCheckpoint(db.dataSource, config.audit);
  for (let i = 0; i < 10; i += 1)
    await inTransaction(ctx, (tx) =>
      recordAudit(
        tx,
        ...Array.from({ length: 100 }, (_, j) => ({
          action: 'bench.batch',
          entityType: 'Brand',
          entityId: String(j + 1),
        })),
      ),
    );
  const t1 = process.hrtime.bigint();
  const outcome = await makeCheckpoint(db.dataSource, config.audit);
  lines.push(
    `one checkpoint over ${outcome.eventsChecked} new events: ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(0)} ms (log of ${outcome.checkpoint!.treeSize} events)`,
  );
  const t2 = process.hrtime.bigint();
  const verified = await verifyAuditChain(db.dataSource.manager, { audit: config.audit });
  lines.push(
    `audit verify of ${verified.treeSize} events: ${(Number(process.hrtime.bigint() - t2) / 1e6).toFixed(0)} ms`,
  );
  expect(verified.ok).toBe(true);
  console.log(
    `Audit log append throughput (${EVENTS} events a run, PostgreSQL ${process.env.TEST_DATABASE_URL ? 'at TEST_DATABASE_URL' : 'embedded'}):\n  ${lines.join('\n  ')}`,
  );
}, 600_000);
