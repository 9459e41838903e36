import { EntityManager } from 'typeorm';
import { RequestContext } from '../context.js';
import { AuditEvent } from './audit-event.entity.js';
import { chainHash, ChainedContent, GENESIS_HASH } from './audit-chain.js';

// One advisory lock serialises audit writers until their transaction commits: the chain cannot fork,
// and `seq` order is commit order (which the agencies' sync feed relies on).
const AUDIT_CHAIN_LOCK = 72_100_001;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: object | null;
  after?: object | null;
}

/** Appends events to the audit chain. Must run inside the transaction of the change it records. */
export async function recordAudit(ctx: RequestContext, ...entries: AuditEntry[]): Promise<AuditEvent[]> {
  if (!ctx.db.queryRunner?.isTransactionActive) throw new Error('recordAudit must run inside the transaction of the change');
  const actor = { actorId: ctx.principal.rowId, actorLabel: `${ctx.principal.name} (${ctx.principal.role})` };
  return appendEvents(ctx.db, entries.map((entry) => ({ ...entry, ...actor, requestId: ctx.requestId })));
}

/** Audits a change of one entity (a Node): its type and id are taken from the row. */
export function auditChange(
  ctx: RequestContext,
  action: string,
  row: { rowId: string; constructor: { name: string } },
  before: object | null,
  after: object | null,
): Promise<AuditEvent[]> {
  return recordAudit(ctx, { action, entityType: row.constructor.name, entityId: row.rowId, before, after });
}

/** Joins the single writer order of the audit chain (re-entrant within one transaction). */
export async function lockAuditChain(db: EntityManager): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
}

export async function appendEvents(
  db: EntityManager,
  entries: (AuditEntry & { actorId: string | null; actorLabel: string; requestId: string | null })[],
): Promise<AuditEvent[]> {
  await lockAuditChain(db);
  const [last] = await db.query('SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1');
  let prevHash: string = last?.hash ?? GENESIS_HASH;
  const events: AuditEvent[] = [];
  for (const entry of entries) {
    const [{ seq }] = await db.query(`SELECT nextval(pg_get_serial_sequence('audit_event', 'seq'))::text AS seq`);
    const content: ChainedContent = {
      seq,
      at: new Date(),
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
    const event = db.create(AuditEvent, { ...content, before: content.before as never, after: content.after as never, prevHash, hash });
    await db.insert(AuditEvent, event as never);
    events.push(event);
    prevHash = hash;
  }
  return events;
}

/** Dates as ISO strings, undefined dropped: the form the values have after a jsonb round trip. */
function jsonSafe(value: unknown): unknown {
  return value === null ? null : JSON.parse(JSON.stringify(value));
}

export interface ChainVerification {
  ok: boolean;
  eventsChecked: number;
  firstBrokenSeq: string | null;
  problem: string | null;
}

/** Walks the whole chain in `seq` order and names the first event whose link or content is wrong. */
export async function verifyAuditChain(db: EntityManager, batchSize = 5000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let afterSeq = '0';
  let checked = 0;
  for (;;) {
    const rows: AuditEvent[] = await db
      .createQueryBuilder(AuditEvent, 'e')
      .where('e.seq > :afterSeq', { afterSeq })
      .orderBy('e.seq', 'ASC')
      .limit(batchSize)
      .getMany();
    for (const row of rows) {
      if (row.prevHash !== prevHash) {
        return { ok: false, eventsChecked: checked, firstBrokenSeq: row.seq, problem: 'its previous-hash link does not match the event before it: an event was removed or reordered' };
      }
      const expected = chainHash(prevHash, {
        seq: row.seq, at: row.at, actorId: row.actorId, actorLabel: row.actorLabel, action: row.action,
        entityType: row.entityType, entityId: row.entityId, before: row.before, after: row.after, requestId: row.requestId,
      });
      if (expected !== row.hash) {
        return { ok: false, eventsChecked: checked, firstBrokenSeq: row.seq, problem: 'its content does not match its hash: the event was altered' };
      }
      prevHash = row.hash;
      afterSeq = row.seq;
      checked += 1;
    }
    if (rows.length < batchSize) return { ok: true, eventsChecked: checked, firstBrokenSeq: null, problem: null };
  }
}
