import { EntityManager } from 'typeorm';
import { AuditConfig } from '../shared/config.js';
import { chainHash, ChainedContent, GENESIS_HASH } from '../shared/audit/audit-chain.js';
import { lockAuditChain } from '../shared/audit/audit.service.js';
import { latestCheckpoint, storeCheckpoint } from '../shared/audit/audit-checkpoint.js';
import { AuditTree, isStoredLevel, leafOfEvent } from '../shared/audit/audit-tree.js';
import { CompactRange, Hash, NodeId } from '../shared/audit/merkle.js';
import { copyRows, reserveIds } from './copy.js';

/** One audit event of the seeded history, as a mutation would have recorded it (JSON values: ids and dates as strings). */
export interface SeededEvent {
  at: number;
  action: string;
  entityType: string;
  entityId: number;
  before: object | null;
  after: object | null;
}

/** Who the seeded history's events name: the seeder, as the server's own work is named (systemContext). */
export const SEED_ACTOR_LABEL = 'seed (ADMIN)';

const COLUMNS = [
  'seq',
  'at',
  'actor_id',
  'actor_label',
  'action',
  'entity_type',
  'entity_id',
  'before',
  'after',
  'request_id',
  'prev_hash',
  'hash',
  'leaf_index',
  'signature',
  'key_id',
];

/**
 * Appends `count` events, given in the order they happened, to the audit log as the API appends its own
 * (audit.service.ts): under the chain's lock, each chained to the one before by hash and the next leaf of the
 * log's Merkle tree; `seq` from its sequence. Written by COPY as they are made (bounded memory). Instead of a
 * signature per event (~60 µs each, most of a large seed's time), the seed signs one checkpoint over them with
 * the same key, as the server would once it had checked them: events a signed checkpoint covers need no
 * signature of their own (README, "Verifying the audit log"). Answers the events written.
 */
export async function appendSeededEvents(
  db: EntityManager,
  audit: AuditConfig,
  events: Iterable<SeededEvent>,
  count: number,
  onProgress?: (copied: number) => void,
): Promise<number> {
  if (count === 0) return 0;
  await lockAuditChain(db);
  const [head] = await db.query(
    'SELECT hash, (leaf_index + 1)::float8 AS size FROM audit_event ORDER BY leaf_index DESC LIMIT 1',
  );
  let prevHash: string = head?.hash ?? GENESIS_HASH;
  let leafIndex: number = head?.size ?? 0;
  const range = await seededRange(db, audit, leafIndex);
  const nodes: { node: NodeId; hash: Hash }[] = [];
  let seq = await reserveIds(db, 'audit_event', count, 'seq');
  const chained = (event: SeededEvent): unknown[] => {
    const content: ChainedContent = {
      seq: String(seq),
      at: new Date(event.at),
      actorId: null,
      actorLabel: SEED_ACTOR_LABEL,
      action: event.action,
      entityType: event.entityType,
      entityId: String(event.entityId),
      before: event.before,
      after: event.after,
      requestId: null,
    };
    const hash = chainHash(prevHash, content);
    range.append(
      leafOfEvent(hash),
      (node, nodeHash) => isStoredLevel(node.level) && nodes.push({ node, hash: nodeHash }),
    );
    const row = [
      content.seq,
      content.at,
      null,
      content.actorLabel,
      content.action,
      content.entityType,
      content.entityId,
      event.before === null ? null : JSON.stringify(event.before),
      event.after === null ? null : JSON.stringify(event.after),
      null,
      prevHash,
      hash,
      leafIndex,
      null,
      null,
    ];
    prevHash = hash;
    seq += 1;
    leafIndex += 1;
    return row;
  };
  function* rows(): Generator<unknown[]> {
    for (const event of events) yield chained(event);
  }
  const written = await copyRows(db, 'audit_event', COLUMNS, rows(), onProgress);
  if (written !== count) throw new Error(`seed: ${written} audit events written, ${count} planned`);
  const checkpoint = await storeCheckpoint(db, audit, range, nodes);
  if (typeof checkpoint === 'string') throw new Error(`seed: the audit log's checkpoint was not signed: ${checkpoint}`);
  return written;
}

/**
 * The tree the seeded events extend: empty, or a log a signed checkpoint covers whole (the seed signs over its own
 * events only, never over events nobody has checked).
 */
async function seededRange(db: EntityManager, audit: AuditConfig, size: number): Promise<CompactRange> {
  if (size === 0) return new CompactRange();
  const { checkpoint } = await latestCheckpoint(db, audit);
  if (checkpoint?.treeSize !== size)
    throw new Error(
      `seed: the audit log holds ${size} events that no checkpoint covers whole: sign one first (\`audit checkpoint\`)`,
    );
  return new CompactRange(size, await new AuditTree(db).frontier(size));
}
