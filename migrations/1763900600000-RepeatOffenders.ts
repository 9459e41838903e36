import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Repeat offenders across identities (issue 8, point 3): a seller that shares identifiers with an earlier
 * offender (a closed seller, or one whose case ended in a conviction), raised with a lead when the
 * identifier is recorded, and confirmed or rejected by an investigator. One row per pair of sellers in
 * either order (the unique index), so that a rejected pair is never raised again. Internal only, like the
 * identifiers it is derived from.
 */
export class RepeatOffenders1763900600000 implements MigrationInterface {
  name = 'RepeatOffenders1763900600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE repeat_offender_match (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        seller_id bigint NOT NULL REFERENCES seller(id),
        prior_seller_id bigint NOT NULL REFERENCES seller(id),
        lead_id bigint NOT NULL REFERENCES lead(id),
        identifier_kinds text[] NOT NULL CHECK (cardinality(identifier_kinds) > 0),
        prior_offences text[] NOT NULL CHECK (cardinality(prior_offences) > 0 AND prior_offences <@ ARRAY['SELLER_CLOSED', 'CONVICTION']),
        status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED')),
        decision_note text,
        decided_at timestamptz(3),
        decided_by_id bigint REFERENCES principal(id),
        version int NOT NULL DEFAULT 1,
        CHECK (seller_id <> prior_seller_id),
        CHECK ((status = 'PENDING') = (decided_at IS NULL))
      );
      CREATE UNIQUE INDEX repeat_offender_match_pair_idx ON repeat_offender_match (LEAST(seller_id, prior_seller_id), GREATEST(seller_id, prior_seller_id));
      CREATE INDEX repeat_offender_match_created_idx ON repeat_offender_match (created_at, id);
      CREATE INDEX repeat_offender_match_seller_idx ON repeat_offender_match (seller_id);
      CREATE INDEX repeat_offender_match_prior_idx ON repeat_offender_match (prior_seller_id);
      CREATE INDEX repeat_offender_match_lead_idx ON repeat_offender_match (lead_id);

      CREATE POLICY scope ON repeat_offender_match USING (eca_scope() = 'ALL') WITH CHECK (true);
      ALTER TABLE repeat_offender_match ENABLE ROW LEVEL SECURITY;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE repeat_offender_match`);
  }
}
