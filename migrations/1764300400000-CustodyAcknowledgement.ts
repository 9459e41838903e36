import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A custody transfer may name its receiver in the system, an agency (`to_agency_id`), and that receiver
 * acknowledges it (`acknowledged_at`, `acknowledged_by_id`: one of the agency's liaisons). A transfer to a
 * receiver outside the system (a lab, a store) names none and awaits no acknowledgement.
 *
 * A recorded hand-over is not edited: the API's role loses UPDATE on the table but for the two acknowledgement
 * columns, and a trigger refuses any change to a transfer once acknowledged (an acknowledgement is given once).
 */
export class CustodyAcknowledgement1764300400000 implements MigrationInterface {
  name = 'CustodyAcknowledgement1764300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE custody_transfer
        ADD COLUMN to_agency_id bigint REFERENCES agency (id),
        ADD COLUMN acknowledged_at timestamptz,
        ADD COLUMN acknowledged_by_id bigint REFERENCES principal (id),
        ADD CONSTRAINT custody_transfer_acknowledgement_whole
          CHECK ((acknowledged_at IS NULL) = (acknowledged_by_id IS NULL)),
        ADD CONSTRAINT custody_transfer_acknowledged_by_receiver
          CHECK (acknowledged_at IS NULL OR to_agency_id IS NOT NULL);
      CREATE INDEX custody_transfer_awaiting_agency ON custody_transfer (to_agency_id)
        WHERE to_agency_id IS NOT NULL AND acknowledged_at IS NULL;

      REVOKE UPDATE ON custody_transfer FROM eca_app;
      GRANT UPDATE (acknowledged_at, acknowledged_by_id) ON custody_transfer TO eca_app;

      CREATE FUNCTION eca_custody_transfer_unchanged() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'custody transfer % was acknowledged on %: it cannot change', OLD.id, OLD.acknowledged_at
          USING ERRCODE = 'check_violation';
      END $fn$;
      CREATE TRIGGER custody_transfer_acknowledged_once BEFORE UPDATE ON custody_transfer
        FOR EACH ROW WHEN (OLD.acknowledged_at IS NOT NULL) EXECUTE FUNCTION eca_custody_transfer_unchanged();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER custody_transfer_acknowledged_once ON custody_transfer;
      DROP FUNCTION eca_custody_transfer_unchanged();
      GRANT UPDATE ON custody_transfer TO eca_app;
      DROP INDEX custody_transfer_awaiting_agency;
      ALTER TABLE custody_transfer
        DROP CONSTRAINT custody_transfer_acknowledged_by_receiver,
        DROP CONSTRAINT custody_transfer_acknowledgement_whole,
        DROP COLUMN acknowledged_by_id,
        DROP COLUMN acknowledged_at,
        DROP COLUMN to_agency_id;
    `);
  }
}
