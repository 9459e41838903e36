import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EntityManager } from 'typeorm';
import { AuditConfig } from '../shared/config.js';
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

/** Events signed per message to a signing thread. */
const BATCH = 2048;

/**
 * Appends `count` events, given in the order they happened, to the audit log as the API appends its own
 * (audit.service.ts): under the chain's lock, each chained to the one before by hash, the next leaf of the
 * log's Merkle tree, and signed with the log's key; `seq` from its sequence. Written by COPY as they are
 * made (bounded memory: a few batches in flight). The chain is hashed here, in order; the signatures (most
 * of the work, ~60 µs an event) are made by other threads, a batch each. Answers the events written.
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
  const signers = new Signers(audit, count > BATCH ? SIGNING_THREADS : 0);
  /** The rows of a batch, each waiting for its signature. */
  const chained = (batch: SeededEvent[]) =>
    batch.map((event) => {
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
        audit.keyId,
      ];
      prevHash = hash;
      seq += 1;
      leafIndex += 1;
      return row;
    });
  async function* signed(): AsyncGenerator<unknown[][]> {
    const inFlight: Promise<unknown[][]>[] = [];
    let batch: SeededEvent[] = [];
    const send = () => {
      const rows = chained(batch);
      batch = [];
      inFlight.push(
        signers.sign(rows.map((row) => leafOfEvent(row[11] as string))).then((signatures) => {
          rows.forEach((row, i) => {
            row[13] = `\\x${signatures[i].toString('hex')}`;
          });
          return rows;
        }),
      );
    };
    for (const event of events) {
      batch.push(event);
      if (batch.length === BATCH) send();
      if (inFlight.length > signers.threads) yield await inFlight.shift()!;
    }
    if (batch.length) send();
    while (inFlight.length) yield await inFlight.shift()!;
  }
  try {
    const written = await copyRows(db, 'audit_event', COLUMNS, signed(), onProgress);
    if (written !== count) throw new Error(`seed: ${written} audit events written, ${count} planned`);
    return written;
  } finally {
    await signers.close();
  }
}

/** Threads besides this one that sign: one per other core (at least one, at most four). */
const SIGNING_THREADS = Math.max(1, Math.min(4, availableParallelism() - 1));

// A signing thread: Ed25519 over each 32-byte leaf hash of a message, answered in order (signLeaf's signature).
const SIGNER = `
const { parentPort, workerData } = require('node:worker_threads');
const { sign } = require('node:crypto');
parentPort.on('message', ({ id, leaves }) => {
  const signatures = leaves.map((leaf) => sign(null, leaf, workerData.key));
  parentPort.postMessage({ id, signatures });
});`;

/** Signs leaves with the log's key on `threads` threads, round robin (in this thread when there are none). */
class Signers {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (s: Buffer[]) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(
    private readonly audit: AuditConfig,
    readonly threads: number,
  ) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(SIGNER, { eval: true, workerData: { key: audit.signingKey } });
      worker.on('message', ({ id, signatures }: { id: number; signatures: Uint8Array[] }) => {
        this.pending.get(id)?.resolve(signatures.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)));
        this.pending.delete(id);
      });
      worker.on('error', (error) => {
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
      });
      return worker;
    });
  }

  sign(leaves: Buffer[]): Promise<Buffer[]> {
    if (this.workers.length === 0) return Promise.resolve(leaves.map((leaf) => signLeaf(this.audit, leaf)));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage({ id, leaves });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
