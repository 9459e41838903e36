import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/**
 * `seller_sanction (audit_seq, seller_id, at, status)`: each seller sanction (a status change to RESTRICTED,
 * SUSPENDED or CLOSED, by an investigator or escalated by a strike), one narrow row per audit event, for the
 * takedown series of brand partners (issue 15, "Analytics"). The series read each sanction's
 * audit event and its seller through the seller policy, whose check runs once per event: 92,000 events over 26
 * weeks at scale 10, 0.86 s for the brand with most leads. Here the policy tests the seller against the caller's
 * sellers as a set, built once and hashed (src/shared/data-access/policies.sql.ts).
 *
 * - Kept in the transaction of the write by a row trigger on `audit_event` whose WHEN clause lets every other
 *   event pass without calling a function. The audit log is append-only, so a row never changes.
 * - `listing_brand_idx` carries the listing's seller, so that a brand's sellers are read from the index alone.
 */
export class SellerSanction1764700000000 implements MigrationInterface {
  name = 'SellerSanction1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE seller_sanction (
        audit_seq bigint PRIMARY KEY,
        seller_id bigint NOT NULL,
        at timestamptz(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('RESTRICTED', 'SUSPENDED', 'CLOSED'))
      );
      CREATE INDEX seller_sanction_at_idx ON seller_sanction (at) INCLUDE (seller_id, status);
      REVOKE INSERT, UPDATE, DELETE ON seller_sanction FROM eca_app;

      CREATE FUNCTION seller_sanction_event() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      BEGIN
        INSERT INTO seller_sanction (audit_seq, seller_id, at, status)
          VALUES (NEW.seq, NEW.entity_id, NEW.at, NEW.after ->> 'status');
        RETURN NULL;
      END $fn$;
      CREATE TRIGGER seller_sanction_event AFTER INSERT ON audit_event
        FOR EACH ROW WHEN (${SANCTION_EVENT('NEW')}) EXECUTE FUNCTION seller_sanction_event();

      ${SELLER_SANCTION_REBUILD}
      ANALYZE seller_sanction;

      CREATE INDEX listing_brand_seller_idx ON listing (brand_id, created_at, id) INCLUDE (seller_id);
      DROP INDEX listing_brand_idx;
      ALTER INDEX listing_brand_seller_idx RENAME TO listing_brand_idx;
    `);
    await applyPolicies(q, ['seller_sanction']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX listing_brand_plain_idx ON listing (brand_id, created_at, id);
      DROP INDEX listing_brand_idx;
      ALTER INDEX listing_brand_plain_idx RENAME TO listing_brand_idx;
      DROP TRIGGER seller_sanction_event ON audit_event;
      DROP FUNCTION seller_sanction_event();
      DROP TABLE seller_sanction;
    `);
  }
}

/** An audit event that sanctions a seller (as in migration 1764600000000-SanctionRollup). */
function SANCTION_EVENT(e: string): string {
  return `${e}.entity_type = 'Seller' AND ${e}.action IN ('seller.statusChanged', 'seller.struck')
    AND ${e}.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED')
    AND (${e}.before ->> 'status') IS DISTINCT FROM (${e}.after ->> 'status')`;
}

/** Fills seller_sanction from the audit log (src/seed/derived.ts has the seed's own copy). */
const SELLER_SANCTION_REBUILD = `
  DELETE FROM seller_sanction;
  INSERT INTO seller_sanction (audit_seq, seller_id, at, status)
    SELECT e.seq, e.entity_id, e.at, e.after ->> 'status' FROM audit_event e WHERE ${SANCTION_EVENT('e')};`;
