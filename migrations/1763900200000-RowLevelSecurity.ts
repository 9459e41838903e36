import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Defence in depth: PostgreSQL itself hides rows outside the caller's scope, so that a query the
 * application forgot to scope still returns nothing it should not. The API's connections run as role
 * `eca_app` (no BYPASSRLS, not the tables' owner); each request sets its scope with transaction-local
 * settings (eca.scope, eca.brand_id, eca.agency_id, eca.principal_id). Migrations, seeding and the CLI
 * run as the owner, to whom the policies do not apply.
 *
 * The predicates restate src/shared/data-access/visibility.ts in SQL on purpose: an independent second
 * implementation. Cross-table checks are SECURITY DEFINER functions, so that no policy expands another
 * table's policy (lead and referral refer to each other) and the rewriter never recurses.
 */
const SCOPED_TABLES = [
  'brand', 'trademark', 'seller', 'seller_identifier', 'listing', 'lead', 'investigation', 'finding',
  'evidence', 'custody_transfer', 'referral', 'enforcement_outcome', 'referral_change', 'idempotency_key',
];

export class RowLevelSecurity1763900200000 implements MigrationInterface {
  name = 'RowLevelSecurity1763900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        CREATE ROLE eca_app NOLOGIN NOBYPASSRLS;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- roles are cluster-wide: one per cluster
      END $$;
      GRANT eca_app TO CURRENT_USER;

      -- What the API may do: read and write case data, append to (never change) the audit trail.
      GRANT USAGE ON SCHEMA public TO eca_app;
      GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO eca_app;
      REVOKE UPDATE ON audit_event FROM eca_app;
      REVOKE INSERT, UPDATE ON migrations FROM eca_app;
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO eca_app;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO eca_app;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO eca_app;

      CREATE FUNCTION eca_setting(name text) RETURNS text LANGUAGE sql STABLE
        AS $$ SELECT NULLIF(current_setting('eca.' || name, true), '') $$;
      CREATE FUNCTION eca_scope() RETURNS text LANGUAGE sql STABLE AS $$ SELECT eca_setting('scope') $$;
      CREATE FUNCTION eca_brand() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT eca_setting('brand_id')::bigint $$;
      CREATE FUNCTION eca_agency() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT eca_setting('agency_id')::bigint $$;
      CREATE FUNCTION eca_principal() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT eca_setting('principal_id')::bigint $$;

      CREATE FUNCTION eca_lead_names_brand(lead_id bigint, brand_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
        AS $$ SELECT EXISTS (SELECT 1 FROM lead_brand lb WHERE lb.lead_id = $1 AND lb.brand_id = $2) $$;
      CREATE FUNCTION eca_investigation_referred_to(investigation_id bigint, agency_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
        AS $$ SELECT EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = $1 AND r.agency_id = $2 AND r.status <> 'DRAFT') $$;
      CREATE FUNCTION eca_lead_referred_to(lead_id bigint, agency_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
        AS $$ SELECT EXISTS (SELECT 1 FROM lead l JOIN referral r ON r.investigation_id = l.investigation_id
                             WHERE l.id = $1 AND r.agency_id = $2 AND r.status <> 'DRAFT') $$;
      CREATE FUNCTION eca_investigation_of_brand(investigation_id bigint, brand_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
        AS $$ SELECT EXISTS (SELECT 1 FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.investigation_id = $1 AND lb.brand_id = $2) $$;

      CREATE FUNCTION eca_brand_visible(brand_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN $1 = eca_brand()
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_brand lb WHERE lb.brand_id = $1 AND eca_lead_referred_to(lb.lead_id, eca_agency()))
            ELSE false END $$;
      CREATE FUNCTION eca_seller_visible(seller_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM listing l WHERE l.seller_id = $1 AND l.brand_id = eca_brand())
                           OR EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = $1 AND eca_lead_names_brand(ls.lead_id, eca_brand()))
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = $1 AND eca_lead_referred_to(ls.lead_id, eca_agency()))
            ELSE false END $$;
      CREATE FUNCTION eca_referral_visible(referral_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM referral r WHERE r.id = $1 AND r.status <> 'DRAFT' AND eca_investigation_of_brand(r.investigation_id, eca_brand()))
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM referral r WHERE r.id = $1 AND r.status <> 'DRAFT' AND r.agency_id = eca_agency())
            ELSE false END $$;
      CREATE FUNCTION eca_evidence_visible(evidence_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT CASE eca_scope()
            WHEN 'ALL' THEN true
            WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM referral_evidence re JOIN referral r ON r.id = re.referral_id
                                       WHERE re.evidence_id = $1 AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')
            ELSE false END $$;

      -- One policy per table. USING decides which rows are read (and which can be updated); new rows
      -- are accepted (WITH CHECK true) since the services decide what may be written, but an INSERT ...
      -- RETURNING must still see its new row, hence "the reporter sees its lead".
      CREATE POLICY scope ON brand USING (eca_brand_visible(id)) WITH CHECK (true);
      CREATE POLICY scope ON trademark USING (eca_brand_visible(brand_id)) WITH CHECK (true);
      CREATE POLICY scope ON seller USING (eca_seller_visible(id)) WITH CHECK (true);
      CREATE POLICY scope ON seller_identifier USING (eca_scope() = 'ALL') WITH CHECK (true);
      CREATE POLICY scope ON listing USING (
        eca_scope() = 'ALL'
        OR (eca_scope() = 'BRAND' AND brand_id = eca_brand())
        OR (eca_scope() = 'AGENCY' AND EXISTS (SELECT 1 FROM lead_listing ll WHERE ll.listing_id = listing.id AND eca_lead_referred_to(ll.lead_id, eca_agency())))
      ) WITH CHECK (true);
      CREATE POLICY scope ON lead USING (
        eca_scope() = 'ALL'
        OR (eca_scope() = 'BRAND' AND (eca_lead_names_brand(id, eca_brand()) OR reported_by_id = eca_principal()))
        OR (eca_scope() = 'AGENCY' AND investigation_id IS NOT NULL AND eca_investigation_referred_to(investigation_id, eca_agency()))
      ) WITH CHECK (true);
      CREATE POLICY scope ON investigation USING (
        eca_scope() = 'ALL'
        OR (eca_scope() = 'BRAND' AND eca_investigation_of_brand(id, eca_brand()))
        OR (eca_scope() = 'AGENCY' AND eca_investigation_referred_to(id, eca_agency()))
      ) WITH CHECK (true);
      CREATE POLICY scope ON finding USING (
        eca_scope() = 'ALL' OR (eca_scope() = 'AGENCY' AND eca_investigation_referred_to(investigation_id, eca_agency()))
      ) WITH CHECK (true);
      CREATE POLICY scope ON evidence USING (eca_evidence_visible(id)) WITH CHECK (true);
      CREATE POLICY scope ON custody_transfer USING (eca_evidence_visible(evidence_id)) WITH CHECK (true);
      CREATE POLICY scope ON referral USING (eca_referral_visible(id)) WITH CHECK (true);
      CREATE POLICY scope ON enforcement_outcome USING (eca_referral_visible(referral_id)) WITH CHECK (true);
      CREATE POLICY scope ON referral_change USING (eca_referral_visible(referral_id)) WITH CHECK (true);
      CREATE POLICY scope ON idempotency_key USING (principal_id = eca_principal()) WITH CHECK (principal_id = eca_principal());
    `);
    for (const table of SCOPED_TABLES) await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of SCOPED_TABLES) {
      await q.query(`DROP POLICY scope ON ${table}`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
    await q.query(`
      DROP FUNCTION eca_evidence_visible(bigint), eca_referral_visible(bigint), eca_seller_visible(bigint), eca_brand_visible(bigint),
        eca_investigation_of_brand(bigint, bigint), eca_lead_referred_to(bigint, bigint), eca_investigation_referred_to(bigint, bigint),
        eca_lead_names_brand(bigint, bigint), eca_principal(), eca_agency(), eca_brand(), eca_scope(), eca_setting(text);
      ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE ON TABLES FROM eca_app;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE ON SEQUENCES FROM eca_app;
      REVOKE ALL ON ALL TABLES IN SCHEMA public FROM eca_app;
      REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM eca_app;
      REVOKE USAGE ON SCHEMA public FROM eca_app;
    `);
  }
}
