import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cross-brand signal without disclosure (issue 8, point 4): `eca_other_brand_case_counts(kind, ids,
 * caller_brand, exclude_lead_brands)` answers, for each seller or lead id, how many brands have cases
 * (leads, except those closed as NOT_COUNTERFEIT) against the same sellers or their network (sellers
 * sharing an identifier with them), leaving out the caller's own brand and, when asked, the brands the
 * lead itself names.
 *
 * THE ONE INTENTIONAL CROSS-TENANT FIGURE. It is SECURITY DEFINER so that it counts leads of brands the
 * caller may not see; it returns a number per id and never which brands or cases. It answers only for
 * ids the caller may see (eca_seller_visible, eca_lead_visible), so it cannot be used to probe records
 * out of scope. src/shared/data-access/visibility.ts points here.
 */
export class CrossBrandSignal1763900700000 implements MigrationInterface {
  name = 'CrossBrandSignal1763900700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- The lead policy of 1763900200000-RowLevelSecurity.ts as a function, for SECURITY DEFINER callers.
      CREATE FUNCTION eca_lead_visible(lead_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM lead l WHERE l.id = $1 AND (eca_lead_names_brand(l.id, eca_brand()) OR l.reported_by_id = eca_principal()))
            WHEN 'AGENCY' THEN eca_lead_referred_to($1, eca_agency())
            ELSE false END
      $fn$;

      CREATE FUNCTION eca_other_brand_case_counts(kind text, ids bigint[], caller_brand bigint, exclude_lead_brands boolean)
        RETURNS TABLE (id bigint, brands int)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          WITH subject AS (
            SELECT x.id FROM unnest(ids) AS x(id)
            WHERE CASE kind WHEN 'seller' THEN eca_seller_visible(x.id) WHEN 'lead' THEN eca_lead_visible(x.id) ELSE false END
          ),
          sellers AS (
            SELECT s.id, s.id AS seller_id FROM subject s WHERE kind = 'seller'
            UNION SELECT s.id, ls.seller_id FROM subject s JOIN lead_seller ls ON ls.lead_id = s.id WHERE kind = 'lead'
          ),
          network AS (
            SELECT id, seller_id FROM sellers
            UNION SELECT s.id, o.seller_id FROM sellers s
              JOIN seller_identifier m ON m.seller_id = s.seller_id
              JOIN seller_identifier o ON o.kind = m.kind AND o.value_hash = m.value_hash
          )
          SELECT n.id, count(DISTINCT lb.brand_id)::int
          FROM network n
          JOIN lead_seller ls ON ls.seller_id = n.seller_id
          JOIN lead l ON l.id = ls.lead_id AND l.close_reason IS DISTINCT FROM 'NOT_COUNTERFEIT'
          JOIN lead_brand lb ON lb.lead_id = l.id
          WHERE lb.brand_id IS DISTINCT FROM caller_brand
            AND NOT (exclude_lead_brands AND kind = 'lead' AND EXISTS (SELECT 1 FROM lead_brand own WHERE own.lead_id = n.id AND own.brand_id = lb.brand_id))
          GROUP BY n.id
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION eca_other_brand_case_counts(text, bigint[], bigint, boolean), eca_lead_visible(bigint)`);
  }
}
