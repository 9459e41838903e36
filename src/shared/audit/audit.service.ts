import { escapeIdentifier, escapeLiteral } from 'pg';
import { EntityManager } from 'typeorm';
import { AuditConfig, loadConfig } from '../config.js';
import type { RequestContext } from '../context.js';
import type { PendingChange } from '../transaction.js';
import { chainHash, ChainedContent, GENESIS_HASH } from './audit-chain.js';
import { signLeaf, SignedCheckpoint } from './audit-signing.js';
import { ChainVerification, verifyAuditLog } from './audit-verify.js';
import { leafOfEvent } from './audit-tree.js';

// One advisory lock serialises audit writers from their append to their COMMIT: the chain cannot fork,
// and `seq` order is commit order (which the agencies' sync feed relies on). A change takes it last, just
// before its COMMIT (the lock order in README, "API conventions"), so that it is never held while a
// change waits for a row lock, and a change never waits for a row while holding it. It is held for two
// round trips: the lock with the chain's head (one statement), then the events' INSERT sent with the
// COMMIT (PendingChange.withCommit). The number is also written in migration 1764100100000-AuditAppendHead.
const AUDIT_CHAIN_LOCK = 72_100_001;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: object | null;
  after?: object | null;
}

type ActedEntry = AuditEntry & { actorId: string | null; actorLabel: string; requestId: string | null };

/** What a change appends to the chain when it commits: its events, then the statements that must follow them. */
interface ChainAppend {
  entries: ActedEntry[];
  after: string[];
}
const appends = new WeakMap<PendingChange, ChainAppend>();

/**
 * The chain append of the current change, queued on first use as its last work before COMMIT: the chain's
 * lock and head (one round trip), then the signed events and what follows them, written in the COMMIT's
 * own round trip.
 */
function appendOf(ctx: RequestContext): ChainAppend {
  const change = ctx.change;
  if (!change) throw new Error('audit events are recorded inside the change they record (inTransaction)');
  let append = appends.get(change);
  if (!append) {
    const queued: ChainAppend = { entries: [], after: [] };
    const { db, config } = ctx;
    change.beforeCommit.push(async () => {
      const head = await lockChainHead(db, queued.entries.length);
      if (queued.entries.length)
        change.withCommit.push(insertRowsStatement('audit_event', chainEvents(head, queued.entries, config.audit)));
      change.withCommit.push(...queued.after);
      if (queued.entries.length)
        for (const listener of growthListeners) listener(head.size, head.size + queued.entries.length);
    });
    appends.set(change, queued);
    append = queued;
  }
  return append;
}

/** Records events of the current change: appended to the chain, under its lock, just before COMMIT. */
export async function recordAudit(ctx: RequestContext, ...entries: AuditEntry[]): Promise<void> {
  const actor = { actorId: ctx.principal.rowId, actorLabel: `${ctx.principal.name} (${ctx.principal.role})` };
  appendOf(ctx).entries.push(
    ...entries.map((entry) => ({
      ...entry,
      before: snapshot(entry.before ?? null),
      after: snapshot(entry.after ?? null),
      ...actor,
      requestId: ctx.requestId,
    })),
  );
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
 * A statement of the current change that must be written in commit order, as the audit events are (the
 * agencies' sync feed): sent after the change's events, under the chain's lock, in the COMMIT's round trip.
 * Plain SQL text without parameters (insertRowsStatement quotes the values).
 */
export function afterAuditAppend(ctx: RequestContext, statement: string): void {
  appendOf(ctx).after.push(statement);
}

/**
 * Marks what the current change has queued so far (its events, the statements after them, its pre-commit work):
 * the function returned forgets what was queued since, for a part of the change rolled back to a savepoint
 * (one refused row of an import, src/import/), whose events must not be written.
 */
export function auditSavepoint(ctx: RequestContext): () => void {
  const change = ctx.change;
  if (!change) throw new Error('an audit savepoint is taken inside a change (inTransaction)');
  const append = appends.get(change);
  const lengths = {
    entries: append?.entries.length ?? 0,
    after: append?.after.length ?? 0,
    beforeCommit: change.beforeCommit.length,
    withCommit: change.withCommit.length,
  };
  return () => {
    const now = appends.get(change);
    if (now && !append) appends.delete(change);
    else if (now) {
      now.entries.length = lengths.entries;
      now.after.length = lengths.after;
    }
    change.beforeCommit.length = lengths.beforeCommit;
    change.withCommit.length = lengths.withCommit;
  };
}

/** Joins the single writer order of the audit chain (re-entrant within one transaction). */
export async function lockAuditChain(db: EntityManager): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
}

interface ChainHead {
  /** Hash of the last event, GENESIS_HASH for an empty log. */
  head: string;
  /** Events in the log: the leaf index of the next one. */
  size: number;
  /** The next seqs, one per event to append, taken under the lock (seq order is commit order). */
  seqs: string[];
}

/**
 * Takes the chain's lock and reads its head and the next `events` seqs, in one statement: a VOLATILE
 * function (migration 1764100100000-AuditAppendHead) whose query after the lock takes a snapshot of its
 * own, so that under READ COMMITTED it sees the head committed by the last holder.
 */
async function lockChainHead(db: EntityManager, events: number): Promise<ChainHead> {
  const [row] = await db.query('SELECT head, size::text, seqs::text[] FROM audit_chain_lock_head($1)', [events]);
  return { head: row.head ?? GENESIS_HASH, size: Number(row.size ?? 0), seqs: row.seqs };
}

/**
 * The rows of the events, chained after `head`. Each event is also the next leaf of the log's Merkle tree
 * (leaf_index, dense) and is signed with the log's key (about 70 µs an event; README, "Verifying the audit
 * log"), so that an event written without the key is told apart.
 */
function chainEvents(
  { head, size, seqs }: ChainHead,
  entries: ActedEntry[],
  audit: AuditConfig,
): Record<string, unknown>[] {
  let prevHash = head;
  const at = new Date();
  return entries.map((entry, index) => {
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
    const row = {
      seq: content.seq,
      at: at.toISOString(),
      actor_id: content.actorId,
      actor_label: content.actorLabel,
      action: content.action,
      entity_type: content.entityType,
      entity_id: content.entityId,
      before: content.before,
      after: content.after,
      request_id: content.requestId,
      prev_hash: prevHash,
      hash,
      leaf_index: String(size + index),
      signature: `\\x${signLeaf(audit, leafOfEvent(hash)).toString('hex')}`,
      key_id: audit.keyId,
    };
    prevHash = hash;
    return row;
  });
}

/**
 * One INSERT of `rows` (objects keyed by column name, of JSON values) into `table`, as SQL text without
 * parameters, to be sent in a simple query with others (the COMMIT's round trip): the rows travel as one
 * quoted JSON literal, read with jsonb_populate_recordset (a value is read as its column's type reads text).
 */
export function insertRowsStatement(table: string, rows: Record<string, unknown>[]): string {
  const columns = Object.keys(rows[0])
    .map((column) => escapeIdentifier(column))
    .join(', ');
  return `INSERT INTO ${escapeIdentifier(table)} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${escapeIdentifier(table)}, ${escapeLiteral(JSON.stringify(rows))})`;
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
