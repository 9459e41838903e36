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
  premises: number;
}

const NORMALISED = (column: string) => `lower(regexp_replace(btrim(${column}), '\\s+', ' ', 'g'))`;

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
  // Premises: counterfeit operations come back to the same places. A quarter of the findings are at the
  // address of an earlier finding of the same kind in the same region; every distinct address is registered
  // once, its findings linked, and the raids, seizures and arrests on a referral placed at the premises of the
  // first finding of its investigation (with the region, which brand partners see).
  await db.query(`
    UPDATE finding f SET address = e.address
    FROM (SELECT f2.id, (SELECT f1.address FROM finding f1 WHERE f1.region = f2.region AND f1.kind = f2.kind AND f1.id < f2.id ORDER BY f1.id LIMIT 1) AS address
          FROM finding f2 WHERE f2.id % 4 = 0) e
    WHERE e.id = f.id AND e.address IS NOT NULL`);
  const premises: unknown[] = await db.query(`
    INSERT INTO premises (created_at, kind, region, address)
    SELECT DISTINCT ON (region, ${NORMALISED('address')}) created_at, kind, region, address FROM finding ORDER BY region, ${NORMALISED('address')}, id
    RETURNING id`);
  await db.query(`UPDATE finding f SET premises_id = p.id FROM premises p WHERE p.region = f.region AND ${NORMALISED('p.address')} = ${NORMALISED('f.address')}`);
  await db.query(`
    UPDATE enforcement_outcome o SET premises_id = x.premises_id, region = x.region
    FROM (SELECT r.id AS referral_id, first.premises_id, first.region FROM referral r
          CROSS JOIN LATERAL (SELECT f.premises_id, f.region FROM finding f WHERE f.investigation_id = r.investigation_id ORDER BY f.id LIMIT 1) first) x
    WHERE x.referral_id = o.referral_id AND o.kind IN ('RAID', 'SEIZURE', 'ARREST')`);
  return { escalations: escalations.length, feedback: feedback.length, premises: premises.length };
}
