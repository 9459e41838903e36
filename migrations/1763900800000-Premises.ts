import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Places (issue 8, point 2): the offline premises behind the online sellers, linked to the findings of
 * investigations and to the outcomes agencies report (a raid happens at premises), so that a premises
 * keeps its raid history. One row per place: the same region and address (case and spacing aside) is the
 * same premises.
 *
 * Visible to internal roles and to an agency whose referrals name it (a finding of an investigation
 * referred to it, or an outcome of its own referral); never to brand partners, who see the region alone,
 * copied onto the outcome (`enforcement_outcome.region`) when it is recorded.
 */
export class Premises1763900800000 implements MigrationInterface {
  name = 'Premises1763900800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE premises (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        kind text NOT NULL CHECK (kind IN ('FACTORY', 'WAREHOUSE', 'WORKSHOP', 'RETAIL', 'ADDRESS')),
        region text NOT NULL CHECK (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
        address text NOT NULL CHECK (length(btrim(address)) BETWEEN 1 AND 1000),
        latitude double precision CHECK (latitude BETWEEN -90 AND 90),
        longitude double precision CHECK (longitude BETWEEN -180 AND 180),
        notes text,
        version int NOT NULL DEFAULT 1,
        CHECK ((latitude IS NULL) = (longitude IS NULL))
      );
      CREATE UNIQUE INDEX premises_address_idx ON premises (region, lower(regexp_replace(btrim(address), '\\s+', ' ', 'g')));
      CREATE INDEX premises_created_idx ON premises (created_at, id);

      ALTER TABLE finding ADD COLUMN premises_id bigint REFERENCES premises(id);
      CREATE INDEX finding_premises_idx ON finding (premises_id) WHERE premises_id IS NOT NULL;
      ALTER TABLE enforcement_outcome
        ADD COLUMN premises_id bigint REFERENCES premises(id),
        ADD COLUMN region text CHECK (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$');
      CREATE INDEX enforcement_outcome_premises_idx ON enforcement_outcome (premises_id, occurred_at, id) WHERE premises_id IS NOT NULL;

      CREATE FUNCTION eca_premises_visible(premises_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM finding f WHERE f.premises_id = $1 AND eca_investigation_referred_to(f.investigation_id, eca_agency()))
                            OR EXISTS (SELECT 1 FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
                                       WHERE o.premises_id = $1 AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')
            ELSE false END
      $fn$;
      CREATE POLICY scope ON premises USING (eca_premises_visible(id)) WITH CHECK (true);
      ALTER TABLE premises ENABLE ROW LEVEL SECURITY;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE enforcement_outcome DROP COLUMN region, DROP COLUMN premises_id;
      ALTER TABLE finding DROP COLUMN premises_id;
      DROP TABLE premises;
      DROP FUNCTION eca_premises_visible(bigint);
    `);
  }
}
