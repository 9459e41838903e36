import { EntityManager } from 'typeorm';
import { featureSettings } from '../shared/settings.js';

/**
 * The case features of issue 8 over the seeded history, in SQL, deterministic from the rows already
 * written: the deadlines of sent referrals (from the settings of each agency's kind), escalations of
 * some of the overdue ones and the agencies' feedback on some of the acted-on ones.
 */
export interface FeatureCounts {
  escalations: number;
  feedback: number;
}

export async function seedCaseFeatures(db: EntityManager, now: number): Promise<FeatureCounts> {
  const { acknowledgeDays, actionDays } = featureSettings().deadlines;
  const kinds = Object.keys(acknowledgeDays);
  await db.query(
    `UPDATE referral r SET acknowledge_by = r.sent_at + make_interval(days => d.ack), action_by = r.sent_at + make_interval(days => d.act)
     FROM agency a JOIN unnest($1::text[], $2::int[], $3::int[]) AS d(kind, ack, act) ON d.kind = a.kind
     WHERE a.id = r.agency_id AND r.sent_at IS NOT NULL`,
    [kinds, kinds.map((k) => acknowledgeDays[k as keyof typeof acknowledgeDays]), kinds.map((k) => actionDays[k as keyof typeof actionDays])],
  );
  // Every other referral past a deadline (as of `now`) was escalated a week after the deadline it missed.
  const escalations: unknown[] = await db.query(
    `INSERT INTO referral_escalation (created_at, referral_id, investigation_id, escalated_to, reason, missed_deadline)
     SELECT least(m.deadline + interval '7 days', $1::timestamptz), r.id, r.investigation_id,
            'Duty director, ' || a.name, 'No ' || lower(m.missed) || ' by the deadline of ' || to_char(m.deadline, 'YYYY-MM-DD') || '; reminder sent twice.', m.missed
     FROM referral r JOIN agency a ON a.id = r.agency_id
     CROSS JOIN LATERAL (SELECT CASE WHEN r.status IN ('SENT', 'ACKNOWLEDGED') AND r.action_by < $1 THEN 'ACTION'
                                     WHEN r.status = 'SENT' AND r.acknowledge_by < $1 THEN 'ACKNOWLEDGEMENT' END AS missed,
                                CASE WHEN r.status IN ('SENT', 'ACKNOWLEDGED') AND r.action_by < $1 THEN r.action_by ELSE r.acknowledge_by END AS deadline) m
     WHERE m.missed IS NOT NULL AND r.id % 2 = 0
     ORDER BY r.id
     RETURNING id`,
    [new Date(now)],
  );
  // The agencies' feedback: a line on a third of the referrals they acted on, a day after the first action.
  const feedback: unknown[] = await db.query(
    `INSERT INTO referral_feedback (created_at, referral_id, investigation_id, message)
     SELECT least(r.first_action_at + interval '1 day', $1::timestamptz), r.id, r.investigation_id,
            'Site visited on ' || to_char(r.first_action_at, 'YYYY-MM-DD') || '; ' ||
            (ARRAY['stock sealed pending appraisal', 'operator questioned, accounts requested', 'case transferred to the criminal investigation unit'])[1 + r.id % 3]
     FROM referral r WHERE r.first_action_at IS NOT NULL AND r.id % 3 = 0
     ORDER BY r.id
     RETURNING id`,
    [new Date(now)],
  );
  return { escalations: escalations.length, feedback: feedback.length };
}
