import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Same row-level security predicates, cheaper to evaluate (measured in docs/benchmarks.md):
 * - the visibility functions no longer call one another (PostgreSQL re-plans a nested SQL function on
 *   every call): their EXISTS are written as joins;
 * - internal callers (scope ALL) skip the functions altogether;
 * - the lead policy checks lead_brand inline (lead_brand has no policy, so no recursion), which the
 *   planner turns into a hashed subplan;
 * - listing (seller_id, brand_id) makes "does this seller sell this brand" an index-only probe.
 */
const CALLING_POLICIES: Record<string, string> = {
  brand: 'eca_brand_visible(id)',
  trademark: 'eca_brand_visible(brand_id)',
  seller: 'eca_seller_visible(id)',
  evidence: 'eca_evidence_visible(id)',
  custody_transfer: 'eca_evidence_visible(evidence_id)',
  referral: 'eca_referral_visible(id)',
  enforcement_outcome: 'eca_referral_visible(referral_id)',
  referral_change: 'eca_referral_visible(referral_id)',
};

export class RowLevelSecurityFastPaths1763909000000 implements MigrationInterface {
  name = 'RowLevelSecurityFastPaths1763909000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX listing_seller_brand_idx ON listing (seller_id, brand_id);

      CREATE OR REPLACE FUNCTION eca_brand_visible(brand_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN $1 = eca_brand()
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id
                                       JOIN referral r ON r.investigation_id = l.investigation_id
                                       WHERE lb.brand_id = $1 AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')
            ELSE false END $$;
      CREATE OR REPLACE FUNCTION eca_seller_visible(seller_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM listing l WHERE l.seller_id = $1 AND l.brand_id = eca_brand())
                           OR EXISTS (SELECT 1 FROM lead_seller ls JOIN lead_brand lb ON lb.lead_id = ls.lead_id
                                      WHERE ls.seller_id = $1 AND lb.brand_id = eca_brand())
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_seller ls JOIN lead l ON l.id = ls.lead_id
                                       JOIN referral r ON r.investigation_id = l.investigation_id
                                       WHERE ls.seller_id = $1 AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')
            ELSE false END $$;
      CREATE OR REPLACE FUNCTION eca_referral_visible(referral_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM referral r JOIN lead l ON l.investigation_id = r.investigation_id
                                      JOIN lead_brand lb ON lb.lead_id = l.id
                                      WHERE r.id = $1 AND r.status <> 'DRAFT' AND lb.brand_id = eca_brand())
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM referral r WHERE r.id = $1 AND r.status <> 'DRAFT' AND r.agency_id = eca_agency())
            ELSE false END $$;

      ALTER POLICY scope ON lead USING (
        eca_scope() = 'ALL'
        OR (eca_scope() = 'BRAND' AND (EXISTS (SELECT 1 FROM lead_brand lb WHERE lb.lead_id = lead.id AND lb.brand_id = eca_brand())
                                       OR reported_by_id = eca_principal()))
        OR (eca_scope() = 'AGENCY' AND investigation_id IS NOT NULL AND eca_investigation_referred_to(investigation_id, eca_agency()))
      );
    `);
    for (const [table, check] of Object.entries(CALLING_POLICIES)) {
      await q.query(`ALTER POLICY scope ON ${table} USING (eca_scope() = 'ALL' OR ${check})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, check] of Object.entries(CALLING_POLICIES)) await q.query(`ALTER POLICY scope ON ${table} USING (${check})`);
    await q.query(`
      ALTER POLICY scope ON lead USING (
        eca_scope() = 'ALL'
        OR (eca_scope() = 'BRAND' AND (eca_lead_names_brand(id, eca_brand()) OR reported_by_id = eca_principal()))
        OR (eca_scope() = 'AGENCY' AND investigation_id IS NOT NULL AND eca_investigation_referred_to(investigation_id, eca_agency()))
      );
      CREATE OR REPLACE FUNCTION eca_referral_visible(referral_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM referral r WHERE r.id = $1 AND r.status <> 'DRAFT' AND eca_investigation_of_brand(r.investigation_id, eca_brand()))
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM referral r WHERE r.id = $1 AND r.status <> 'DRAFT' AND r.agency_id = eca_agency())
            ELSE false END $$;
      CREATE OR REPLACE FUNCTION eca_seller_visible(seller_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM listing l WHERE l.seller_id = $1 AND l.brand_id = eca_brand())
                           OR EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = $1 AND eca_lead_names_brand(ls.lead_id, eca_brand()))
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = $1 AND eca_lead_referred_to(ls.lead_id, eca_agency()))
            ELSE false END $$;
      CREATE OR REPLACE FUNCTION eca_brand_visible(brand_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN $1 = eca_brand()
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_brand lb WHERE lb.brand_id = $1 AND eca_lead_referred_to(lb.lead_id, eca_agency()))
            ELSE false END $$;
      DROP INDEX listing_seller_brand_idx;
    `);
  }
}
