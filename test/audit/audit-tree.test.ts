import { DataSource, DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { AuditMerkleLog1764000950000 } from '../../migrations/1764000950000-AuditMerkleLog';
import { chainHash, GENESIS_HASH } from '../../src/shared/audit/audit-chain';
import { makeCheckpoint } from '../../src/shared/audit/audit-checkpoint';
import { AuditTree, leafOfEvent } from '../../src/shared/audit/audit-tree';
import { recordAudit, verifyAuditChain } from '../../src/shared/audit/audit.service';
import {
  consistencyProofRanges,
  Hash,
  inclusionProofRanges,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/shared/audit/merkle';
import { inTransaction, systemContext } from '../../src/shared/context';
import { createTestDatabase, TestDatabase } from '../support/database';
import { testConfig } from '../support/server';

/**
 * The stored tree (audit_tree_node every fourth level, leaves in audit_event) on a log large enough for
 * several stored levels: roots and proofs read from the database are the ones computed naively from every
 * leaf; a missing stored hash is recomputed; a wrong one is found. And the migration of a log that
 * existed before signing began: leaves in seq order, covered by the first checkpoint (trust on first use).
 */

const config = testConfig();
const audit = config.audit;

/** Appends `count` events through the service, `perChange` to a change. */
async function append(db: TestDatabase, count: number, perChange = 25): Promise<void> {
  const ctx = systemContext(db.dataSource, config, 'tree-test');
  for (let done = 0; done < count; done += perChange) {
    const n = Math.min(perChange, count - done);
    await inTransaction(ctx, (tx) =>
      recordAudit(
        tx,
        ...Array.from({ length: n }, (_, i) => ({
          action: 'test.appended',
          entityType: 'Brand',
          entityId: String(done + i + 1),
          after: { n: done + i },
        })),
      ),
    );
  }
}

async function allLeaves(db: TestDatabase): Promise<Hash[]> {
  const rows: { hash: string }[] = await db.dataSource.query('SELECT hash FROM audit_event ORDER BY leaf_index');
  return rows.map((row) => leafOfEvent(row.hash));
}

describe('the stored tree of a log of 1,100 events', () => {
  let db: TestDatabase;
  const sizes: number[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    // Checkpoints at uneven sizes, so that each extends the last one's compact range.
    for (const step of [100, 155, 257, 300, 288]) {
      await append(db, step, 37);
      const outcome = await makeCheckpoint(db.dataSource, audit);
      expect(outcome).toMatchObject({ made: true, problem: undefined });
      sizes.push(outcome.checkpoint!.treeSize);
    }
  }, 120_000);
  afterAll(() => db.drop());

  it("keeps complete subtrees of 16 and 256 leaves, and each checkpoint's root is the naive root of its events", async () => {
    expect(sizes).toEqual([100, 255, 512, 812, 1100]);
    const levels = await db.dataSource.query(
      'SELECT level, count(*)::int AS n FROM audit_tree_node GROUP BY level ORDER BY level',
    );
    expect(levels).toEqual([
      { level: 4, n: 68 },
      { level: 8, n: 4 },
    ]);
    const leaves = await allLeaves(db);
    const tree = new AuditTree(db.dataSource.manager);
    for (const size of sizes) {
      const [row] = await db.dataSource.query('SELECT root_hash FROM audit_checkpoint WHERE tree_size = $1', [size]);
      expect(row.root_hash).toEqual(rootOf(leaves, 0, size));
      expect(await tree.root(size)).toEqual(rootOf(leaves, 0, size));
    }
  });

  it('makes inclusion and consistency proofs from the database equal to the naive ones, and they verify', async () => {
    const leaves = await allLeaves(db);
    const tree = new AuditTree(db.dataSource.manager);
    const naive = (ranges: { start: number; end: number }[]) => ranges.map((r) => rootOf(leaves, r.start, r.end));
    for (const size of sizes) {
      const root = rootOf(leaves, 0, size);
      for (const index of [0, 1, 15, 16, 255, 256, size - 1, Math.floor(size / 3)]) {
        if (index >= size) continue;
        const proof = await tree.inclusionProof(index, size);
        expect(proof).toEqual(naive(inclusionProofRanges(index, size)));
        expect(verifyInclusion(index, size, leaves[index], proof, root)).toBe(true);
      }
      for (const first of sizes.filter((s) => s <= size).concat([1, 17, 256])) {
        if (first > size) continue;
        const proof = await tree.consistencyProof(first, size);
        expect(proof).toEqual(naive(consistencyProofRanges(first, size)));
        expect(verifyConsistency(first, size, rootOf(leaves, 0, first), root, proof)).toBe(true);
      }
    }
    // Several proofs with one round of reads.
    const batch = await tree.inclusionProofs([
      { index: 3, size: 1100 },
      { index: 700, size: 812 },
    ]);
    expect(batch).toEqual([naive(inclusionProofRanges(3, 1100)), naive(inclusionProofRanges(700, 812))]);
  });

  it('recomputes a stored hash that is missing, and audit verify names one that is wrong', async () => {
    const leaves = await allLeaves(db);
    const tree = new AuditTree(db.dataSource.manager);
    const [saved] = await db.dataSource.query('SELECT hash FROM audit_tree_node WHERE level = 8 AND idx = 1');
    await db.dataSource.query('DELETE FROM audit_tree_node WHERE (level = 8 AND idx = 1) OR (level = 4 AND idx = 20)');
    expect(await tree.inclusionProof(700, 1100)).toEqual(
      inclusionProofRanges(700, 1100).map((r) => rootOf(leaves, r.start, r.end)),
    );
    expect(await tree.root(1100)).toEqual(rootOf(leaves));
    expect((await verifyAuditChain(db.dataSource.manager, { audit })).ok).toBe(true);

    await db.dataSource.query(`INSERT INTO audit_tree_node (level, idx, hash) VALUES (8, 1, $1)`, [
      Buffer.alloc(32, 1),
    ]);
    const result = await verifyAuditChain(db.dataSource.manager, { audit });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: 'ALTERED',
        message: expect.stringMatching(/audit_tree_node holds a hash at level 8, index 1 that the events do not give/),
      }),
    ]);
    await db.dataSource.query('UPDATE audit_tree_node SET hash = $1 WHERE level = 8 AND idx = 1', [saved.hash]);
    expect((await verifyAuditChain(db.dataSource.manager, { audit })).ok).toBe(true);
  });

  it('refuses to extend a checkpoint whose root the stored tree no longer gives', async () => {
    // The last checkpoint (1,100 = 1024 + 64 + 8 + 4) reads its 64 from four stored subtrees of 16.
    await db.dataSource.query('UPDATE audit_tree_node SET hash = $1 WHERE level = 4 AND idx = 64', [
      Buffer.alloc(32, 2),
    ]);
    await append(db, 3);
    const outcome = await makeCheckpoint(db.dataSource, audit);
    expect(outcome.made).toBe(false);
    expect(outcome.problem).toMatch(/no longer gives the root of the checkpoint of 1100 events/);
    const leaves = await allLeaves(db);
    await db.dataSource.query('UPDATE audit_tree_node SET hash = $1 WHERE level = 4 AND idx = 64', [
      rootOf(leaves, 1024, 1040),
    ]);
    expect(await makeCheckpoint(db.dataSource, audit)).toMatchObject({ made: true, checkpoint: { treeSize: 1103 } });
  });
});

describe('a log written before signing began (the migration)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('gets dense leaves in seq order; the first checkpoint covers its unsigned events (trust on first use), none after', async () => {
    // The schema before this migration, with events written as the old code did, seq with a gap.
    const before = migrations.slice(0, migrations.indexOf(AuditMerkleLog1764000950000));
    const earlier = await new DataSource({
      ...db.dataSource.options,
      migrations: before,
    } as DataSourceOptions).initialize();
    await earlier.runMigrations({ transaction: 'each' });
    await earlier.destroy();
    let prev = GENESIS_HASH;
    for (const seq of [1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]) {
      const content = {
        seq: String(seq),
        at: new Date(`2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`),
        actorId: null,
        actorLabel: 'system',
        action: 'old.event',
        entityType: 'Brand',
        entityId: String(seq),
        before: null,
        after: { seq },
        requestId: null,
      };
      const hash = chainHash(prev, content);
      await db.dataSource.query(
        `INSERT INTO audit_event (seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash)
         OVERRIDING SYSTEM VALUE VALUES ($1, $2, NULL, 'system', 'old.event', 'Brand', $3, NULL, $4, NULL, $5, $6)`,
        [seq, content.at, String(seq), content.after, prev, hash],
      );
      prev = hash;
    }
    await db.dataSource.query(`SELECT setval(pg_get_serial_sequence('audit_event', 'seq'), 20)`);
    await db.dataSource.runMigrations();

    const rows = await db.dataSource.query(
      'SELECT seq::int AS seq, leaf_index::int AS leaf FROM audit_event ORDER BY seq',
    );
    expect(rows.map((r: any) => r.leaf)).toEqual(rows.map((_: unknown, i: number) => i));
    expect(await db.dataSource.query('SELECT tree_size::int AS n FROM audit_unsigned_prefix')).toEqual([{ n: 18 }]);
    // Before any checkpoint: intact, the old events trusted until the first one.
    expect(await verifyAuditChain(db.dataSource.manager, { audit })).toMatchObject({
      ok: true,
      checkpointTreeSize: 0,
      unsignedUncovered: 18,
      treeSize: 18,
    });

    // New events are signed; one added without the key after the migration is not covered by the first checkpoint.
    await append(db, 2);
    const [head] = await db.dataSource.query('SELECT hash FROM audit_event ORDER BY leaf_index DESC LIMIT 1');
    const content = {
      seq: '100',
      at: new Date('2026-02-01T00:00:00.000Z'),
      actorId: null,
      actorLabel: 'system',
      action: 'forged',
      entityType: 'Brand',
      entityId: '1',
      before: null,
      after: null,
      requestId: null,
    };
    await db.dataSource.query(
      `INSERT INTO audit_event (seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash, leaf_index)
       OVERRIDING SYSTEM VALUE VALUES (100, $1, NULL, 'system', 'forged', 'Brand', 1, NULL, NULL, NULL, $2, $3, 20)`,
      [content.at, head.hash, chainHash(head.hash, content)],
    );
    const first = await makeCheckpoint(db.dataSource, audit);
    expect(first).toMatchObject({
      made: true,
      checkpoint: { treeSize: 20 },
      problem: expect.stringMatching(/event seq 100 \(leaf 20\) has no valid signature/),
    });
    const result = await verifyAuditChain(db.dataSource.manager, { audit });
    expect(result).toMatchObject({ ok: false, checkpointTreeSize: 20, unsignedUncovered: 0 });
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'UNSIGNED', seq: '100' })]);
  });
});
