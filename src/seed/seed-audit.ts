import { EntityManager } from 'typeorm';
import { AuditConfig } from '../config.js';
import { chainHash, ChainedContent, GENESIS_HASH } from '../shared/audit/audit-chain.js';
import { lockAuditChain } from '../shared/audit/audit.service.js';
import { signLeaf } from '../shared/audit/audit-signing.js';
import { leafOfEvent } from '../shared/audit/audit-tree.js';
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
 * (audit.service.ts): under the chain's lock, each chained to the one before by hash, the next leaf of the
 * log's Merkle tree, and signed with the log's key; `seq` from its sequence. Written by COPY as they are
 * made (bounded memory). Answers the events written.
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
  let seq = await reserveIds(db, 'audit_event', count, 'seq');
  const written = await copyRows(
    db,
    'audit_event',
    COLUMNS,
    (function* () {
      for (const event of events) {
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
        yield [
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
          `\\x${signLeaf(audit, leafOfEvent(hash)).toString('hex')}`,
          audit.keyId,
        ];
        prevHash = hash;
        seq += 1;
        leafIndex += 1;
      }
    })(),
    onProgress,
  );
  if (written !== count) throw new Error(`seed: ${written} audit events written, ${count} planned`);
  return written;
}
