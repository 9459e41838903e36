import { randomUUID } from 'node:crypto';

/**
 * The webhook outbox, fed by the audit log: when a change's audit events are appended (audit.service.ts), the
 * events whose action maps to a webhook event type are also written to `webhook_event`, in the same COMMIT
 * round trip. So no change commits without its webhook events, and no event exists without its change. The
 * webhook module (src/modules/webhook) fans them out to subscriptions and delivers them; the mapping is data
 * here because shared/ imports no module.
 */
export enum WebhookEventType {
  LEAD_STATUS_CHANGED = 'LEAD_STATUS_CHANGED',
  CASE_STATUS_CHANGED = 'CASE_STATUS_CHANGED',
  REFERRAL_SENT = 'REFERRAL_SENT',
  REFERRAL_STATUS_CHANGED = 'REFERRAL_STATUS_CHANGED',
  REFERRAL_ESCALATED = 'REFERRAL_ESCALATED',
  REFERRAL_DEADLINE_APPROACHING = 'REFERRAL_DEADLINE_APPROACHING',
  REFERRAL_FEEDBACK = 'REFERRAL_FEEDBACK',
  OUTCOME_RECORDED = 'OUTCOME_RECORDED',
}

/** The audit action the scheduled pass records for a referral deadline about to pass (webhook module). */
export const DEADLINE_APPROACHING_ACTION = 'referral.deadlineApproaching';

const LEAD_STATUSES = ['reported', 'triaged', 'investigating', 'referred', 'closed'];
const CASE_STATUSES = ['opened', 'evidence_gathering', 'ready_for_referral', 'referred', 'closed'];
const REFERRAL_STATUSES = [
  'created',
  'acknowledged',
  'action_taken',
  'prosecution',
  'convicted',
  'acquitted',
  'declined',
  'closed',
];

/** Audit action -> webhook event type. Actions not listed here send no webhook. */
export const WEBHOOK_EVENT_OF_ACTION: Readonly<Record<string, WebhookEventType>> = Object.freeze({
  ...Object.fromEntries(LEAD_STATUSES.map((s) => [`lead.${s}`, WebhookEventType.LEAD_STATUS_CHANGED])),
  ...Object.fromEntries(CASE_STATUSES.map((s) => [`investigation.${s}`, WebhookEventType.CASE_STATUS_CHANGED])),
  ...Object.fromEntries(REFERRAL_STATUSES.map((s) => [`referral.${s}`, WebhookEventType.REFERRAL_STATUS_CHANGED])),
  'referral.sent': WebhookEventType.REFERRAL_SENT,
  'referral.escalated': WebhookEventType.REFERRAL_ESCALATED,
  'referral.feedbackAdded': WebhookEventType.REFERRAL_FEEDBACK,
  [DEADLINE_APPROACHING_ACTION]: WebhookEventType.REFERRAL_DEADLINE_APPROACHING,
  'enforcementOutcome.recorded': WebhookEventType.OUTCOME_RECORDED,
});

interface AppendedEvent {
  seq: unknown;
  at: string;
  action: unknown;
  entity_type: unknown;
  entity_id: unknown;
  after: unknown;
}

/**
 * The outbox rows of a change's audit rows (as audit.service.ts inserts them): one per event with a webhook
 * type, keyed by the audit event's seq (commit order, hence the delivery order), with a public event id
 * stable across retries, the record (type and row id) and its version after the change when it has one.
 */
export function webhookOutboxRows(events: readonly AppendedEvent[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const event of events) {
    const type = WEBHOOK_EVENT_OF_ACTION[String(event.action)];
    if (!type) continue;
    const after = event.after as { version?: unknown } | null;
    rows.push({
      seq: event.seq,
      id: randomUUID(),
      type,
      record_type: event.entity_type,
      record_id: event.entity_id,
      version: typeof after?.version === 'number' ? after.version : null,
      occurred_at: event.at,
    });
  }
  return rows;
}
