import { EntityManager } from 'typeorm';
import { AuditConfig, loadConfig } from '../../config.js';
import type { RequestContext } from '../context.js';
import type { PendingChange } from '../transaction.js';
import { AuditEvent } from './audit-event.entity.js';
import { chainHash, ChainedContent, GENESIS_HASH } from './audit-chain.js';
import { signLeaf, SignedCheckpoint } from './audit-signing.js';
import { ChainVerification, verifyAuditLog } from './audit-verify.js';
import { leafOfEvent } from './audit-tree.js';

// One advisory lock serialises audit writers from their append to their COMMIT: the chain cannot fork,
// and `seq` order is commit order (which the agencies' sync feed relies on). A change takes it last, just
// before its COMMIT (the lock order in README, "API conventions"), so that it is never held while a
// change waits for a row lock, and a change never waits for a row while holding it.
const AUDIT_CHAIN_LOCK = 72_100_001;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: object | null;
  after?: object | null;
}

type ActedEntry = AuditEntry & { actorId: string | null; actorLabel: string; requestId: string | null };

/** What a change appends to the chain when it commits: its events, then what must follow them. */
interface ChainAppend {
  entries: ActedEntry[];
  after: (() => Promise<void>)[];
}
const appends = new WeakMap<PendingChange, ChainAppend>();

/** The chain append of the current change, queued as its last work before COMMIT on first use. */
function appendOf(ctx: RequestContext): ChainAppend {
  const change = ctx.change;
  if (!change) throw new Error('audit events are recorded inside the change they record (inTransaction)');
  let append = appends.get(change);
  if (!append) {
    const queued: ChainAppend = { entries: [], after: [] };
    const { db, config } = ctx;
    change.beforeCommit.push(async () => {
      await lockAuditChain(db);
      if (queued.entries.length) await appendEvents(db, queued.entries, config.audit);
      for (const step of queued.after) await step();
    });
    appends.set(change, queued);
    append = queued;
  }
  return append;
}

/** Records events of the current change: appended to the chain, under its lock, just before COMMIT. */
export async function recordAudit(ctx: RequestContext, ...entries: AuditEntry[]): Promise<void> {
  const actor = { actorId: ctx.principal.rowId, actorLabel: `${ctx.principal.name} (${ctx.principal.role})` };
  appendOf(ctx).entries.push(...entries.map((entry) => ({
    ...entry, before: snapshot(entry.before ?? null), after: snapshot(entry.after ?? null), ...actor, requestId: ctx.requestId,
  })));
}

/** Audits a change of one entity (a Node): its type and id are taken from the row. */
export function auditChange(
  ctx: RequestContext,
  action: string,
  row: { rowId: string; constructor: { name: string } },
  before: object | null,
  after: object | null,
): Promise<void> {
  return recordAudit(ctx, { action, entityType: row.constructor.name, entityId: row.rowId, before, after });
}

/**
 * Work of the current change that must be written in commit order, as the audit events are (the
 * agencies' sync feed): run after the change's events are appended, under the chain's lock.
 */
export function afterAuditAppend(ctx: RequestContext, step: () => Promise<void>): void {
  appendOf(ctx).after.push(step);
}

/** Joins the single writer order of the audit chain (re-entrant within one transaction). */
export async function lockAuditChain(db: EntityManager): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
}

/**
 * Appends events to the chain. The caller holds the chain's lock (lockAuditChain) until its COMMIT.
 *
 * Each event is also the next leaf of the log's Merkle tree (leaf_index, dense, from the head read under
 * the lock) and is signed with the log's key (about 70 µs an event; README, "Verifying the audit log"), so
 * that an event written without the key is told apart. Two statements, as before: the head and the next
 * seqs, then the INSERT.
 */
export async function appendEvents(db: EntityManager, entries: ActedEntry[], audit: AuditConfig): Promise<AuditEvent[]> {
  // A statement of its own after the lock: under READ COMMITTED it sees the head committed by the last holder.
  const [{ head, size, seqs }] = await db.query(
    `SELECT (SELECT hash FROM audit_event ORDER BY leaf_index DESC LIMIT 1) AS head,
            (SELECT leaf_index + 1 FROM audit_event ORDER BY leaf_index DESC LIMIT 1)::text AS size,
            ARRAY(SELECT nextval(pg_get_serial_sequence('audit_event', 'seq'))::text FROM generate_series(1, $1)) AS seqs`,
    [entries.length],
  );
  let prevHash: string = head ?? GENESIS_HASH;
  const firstLeaf = Number(size ?? 0);
  const at = new Date();
  const events = entries.map((entry, index) => {
    const content: ChainedContent = {
      seq: seqs[index],
      at,
      actorId: entry.actorId,
      actorLabel: entry.actorLabel,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: jsonSafe(entry.before ?? null),
      after: jsonSafe(entry.after ?? null),
      requestId: entry.requestId,
    };
    const hash = chainHash(prevHash, content);
    const event = db.create(AuditEvent, {
      ...content, before: content.before as never, after: content.after as never, prevHash, hash,
      leafIndex: String(firstLeaf + index), signature: signLeaf(audit, leafOfEvent(hash)), keyId: audit.keyId,
    });
    prevHash = hash;
    return event;
  });
  await db.insert(AuditEvent, events as never);
  for (const listener of growthListeners) listener(firstLeaf, firstLeaf + events.length);
  return events;
}

type GrowthListener = (from: number, to: number) => void;
const growthListeners = new Set<GrowthListener>();

/**
 * Tells `listener` of every append of this process, leaves [from, to), just before the appending change
 * commits (the server's checkpointer, audit-checkpoint.ts). Returns the function that stops it.
 */
export function onAuditAppend(listener: GrowthListener): () => void {
  growthListeners.add(listener);
  return () => growthListeners.delete(listener);
}

/** The values of a snapshot as they are now: a change may go on to modify the object it was taken from. */
function snapshot(value: object | null): object | null {
  return value === null ? null : (jsonSafe(value) as object);
}

/** Dates as ISO strings, undefined dropped: the form the values have after a jsonb round trip. */
function jsonSafe(value: unknown): unknown {
  return value === null ? null : JSON.parse(JSON.stringify(value));
}

export type { ChainVerification } from './audit-verify.js';

let defaultAudit: AuditConfig | undefined;

/**
 * Checks the whole audit log (audit-verify.ts): the hash chain, the Merkle tree against the signed
 * checkpoints (`checkpoint`, a partner's, and the latest in the database), the signatures of the events
 * no checkpoint covers. Names the first altered, removed, reordered or forged event, and a truncation.
 * Without `audit`, the keys of this process's environment.
 */
export function verifyAuditChain(
  db: EntityManager,
  { audit, checkpoint, batchSize }: { audit?: AuditConfig; checkpoint?: SignedCheckpoint; batchSize?: number } = {},
): Promise<ChainVerification> {
  const keys = audit ?? (defaultAudit ??= loadConfig().audit);
  return verifyAuditLog(db, keys, { checkpoint, batchSize });
}
