import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `reporter_accuracy_day`: each brand's reports (leads of source BRAND_REPORT naming it) and the listings of
 * its own named on them, counted per UTC day of the report and per caller scope (issue 15, "Analytics").
 * `Analytics.reporterAccuracy` without a period read every report and every reported listing through their
 * policies, two or three times per request (0.4-7 s at scale 10); without a period it now sums these rows.
 *
 * Scopes: ALL (scope_id 0), whose rows of a brand are also what that brand's partner may see (its leads name
 * it, its listings are its own: visibility.ts), and each AGENCY: the reports behind its non-draft referrals
 * (the brands and listings named on a lead it may see are ones it may see). A listing reported several times
 * counts once, on the day of its first report in that scope; the live computation (with a period) counts it
 * the same way.
 *
 * Refreshed, not kept by triggers: `refresh_analytics_rollups` (the servers' schedule) rebuilds it with the
 * other refreshed rollups; the answer gives the refresh time (`BrandReporterAccuracy.asOf`). The fast track
 * keeps reading the exact `brand_report_stats`.
 */
export class ReporterAccuracyRollup1764300100000 implements MigrationInterface {
  name = 'ReporterAccuracyRollup1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reporter_accuracy_day (
        scope text NOT NULL CHECK (scope IN ('ALL', 'AGENCY')),
        scope_id bigint NOT NULL,
        brand_id bigint NOT NULL,
        day date NOT NULL,
        leads_reported int NOT NULL,
        leads_confirmed int NOT NULL,
        leads_rejected int NOT NULL,
        listings_reported int NOT NULL,
        listings_confirmed int NOT NULL,
        listings_rejected int NOT NULL,
        PRIMARY KEY (scope, scope_id, brand_id, day)
      );
      -- Internal roles read every row; a brand partner the ALL rows of its brand; an agency its own rows.
      ALTER TABLE reporter_accuracy_day ENABLE ROW LEVEL SECURITY;
      CREATE POLICY scope ON reporter_accuracy_day USING (
        eca_scope() = 'ALL'
        OR (eca_scope() = 'BRAND' AND scope = 'ALL' AND brand_id = eca_brand())
        OR (eca_scope() = 'AGENCY' AND scope = 'AGENCY' AND scope_id = eca_agency()));
      REVOKE INSERT, UPDATE, DELETE ON reporter_accuracy_day FROM eca_app;

      CREATE FUNCTION refresh_reporter_accuracy() RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '256MB' AS $fn$
      DECLARE
        started timestamptz := clock_timestamp();
        total bigint;
      BEGIN
        DELETE FROM reporter_accuracy_day;
        INSERT INTO reporter_accuracy_day (scope, scope_id, brand_id, day, leads_reported, leads_confirmed, leads_rejected,
                                           listings_reported, listings_confirmed, listings_rejected)
          WITH reported AS (
                 SELECT l.id AS lead_id, lb.brand_id, l.created_at AS at, eca_report_decision(l.status, l.close_reason) AS decision
                 FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.source = 'BRAND_REPORT'),
               agency_lead AS (
                 SELECT DISTINCT r.agency_id, l.id AS lead_id
                 FROM referral r JOIN lead l ON l.investigation_id = r.investigation_id WHERE r.status <> 'DRAFT'),
               scoped AS (
                 SELECT 'ALL'::text AS scope, 0::bigint AS scope_id, p.* FROM reported p
                 UNION ALL
                 SELECT 'AGENCY', al.agency_id, p.* FROM reported p JOIN agency_lead al ON al.lead_id = p.lead_id),
               first_listing AS (
                 SELECT DISTINCT ON (s.scope, s.scope_id, s.brand_id, x.id) s.scope, s.scope_id, s.brand_id, s.at, x.status
                 FROM scoped s JOIN lead_listing ll ON ll.lead_id = s.lead_id JOIN listing x ON x.id = ll.listing_id AND x.brand_id = s.brand_id
                 ORDER BY s.scope, s.scope_id, s.brand_id, x.id, s.at),
               counted AS (
                 SELECT scope, scope_id, brand_id, (at AT TIME ZONE 'UTC')::date AS day, 1 AS leads,
                        (decision = 'CONFIRMED')::int AS leads_confirmed, (decision = 'REJECTED')::int AS leads_rejected,
                        0 AS listings, 0 AS listings_confirmed, 0 AS listings_rejected
                 FROM scoped
                 UNION ALL
                 SELECT scope, scope_id, brand_id, (at AT TIME ZONE 'UTC')::date, 0, 0, 0,
                        1, (status = 'TAKEN_DOWN')::int, (status = 'REINSTATED')::int
                 FROM first_listing)
          SELECT scope, scope_id, brand_id, day, sum(leads), sum(leads_confirmed), sum(leads_rejected),
                 sum(listings), sum(listings_confirmed), sum(listings_rejected)
          FROM counted GROUP BY 1, 2, 3, 4;
        GET DIAGNOSTICS total = ROW_COUNT;
        INSERT INTO analytics_rollup (name, refreshed_at, duration_ms, row_count)
          VALUES ('reporter_accuracy_day', started, (extract(epoch FROM clock_timestamp() - started) * 1000)::int, total)
          ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms, row_count = EXCLUDED.row_count;
        RETURN total;
      END $fn$;

      -- As in 1764200000000-ScopedOffenceRollups, with reporter_accuracy_day among the refreshed rollups.
      CREATE OR REPLACE FUNCTION refresh_analytics_rollups(max_age interval DEFAULT interval '0') RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        total bigint;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(72100005) THEN
          RETURN -1;
        END IF;
        IF max_age > interval '0' AND (SELECT count(*) FROM analytics_rollup
              WHERE name IN ('seller_network', 'seller_offence', 'scoped_seller_offence', 'network_offence', 'reporter_accuracy_day')
                AND refreshed_at > now() - max_age) = 5 THEN
          RETURN 0;
        END IF;
        PERFORM refresh_seller_network();
        PERFORM refresh_seller_offence();
        total := refresh_scoped_offences();
        PERFORM refresh_reporter_accuracy();
        ANALYZE seller_network, seller_offence, scoped_seller_offence, network_offence, reporter_accuracy_day;
        RETURN total;
      END $fn$;
      REVOKE EXECUTE ON FUNCTION refresh_reporter_accuracy() FROM PUBLIC;

      SELECT refresh_reporter_accuracy();
      ANALYZE reporter_accuracy_day;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION refresh_analytics_rollups(max_age interval DEFAULT interval '0') RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        total bigint;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(72100005) THEN
          RETURN -1;
        END IF;
        IF max_age > interval '0' AND (SELECT count(*) FROM analytics_rollup
              WHERE name IN ('seller_network', 'seller_offence', 'scoped_seller_offence', 'network_offence') AND refreshed_at > now() - max_age) = 4 THEN
          RETURN 0;
        END IF;
        PERFORM refresh_seller_network();
        PERFORM refresh_seller_offence();
        total := refresh_scoped_offences();
        ANALYZE seller_network, seller_offence, scoped_seller_offence, network_offence;
        RETURN total;
      END $fn$;
      DROP FUNCTION refresh_reporter_accuracy();
      DROP TABLE reporter_accuracy_day;
      DELETE FROM analytics_rollup WHERE name = 'reporter_accuracy_day';
    `);
  }
}
