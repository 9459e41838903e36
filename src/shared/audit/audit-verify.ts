import { EntityManager } from 'typeorm';
import { AuditConfig } from '../config.js';
import { chainHash, GENESIS_HASH } from './audit-chain.js';
import { latestCheckpoint } from './audit-checkpoint.js';
import { AuditEvent } from './audit-event.entity.js';
import { checkCheckpoint, checkLeafSignature, SignedCheckpoint } from './audit-signing.js';
import { isStoredLevel, leafOfEvent } from './audit-tree.js';
import { CompactRange, Hash } from './merkle.js';

/**
 * Checks the whole audit log against its signed checkpoints (README, "Verifying the audit log"):
 *
 * - every event's content against its hash, and its link to the event before (the hash chain);
 * - leaves in order and without a gap; the tree's root at the size of each checkpoint it is given (a
 *   partner's, and the latest in the database) against that checkpoint's signed root;
 * - every event beyond the largest valid checkpoint against its own signature: what was added without the
 *   key is named. An event inside a checkpoint's tree is proven by the root; its signature is not needed
 *   (the events from before signing began have none: the first checkpoint covers them, trust on first use);
 * - the checkpoints' signatures, and that the log is not shorter than any of them (truncation);
 * - the stored subtree hashes (audit_tree_node) that proofs are made of.
 */

export type AuditLogProblemKind = 'TRUNCATED' | 'REMOVED' | 'ALTERED' | 'REORDERED' | 'UNSIGNED' | 'BAD_CHECKPOINT';

export interface AuditLogProblem {
  kind: AuditLogProblemKind;
  message: string;
  /** The event concerned, when there is one. */
  seq: string | null;
  leafIndex: number | null;
}

export interface ChainVerification {
  ok: boolean;
  /** Events found intact before the first one with a problem (all of them when ok). */
  eventsChecked: number;
  /** The first event with a problem. */
  firstBrokenSeq: string | null;
  /** The first problem, worded. */
  problem: string | null;
  /** Every problem found, the first 20. */
  problems: AuditLogProblem[];
  /** Events in the log (the head's leaf index + 1). */
  treeSize: number;
  /** Root hash (base64) of the whole log as it stands; null when events are missing. */
  rootHash: string | null;
  /** Events covered by a valid signed checkpoint (the largest of those checked). */
  checkpointTreeSize: number;
  /** Events from before signing began that no checkpoint covers yet (trusted on first use, at the first checkpoint). */
  unsignedUncovered: number;
}

const MAX_PROBLEMS = 20;

interface Anchor {
  label: string;
  treeSize: number;
  rootHash: Hash;
}

export async function verifyAuditLog(
  db: EntityManager,
  audit: AuditConfig,
  { checkpoint, batchSize = 5000 }: { checkpoint?: SignedCheckpoint; batchSize?: number } = {},
): Promise<ChainVerification> {
  const problems: AuditLogProblem[] = [];
  const report = (
    kind: AuditLogProblemKind,
    message: string,
    seq: string | null = null,
    leafIndex: number | null = null,
  ) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ kind, message, seq, leafIndex });
  };
  const anchors: Anchor[] = [];
  if (checkpoint) {
    const label = `the checkpoint of ${checkpoint.treeSize} events signed ${checkpoint.timestamp}`;
    const check = checkCheckpoint(audit, checkpoint);
    if (check === 'valid')
      anchors.push({ label, treeSize: checkpoint.treeSize, rootHash: Buffer.from(checkpoint.rootHash, 'base64') });
    else if (check === 'unknown-key')
      report(
        'BAD_CHECKPOINT',
        `${label} is signed with key "${checkpoint.keyId}", which is not one of this log's keys (GET /audit/keys)`,
      );
    else
      report(
        'BAD_CHECKPOINT',
        `${label} has a bad signature: it was not signed with this log's key, or its text was changed`,
      );
  }
  const latest = await latestCheckpoint(db, audit);
  for (const bad of latest.invalid) {
    report(
      'BAD_CHECKPOINT',
      `the database holds a checkpoint of ${bad.treeSize} events (key "${bad.keyId}") whose signature does not verify: it was written without the signing key`,
    );
  }
  if (latest.checkpoint) {
    anchors.push({
      label: `the latest checkpoint in the database (${latest.checkpoint.treeSize} events, signed ${latest.checkpoint.timestamp})`,
      treeSize: latest.checkpoint.treeSize,
      rootHash: Buffer.from(latest.checkpoint.rootHash, 'base64'),
    });
  }
  const covered = Math.max(0, ...anchors.map((a) => a.treeSize));

  const [state] = await db.query(`
    SELECT (SELECT leaf_index + 1 FROM audit_event ORDER BY leaf_index DESC LIMIT 1)::text AS size,
           (SELECT tree_size FROM audit_unsigned_prefix)::text AS unsigned`);
  const size = Number(state.size ?? 0);
  const unsignedPrefix = Number(state.unsigned ?? 0);
  for (const anchor of anchors) {
    if (anchor.treeSize > size) {
      report(
        'TRUNCATED',
        `the log holds ${size} events but ${anchor.label} covers ${anchor.treeSize}: the last ${anchor.treeSize - size} were removed (truncated)`,
      );
    }
  }

  const range = new CompactRange();
  let treeIntact = true;
  let prevHash = GENESIS_HASH;
  let prevSeq: bigint | null = null;
  let expected = 0;
  let intact = 0;
  let unsignedUncovered = 0;
  let eventProblem = false;
  let afterIndex = '-1';
  const eventReport = (kind: AuditLogProblemKind, message: string, row: AuditEvent) => {
    report(kind, message, row.seq, Number(row.leafIndex));
    eventProblem = true;
  };
  for (;;) {
    const rows: AuditEvent[] = await db
      .createQueryBuilder(AuditEvent, 'e')
      .where('e.leaf_index > :afterIndex', { afterIndex })
      .orderBy('e.leaf_index', 'ASC')
      .limit(batchSize)
      .getMany();
    const nodes: { level: number; index: number; hash: Hash }[] = [];
    for (const row of rows) {
      const index = Number(row.leafIndex);
      const at = `event seq ${row.seq} (leaf ${index})`;
      if (index > expected) {
        const count = index - expected;
        eventReport(
          'REMOVED',
          `${count === 1 ? `the event at leaf ${expected}` : `the ${count} events at leaves ${expected} to ${index - 1}`}, before ${at}, ${count === 1 ? 'was' : 'were'} removed`,
          row,
        );
        treeIntact = false;
      }
      const content = {
        seq: row.seq,
        at: row.at,
        actorId: row.actorId,
        actorLabel: row.actorLabel,
        action: row.action,
        entityType: row.entityType,
        entityId: row.entityId,
        before: row.before,
        after: row.after,
        requestId: row.requestId,
      };
      if (chainHash(row.prevHash, content) !== row.hash) {
        eventReport('ALTERED', `${at}: its content does not match its hash: the event was altered`, row);
      } else if (row.prevHash !== prevHash) {
        // Which event it follows (a scan of the log: only while problems are still being listed).
        const [linked] =
          problems.length < MAX_PROBLEMS
            ? await db.query(
                'SELECT seq::text AS seq, leaf_index::text AS leaf FROM audit_event WHERE hash = $1 LIMIT 1',
                [row.prevHash],
              )
            : [];
        if (linked)
          eventReport(
            'REORDERED',
            `${at} follows event seq ${linked.seq} in the chain, which stands at leaf ${linked.leaf}: events were reordered`,
            row,
          );
        else
          eventReport(
            'REMOVED',
            `${at} does not link to the event before it, and the event it follows is gone: an event was removed`,
            row,
          );
      } else if (prevSeq !== null && BigInt(row.seq) <= prevSeq) {
        eventReport('REORDERED', `${at} comes after event seq ${prevSeq} in the tree: events were reordered`, row);
      }
      const leaf = leafOfEvent(row.hash);
      if (index >= covered) {
        const check = checkLeafSignature(audit, leaf, row.keyId, row.signature);
        if (check === 'valid') {
          // signed by the log's key
        } else if (index < unsignedPrefix && !row.signature) {
          unsignedUncovered += 1;
        } else if (check === 'unknown-key') {
          eventReport(
            'UNSIGNED',
            `${at} is signed with key "${row.keyId}", which is not one of this log's keys (AUDIT_OLD_PUBLIC_KEYS)`,
            row,
          );
        } else {
          eventReport(
            'UNSIGNED',
            `${at} has no valid signature and no signed checkpoint covers it: it was added by someone without the signing key`,
            row,
          );
        }
      }
      if (treeIntact) {
        range.append(leaf, (node, hash) => isStoredLevel(node.level) && nodes.push({ ...node, hash }));
        for (const anchor of anchors) {
          if (anchor.treeSize === range.size && !range.root().equals(anchor.rootHash)) {
            report(
              'ALTERED',
              `the first ${anchor.treeSize} events do not give the root hash of ${anchor.label}: an event among them was altered, removed and replaced, or reordered since it was signed`,
              row.seq,
              index,
            );
            eventProblem = true;
          }
        }
      }
      if (!eventProblem) intact += 1;
      prevHash = row.hash;
      prevSeq = BigInt(row.seq);
      expected = index + 1;
      afterIndex = row.leafIndex;
    }
    if (nodes.length) await checkStoredNodes(db, nodes, report);
    if (rows.length < batchSize) break;
  }

  const first = problems[0] ?? null;
  return {
    ok: problems.length === 0,
    eventsChecked: intact,
    firstBrokenSeq: problems.find((p) => p.seq !== null)?.seq ?? null,
    problem: first?.message ?? null,
    problems,
    treeSize: size,
    rootHash: treeIntact ? range.root().toString('base64') : null,
    checkpointTreeSize: covered,
    unsignedUncovered,
  };
}

/** The stored subtree hashes of this batch must be the ones the events give (proofs are made of them). */
async function checkStoredNodes(
  db: EntityManager,
  nodes: { level: number; index: number; hash: Hash }[],
  report: (kind: AuditLogProblemKind, message: string) => void,
): Promise<void> {
  const rows: { level: number; idx: string; hash: Buffer }[] = await db.query(
    `SELECT n.level, n.idx::text AS idx, n.hash FROM audit_tree_node n
     JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
    [nodes.map((n) => n.level), nodes.map((n) => String(n.index))],
  );
  const computed = new Map(nodes.map((n) => [`${n.level}:${n.index}`, n.hash]));
  for (const row of rows) {
    if (!computed.get(`${row.level}:${row.idx}`)?.equals(row.hash)) {
      report(
        'ALTERED',
        `audit_tree_node holds a hash at level ${row.level}, index ${row.idx} that the events do not give: proofs made from it would not verify; delete that row as the database owner (proofs then compute it from the events)`,
      );
    }
  }
}
