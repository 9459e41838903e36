import type { PoolClient } from 'pg';
import { applyScope, scopeOf } from '../../shared/auth/scope.js';
import type { Role } from '../../shared/auth/role.js';

/** The tables of the records webhook events name (the audit event's entity type). */
const TABLE_OF_RECORD: Record<string, string> = {
  Lead: 'lead',
  Investigation: 'investigation',
  Referral: 'referral',
  ReferralEscalation: 'referral_escalation',
  ReferralFeedback: 'referral_feedback',
  EnforcementOutcome: 'enforcement_outcome',
};

/**
 * The subscription's principal still has an API key not revoked: a partner whose access was withdrawn (every key
 * revoked) is told nothing more, neither new events nor those waiting for it. SQL over `s`, a webhook_subscription.
 */
export const SUBSCRIBER_ACTIVE = `EXISTS (SELECT 1 FROM api_key k WHERE k.principal_id = s.principal_id AND k.revoked_at IS NULL)`;

/** One fan-out pass at a time across processes (its seq order is the deliveries' order). */
const FAN_OUT_LOCK = 72_100_011;

interface OutboxEvent {
  seq: string;
  id: string;
  type: string;
  record_type: string;
  record_id: string;
  occurred_at: Date;
}

interface Subscriber {
  id: string;
  events: string[];
  created_at: Date;
  principal_id: string;
  role: Role;
  brand_id: string | null;
  agency_id: string | null;
}

/**
 * Turns outbox events into deliveries, in seq order, on the owner's connection: for each event, one delivery per
 * subscription that wants its type, was made before it, and whose principal may read the record now. That last
 * check runs as the subscriber would read: as the API's role (row-level security) with the principal's scope,
 * so an event about a record out of the subscriber's scope leaves no trace it could see. Answers how many
 * events it handled (0: nothing left).
 */
export async function fanOutOnce(client: PoolClient, batch = 1000): Promise<number> {
  await client.query('BEGIN');
  try {
    const [{ locked }] = (await client.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [FAN_OUT_LOCK])).rows;
    if (!locked) {
      await client.query('ROLLBACK');
      return 0;
    }
    const events: OutboxEvent[] = (
      await client.query(
        `SELECT seq::text, id::text, type, record_type, record_id::text, occurred_at FROM webhook_event
         WHERE fanned_out_at IS NULL ORDER BY seq LIMIT $1`,
        [batch],
      )
    ).rows;
    if (!events.length) {
      await client.query('ROLLBACK');
      return 0;
    }
    const subscribers: Subscriber[] = (
      await client.query(
        `SELECT s.id::text, s.events, s.created_at, p.id::text AS principal_id, p.role, p.brand_id::text, p.agency_id::text
         FROM webhook_subscription s JOIN principal p ON p.id = s.principal_id
         WHERE s.events && $1::text[] AND ${SUBSCRIBER_ACTIVE}`,
        [[...new Set(events.map((e) => e.type))]],
      )
    ).rows;
    const deliveries: [string, OutboxEvent][] = [];
    for (const subs of groupBy(subscribers, (s) => s.principal_id).values()) {
      const wanted = events.filter((e) => subs.some((s) => wants(s, e)));
      if (!wanted.length) continue;
      const visible = await visibleRecords(client, subs[0], wanted);
      for (const event of wanted) {
        if (!visible.has(`${event.record_type}:${event.record_id}`)) continue;
        for (const s of subs) if (wants(s, event)) deliveries.push([s.id, event]);
      }
    }
    if (deliveries.length)
      await client.query(
        `INSERT INTO webhook_delivery (subscription_id, event_seq, event_id, event_type)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::text[]) ON CONFLICT DO NOTHING`,
        [
          deliveries.map(([s]) => s),
          deliveries.map(([, e]) => e.seq),
          deliveries.map(([, e]) => e.id),
          deliveries.map(([, e]) => e.type),
        ],
      );
    await client.query('UPDATE webhook_event SET fanned_out_at = now() WHERE seq = ANY($1::bigint[])', [
      events.map((e) => e.seq),
    ]);
    await client.query('COMMIT');
    return events.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

const wants = (s: Subscriber, e: OutboxEvent) => s.events.includes(e.type) && s.created_at <= e.occurred_at;

/** The records of `events` the principal may read, as `<type>:<id>`, read under its scope as the API's role. */
async function visibleRecords(client: PoolClient, principal: Subscriber, events: OutboxEvent[]): Promise<Set<string>> {
  const scope = scopeOf({ role: principal.role, brandId: principal.brand_id, agencyId: principal.agency_id });
  const visible = new Set<string>();
  await client.query('SET LOCAL ROLE eca_app');
  try {
    await applyScope(client, scope, principal.principal_id);
    for (const [type, ofType] of groupBy(events, (e) => e.record_type)) {
      const table = TABLE_OF_RECORD[type];
      if (!table) continue;
      const { rows } = await client.query(`SELECT id::text FROM ${table} WHERE id = ANY($1::bigint[])`, [
        ofType.map((e) => e.record_id),
      ]);
      for (const { id } of rows) visible.add(`${type}:${id}`);
    }
  } finally {
    await client.query('RESET ROLE');
  }
  return visible;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
