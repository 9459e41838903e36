import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The legal basis of an agency's reveal of seller identifiers is read from the referral's history, not its
 * current status: a referral that was sent to the agency (a SENT change in `referral_change`, the
 * append-only feed) and never declined (no DECLINED change). Before, the function excluded only the
 * statuses DRAFT and DECLINED, so a declined referral moved on to CLOSED became a basis again.
 */
export class DisclosureBasisFromHistory1764000100000 implements MigrationInterface {
  name = 'DisclosureBasisFromHistory1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION eca_disclosable_identifiers(seller bigint, referral bigint)
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
                       WHERE r.id = referral AND r.agency_id = eca_agency() AND ls.seller_id = seller
                         AND EXISTS (SELECT 1 FROM referral_change c WHERE c.referral_id = r.id AND c.agency_id = r.agency_id AND c.kind = 'SENT')
                         AND NOT EXISTS (SELECT 1 FROM referral_change c WHERE c.referral_id = r.id AND c.kind = 'DECLINED'))))
          ORDER BY si.id
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION eca_disclosable_identifiers(seller bigint, referral bigint)
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
}
