import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agency deadlines and escalation (issue 8, point 1).
 *
 * - `referral.acknowledge_by` / `action_by`: fixed when the referral is sent, from the deadlines of the
 *   agency's kind (src/shared/settings.ts), so that a referral's deadline never moves when the settings
 *   change and "overdue" is a plain WHERE clause on indexed columns. Referrals sent before this
 *   migration get the default deadlines (5 and 60 days).
 * - `referral_escalation`: who escalated an overdue (or stuck) referral to whom, and why.
 * - `referral_feedback`: what the agency wrote back; part of the investigation's history.
 *
 * Both new tables carry the investigation of their referral (denormalised, never changes) so that the
 * investigation's lists of them are one indexed read. Both are visible to internal roles and to the
 * agency of the referral (never drafts: both need a sent referral), mirrored below as RLS policies.
 */
export class ReferralDeadlines1763900400000 implements MigrationInterface {
  name = 'ReferralDeadlines1763900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE referral ADD COLUMN acknowledge_by timestamptz(3), ADD COLUMN action_by timestamptz(3);
      UPDATE referral SET acknowledge_by = sent_at + interval '5 days', action_by = sent_at + interval '60 days' WHERE sent_at IS NOT NULL;
      -- referrals(filter: { overdue: true }) and the overdue figures: the open referrals by deadline.
      CREATE INDEX referral_acknowledge_by_idx ON referral (acknowledge_by) WHERE status = 'SENT';
      CREATE INDEX referral_action_by_idx ON referral (action_by) WHERE status IN ('SENT', 'ACKNOWLEDGED');

      CREATE TABLE referral_escalation (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        referral_id bigint NOT NULL REFERENCES referral(id),
        investigation_id bigint NOT NULL REFERENCES investigation(id),
        escalated_to text NOT NULL CHECK (length(escalated_to) BETWEEN 1 AND 500),
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 5000),
        missed_deadline text CHECK (missed_deadline IN ('ACKNOWLEDGEMENT', 'ACTION')),
        escalated_by_id bigint REFERENCES principal(id)
      );
      CREATE INDEX referral_escalation_referral_idx ON referral_escalation (referral_id, id);
      CREATE INDEX referral_escalation_investigation_idx ON referral_escalation (investigation_id, id);

      CREATE TABLE referral_feedback (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        referral_id bigint NOT NULL REFERENCES referral(id),
        investigation_id bigint NOT NULL REFERENCES investigation(id),
        message text NOT NULL CHECK (length(message) BETWEEN 1 AND 20000),
        author_id bigint REFERENCES principal(id)
      );
      CREATE INDEX referral_feedback_referral_idx ON referral_feedback (referral_id, id);
      CREATE INDEX referral_feedback_investigation_idx ON referral_feedback (investigation_id, id);

      -- Row-level security (see 1763900200000-RowLevelSecurity.ts): internal roles, and the agency of the referral.
      CREATE POLICY scope ON referral_escalation USING (eca_scope() = 'ALL' OR (eca_scope() = 'AGENCY' AND eca_referral_visible(referral_id))) WITH CHECK (true);
      CREATE POLICY scope ON referral_feedback USING (eca_scope() = 'ALL' OR (eca_scope() = 'AGENCY' AND eca_referral_visible(referral_id))) WITH CHECK (true);
      ALTER TABLE referral_escalation ENABLE ROW LEVEL SECURITY;
      ALTER TABLE referral_feedback ENABLE ROW LEVEL SECURITY;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE referral_feedback, referral_escalation;
      DROP INDEX referral_action_by_idx, referral_acknowledge_by_idx;
      ALTER TABLE referral DROP COLUMN action_by, DROP COLUMN acknowledge_by;
    `);
  }
}
