import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/** The tables with policies at this migration (a table added later gets its policies from its own migration). */
const TABLES = [
  'brand', 'trademark', 'seller', 'seller_identifier', 'seller_strike', 'listing', 'lead', 'investigation', 'finding', 'evidence',
  'custody_transfer', 'premises', 'referral', 'referral_change', 'referral_escalation', 'referral_feedback', 'enforcement_outcome',
  'joint_operation', 'repeat_offender_match', 'idempotency_key', 'brand_report_stats', 'listing_takedown_day', 'lead_region',
  'scoped_seller_offence', 'network_offence', 'principal', 'api_key', 'reporter_accuracy_day',
];

/**
 * Row-level security declared in one place (issue 17): every table's policies are now those of
 * src/shared/data-access/policies.sql.ts, applied here (every earlier policy of those tables dropped), with
 * row-level security enabled and forced on each. Changes of behaviour:
 *
 * - `principal` and `api_key` get row-level security (they had none) and lose what the API never needs:
 *   UPDATE on principal, UPDATE on api_key except `revoked_at`. Creating principals and keys, and revoking
 *   keys, is for administrators (`eca_principal_is_admin()`); the command line runs as the owner.
 * - `lead`: a brand sees the leads that name it, as visibility.ts says; the policy no longer admits the leads
 *   its principal reported (nor does eca_lead_visible, the cross-brand signal's check). A brand's report names
 *   its brand, so the lead is written before it is read back (createLead, src/modules/lead/lead.service.ts).
 * - every policy names its role: `scope` is for eca_app (it was PUBLIC), `owner` admits every row to the
 *   table's owner, which forced row-level security would otherwise scope too.
 *
 * `down` restores the previous definitions exactly as pg_policies showed them on a migrated database.
 */
export class PoliciesInOnePlace1764300300000 implements MigrationInterface {
  name = 'PoliciesInOnePlace1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION eca_principal_is_admin() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $fn$ SELECT EXISTS (SELECT 1 FROM principal p WHERE p.id = eca_principal() AND p.role = 'ADMIN') $fn$;
      CREATE OR REPLACE FUNCTION eca_lead_visible(lead_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN eca_lead_names_brand($1, eca_brand())
            WHEN 'AGENCY' THEN eca_lead_referred_to($1, eca_agency())
            ELSE false END
        $fn$;
      REVOKE UPDATE ON principal FROM eca_app;
      REVOKE UPDATE ON api_key FROM eca_app;
      GRANT UPDATE (revoked_at) ON api_key TO eca_app;
    `);
    await applyPolicies(q, TABLES);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      const policies: { policyname: string }[] = await q.query(`SELECT policyname FROM pg_policies WHERE schemaname = current_schema() AND tablename = $1`, [table]);
      for (const { policyname } of policies) await q.query(`DROP POLICY "${policyname}" ON ${table}`);
      await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    }
    await q.query(`
      ALTER TABLE principal DISABLE ROW LEVEL SECURITY;
      ALTER TABLE api_key DISABLE ROW LEVEL SECURITY;
      REVOKE UPDATE (revoked_at) ON api_key FROM eca_app;
      GRANT UPDATE ON principal, api_key TO eca_app;
      DROP FUNCTION eca_principal_is_admin();
      CREATE OR REPLACE FUNCTION eca_lead_visible(lead_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM lead l WHERE l.id = $1 AND (eca_lead_names_brand(l.id, eca_brand()) OR l.reported_by_id = eca_principal()))
            WHEN 'AGENCY' THEN eca_lead_referred_to($1, eca_agency())
            ELSE false END
      $fn$;
    `);
    await q.query(PREVIOUS_POLICIES);
  }
}

/** The policies before this migration, from pg_policies of a database migrated to 1764200100000. */
const PREVIOUS_POLICIES = `
CREATE POLICY scope ON brand AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR eca_brand_visible(id))) WITH CHECK (true);
CREATE POLICY scope ON brand_report_stats AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR eca_brand_visible(brand_id)));
CREATE POLICY scope ON custody_transfer AS PERMISSIVE FOR ALL TO public USING (
CASE eca_scope()
    WHEN 'ALL'::text THEN true
    WHEN 'AGENCY'::text THEN (EXISTS ( SELECT 1
       FROM (referral_evidence re
         JOIN referral r ON ((r.id = re.referral_id)))
      WHERE ((re.evidence_id = custody_transfer.evidence_id) AND (r.agency_id = eca_agency()) AND (r.status <> 'DRAFT'::text))))
    ELSE false
END) WITH CHECK (true);
CREATE POLICY scope ON enforcement_outcome AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR eca_referral_visible(referral_id))) WITH CHECK (true);
CREATE POLICY scope ON evidence AS PERMISSIVE FOR ALL TO public USING (
CASE eca_scope()
    WHEN 'ALL'::text THEN true
    WHEN 'AGENCY'::text THEN (EXISTS ( SELECT 1
       FROM (referral_evidence re
         JOIN referral r ON ((r.id = re.referral_id)))
      WHERE ((re.evidence_id = evidence.id) AND (r.agency_id = eca_agency()) AND (r.status <> 'DRAFT'::text))))
    ELSE false
END) WITH CHECK (true);
CREATE POLICY scope ON finding AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'AGENCY'::text) AND eca_investigation_referred_to(investigation_id, eca_agency())))) WITH CHECK (true);
CREATE POLICY scope ON idempotency_key AS PERMISSIVE FOR ALL TO public USING ((principal_id = eca_principal())) WITH CHECK ((principal_id = eca_principal()));
CREATE POLICY scope ON investigation AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'BRAND'::text) AND eca_investigation_of_brand(id, eca_brand())) OR ((eca_scope() = 'AGENCY'::text) AND eca_investigation_referred_to(id, eca_agency())))) WITH CHECK (true);
CREATE POLICY scope ON joint_operation AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR eca_operation_visible(id))) WITH CHECK (true);
CREATE POLICY scope ON lead AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'BRAND'::text) AND ((EXISTS ( SELECT 1
   FROM lead_brand lb
  WHERE ((lb.lead_id = lead.id) AND (lb.brand_id = eca_brand())))) OR (reported_by_id = eca_principal()))) OR ((eca_scope() = 'AGENCY'::text) AND (investigation_id IS NOT NULL) AND eca_investigation_referred_to(investigation_id, eca_agency())))) WITH CHECK (true);
CREATE POLICY scope ON lead_region AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR (EXISTS ( SELECT 1
   FROM lead l
  WHERE (l.id = lead_region.lead_id)))));
CREATE POLICY scope ON listing AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'BRAND'::text) AND (brand_id = eca_brand())) OR ((eca_scope() = 'AGENCY'::text) AND (EXISTS ( SELECT 1
   FROM lead_listing ll
  WHERE ((ll.listing_id = listing.id) AND eca_lead_referred_to(ll.lead_id, eca_agency()))))))) WITH CHECK (true);
CREATE POLICY scope ON listing_takedown_day AS PERMISSIVE FOR ALL TO public USING ((eca_scope() = 'ALL'::text));
CREATE POLICY scope ON network_offence AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((scope = eca_scope()) AND (scope_id =
CASE eca_scope()
    WHEN 'BRAND'::text THEN eca_brand()
    WHEN 'AGENCY'::text THEN eca_agency()
    ELSE NULL::bigint
END))));
CREATE POLICY scope ON premises AS PERMISSIVE FOR ALL TO public USING (eca_premises_visible(id)) WITH CHECK (true);
CREATE POLICY scope ON referral AS PERMISSIVE FOR ALL TO public USING (
CASE eca_scope()
    WHEN 'ALL'::text THEN true
    WHEN 'BRAND'::text THEN eca_referral_visible(id)
    WHEN 'AGENCY'::text THEN ((status <> 'DRAFT'::text) AND (agency_id = eca_agency()))
    ELSE false
END) WITH CHECK (true);
CREATE POLICY scope ON referral_change AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR eca_referral_visible(referral_id))) WITH CHECK (true);
CREATE POLICY scope ON referral_escalation AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'AGENCY'::text) AND eca_referral_visible(referral_id)))) WITH CHECK (true);
CREATE POLICY scope ON referral_feedback AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'AGENCY'::text) AND eca_referral_visible(referral_id)))) WITH CHECK (true);
CREATE POLICY scope ON repeat_offender_match AS PERMISSIVE FOR ALL TO public USING ((eca_scope() = 'ALL'::text)) WITH CHECK (true);
CREATE POLICY scope ON scoped_seller_offence AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR ((scope = eca_scope()) AND (scope_id =
CASE eca_scope()
    WHEN 'BRAND'::text THEN eca_brand()
    WHEN 'AGENCY'::text THEN eca_agency()
    ELSE NULL::bigint
END))));
CREATE POLICY scope ON seller AS PERMISSIVE FOR ALL TO public USING (
CASE eca_scope()
    WHEN 'ALL'::text THEN true
    WHEN 'BRAND'::text THEN ((EXISTS ( SELECT 1
       FROM listing l
      WHERE ((l.seller_id = seller.id) AND (l.brand_id = eca_brand())))) OR (EXISTS ( SELECT 1
       FROM (lead_seller ls
         JOIN lead_brand lb ON ((lb.lead_id = ls.lead_id)))
      WHERE ((ls.seller_id = seller.id) AND (lb.brand_id = eca_brand())))))
    WHEN 'AGENCY'::text THEN (EXISTS ( SELECT 1
       FROM lead_seller ls
      WHERE ((ls.seller_id = seller.id) AND eca_lead_referred_to(ls.lead_id, eca_agency()))))
    ELSE false
END) WITH CHECK (true);
CREATE POLICY scope ON seller_identifier AS PERMISSIVE FOR ALL TO public USING ((eca_scope() = 'ALL'::text)) WITH CHECK (true);
CREATE POLICY scope ON seller_strike AS PERMISSIVE FOR ALL TO public USING ((eca_scope() = 'ALL'::text)) WITH CHECK (true);
CREATE POLICY scope ON trademark AS PERMISSIVE FOR ALL TO public USING (((eca_scope() = 'ALL'::text) OR eca_brand_visible(brand_id))) WITH CHECK (true);
CREATE POLICY scope ON reporter_accuracy_day USING (((eca_scope() = 'ALL'::text) OR ((eca_scope() = 'BRAND'::text) AND (scope = 'ALL'::text) AND (brand_id = eca_brand())) OR ((eca_scope() = 'AGENCY'::text) AND (scope = 'AGENCY'::text) AND (scope_id = eca_agency()))));
`;
