import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { recordAudit } from '../../shared/audit/audit.service.js';
import { DEADLINE_APPROACHING_ACTION } from '../../shared/audit/webhook-outbox.js';
import { applyScope } from '../../shared/auth/scope.js';
import { Config } from '../../shared/config.js';
import { inTransaction, systemContext } from '../../shared/context.js';
import { startPeriodic } from '../../shared/periodic.js';
import { webhookSettings } from './webhook.settings.js';

/** One pass at a time across instances: a deadline is announced once. */
const DEADLINE_PASS_LOCK = 72_100_012;
/** How often a server looks for deadlines coming near. */
const DEADLINE_PASS_INTERVAL_MS = 60_000;

/**
 * Announces each sent referral's deadline that falls within `noticeMs` from now (the acknowledgement while it is
 * SENT, the first action while it is SENT or ACKNOWLEDGED: the deadlines of src/modules/referral), once per
 * referral, deadline and due time: an audit event `referral.deadlineApproaching`, which feeds the webhook outbox
 * in its transaction (REFERRAL_DEADLINE_APPROACHING) and marks the deadline as announced. A deadline moved (a
 * later due time) is announced again. Answers how many it announced.
 */
export async function announceApproachingDeadlines(
  dataSource: DataSource,
  config: Config,
  noticeMs: number,
  limit = 500,
): Promise<number> {
  if (!noticeMs) return 0;
  const ctx = systemContext(dataSource, config, 'referral deadline notices');
  return inTransaction(ctx, async (tx) => {
    await applyScope(tx.db, tx.scope);
    await tx.db.query('SELECT pg_advisory_xact_lock($1)', [DEADLINE_PASS_LOCK]);
    const due: { id: string; deadline: string; due: Date; version: number }[] = await tx.db.query(
      `SELECT d.id::text, d.deadline, d.due, d.version FROM (
         SELECT id, 'ACKNOWLEDGEMENT' AS deadline, acknowledge_by AS due, version FROM referral WHERE status = 'SENT'
         UNION ALL
         SELECT id, 'ACTION', action_by, version FROM referral WHERE status IN ('SENT', 'ACKNOWLEDGED')
       ) d
       WHERE d.due > now() AND d.due <= now() + $1 * interval '1 millisecond'
         AND NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.entity_type = 'Referral' AND a.entity_id = d.id
                         AND a.action = $2 AND a.after->>'deadline' = d.deadline AND (a.after->>'due')::timestamptz = d.due)
       ORDER BY d.due, d.id LIMIT $3`,
      [noticeMs, DEADLINE_APPROACHING_ACTION, limit],
    );
    for (const referral of due)
      await recordAudit(tx, {
        action: DEADLINE_APPROACHING_ACTION,
        entityType: 'Referral',
        entityId: referral.id,
        before: null,
        after: { deadline: referral.deadline, due: referral.due, version: referral.version },
      });
    return due.length;
  });
}

/** A server's deadline notices: a pass every minute while WEBHOOK_DEADLINE_NOTICE_HOURS is not 0. */
export function startDeadlineNotices(
  dataSource: DataSource,
  config: Config,
  logger: Logger,
): { stop(): Promise<void> } {
  const { deadlineNoticeMs } = webhookSettings();
  return startPeriodic(
    deadlineNoticeMs ? DEADLINE_PASS_INTERVAL_MS : 0,
    async () => {
      const announced = await announceApproachingDeadlines(dataSource, config, deadlineNoticeMs);
      if (announced) logger.info({ announced }, 'referral deadlines announced to webhooks');
    },
    (error) => logger.error({ err: error }, 'referral deadline notices failed; the next pass tries again'),
  );
}
