import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Purpose-bound disclosure of seller identifiers (issue 8, point 5).
 *
 * - `seller_identifier.value_encrypted` / `encryption_key_id`: the raw value, encrypted with AES-256-GCM
 *   under a key from the configuration (src/shared/settings.ts), next to the keyed hash that links sellers.
 *   Identifiers recorded before this migration keep their hash only (nothing to reveal).
 * - `eca_disclosable_identifiers(seller, referral)`: the identifiers of one seller that the caller may have
 *   revealed: internal roles any (the resolver admits only investigators and admins), an agency only with a
 *   referral sent to it (not declined) whose leads name the seller. `seller_identifier` stays internal-only
 *   under row-level security; this SECURITY DEFINER function is the one, checked, way for an agency's
 *   request to read it, so the legal basis is enforced by the database as well as by the service.
 */
export class IdentifierDisclosure1763900500000 implements MigrationInterface {
  name = 'IdentifierDisclosure1763900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE seller_identifier
        ADD COLUMN value_encrypted text,
        ADD COLUMN encryption_key_id text,
        ADD CONSTRAINT seller_identifier_encrypted_check CHECK ((value_encrypted IS NULL) = (encryption_key_id IS NULL));

      CREATE FUNCTION eca_disclosable_identifiers(seller bigint, referral bigint)
        RETURNS TABLE (id bigint, kind text, value_hash text, value_encrypted text, encryption_key_id text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          SELECT si.id, si.kind, si.value_hash, si.value_encrypted, si.encryption_key_id
          FROM seller_identifier si
          WHERE si.seller_id = seller
            AND (eca_scope() = 'ALL'
                 OR (eca_scope() = 'AGENCY' AND referral IS NOT NULL AND EXISTS (
                       SELECT 1 FROM referral r
                       JOIN lead l ON l.investigation_id = r.investigation_id
                       JOIN lead_seller ls ON ls.lead_id = l.id
                       WHERE r.id = referral AND r.agency_id = eca_agency() AND r.status NOT IN ('DRAFT', 'DECLINED') AND ls.seller_id = seller)))
          ORDER BY si.id
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION eca_disclosable_identifiers(bigint, bigint);
      ALTER TABLE seller_identifier DROP CONSTRAINT seller_identifier_encrypted_check, DROP COLUMN encryption_key_id, DROP COLUMN value_encrypted;
    `);
  }
}
