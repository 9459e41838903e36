import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Repeat offenders ranked from rollups for every caller (issue 15, "Analytics"), not only for internal roles:
 * a brand's or an agency's unfiltered ranking was computed live and hit the statement timeout at scale 10
 * (the offending sellers' strike counts read through the seller policy, 28,000 of them for the largest brand).
 *
 * - `scoped_seller_offence (scope, scope_id, seller_id, strikes, leads, takedowns)`: per brand and per agency,
 *   each seller's leads and listings taken down within what that tenant may see (visibility.ts): a brand its
 *   leads (naming it) and its listings; an agency the leads behind its non-draft referrals, the listings on
 *   them, and only the sellers on those leads. Internal roles keep `seller_offence`.
 * - `network_offence (scope, scope_id, network_id, ...)`: per caller scope (ALL with scope_id 0, each brand,
 *   each agency), each network of `seller_network` with a lead or a takedown in that scope: its distinct leads
 *   and takedowns, and its members that scope may see (at least two): how many, their strikes, the first 20
 *   by strikes.
 *
 * Both are keyed by scope and their row-level security policy admits a brand's or an agency's rows to that
 * tenant only. `refresh_analytics_rollups(max_age)` rebuilds every analytics rollup that is refreshed rather
 * than kept by triggers (seller_network, seller_offence and these two) from the base tables, unless the
 * newest refresh is younger than `max_age`; one refresh at a time (advisory lock). The servers call it on a
 * schedule (src/modules/analytics/rollup-refresh.ts), the seed after loading (`refresh_analytics_rollups()`),
 * and this migration fills them for an existing database.
 */
export class ScopedOffenceRollups1764200000000 implements MigrationInterface {
  name = 'ScopedOffenceRollups1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scoped_seller_offence (
        scope text NOT NULL CHECK (scope IN ('BRAND', 'AGENCY')),
        scope_id bigint NOT NULL,
        seller_id bigint NOT NULL,
        strikes int NOT NULL,
        leads int NOT NULL,
        takedowns int NOT NULL,
        PRIMARY KEY (scope, scope_id, seller_id)
      );
      CREATE INDEX scoped_seller_offence_strikes_idx ON scoped_seller_offence (scope, scope_id, strikes DESC, leads DESC, takedowns DESC, seller_id);
      CREATE INDEX scoped_seller_offence_leads_idx ON scoped_seller_offence (scope, scope_id, leads DESC, strikes DESC, takedowns DESC, seller_id);
      CREATE INDEX scoped_seller_offence_takedowns_idx ON scoped_seller_offence (scope, scope_id, takedowns DESC, strikes DESC, leads DESC, seller_id);

      CREATE TABLE network_offence (
        scope text NOT NULL CHECK (scope IN ('ALL', 'BRAND', 'AGENCY')),
        scope_id bigint NOT NULL,
        network_id bigint NOT NULL,
        seller_count int NOT NULL,
        strikes bigint NOT NULL,
        leads int NOT NULL,
        takedowns int NOT NULL,
        -- The first 20 members the scope may see, most strikes first, then by id.
        members bigint[] NOT NULL,
        PRIMARY KEY (scope, scope_id, network_id)
      );
      CREATE INDEX network_offence_strikes_idx ON network_offence (scope, scope_id, strikes DESC, leads DESC, takedowns DESC, network_id);
      CREATE INDEX network_offence_leads_idx ON network_offence (scope, scope_id, leads DESC, strikes DESC, takedowns DESC, network_id);
      CREATE INDEX network_offence_takedowns_idx ON network_offence (scope, scope_id, takedowns DESC, strikes DESC, leads DESC, network_id);

      -- A brand reads its own rows, an agency its own; internal roles every row. The API writes none.
      ALTER TABLE scoped_seller_offence ENABLE ROW LEVEL SECURITY;
      ALTER TABLE network_offence ENABLE ROW LEVEL SECURITY;
      CREATE POLICY scope ON scoped_seller_offence USING (
        eca_scope() = 'ALL' OR (scope = eca_scope() AND scope_id = CASE eca_scope() WHEN 'BRAND' THEN eca_brand() WHEN 'AGENCY' THEN eca_agency() END));
      CREATE POLICY scope ON network_offence USING (
        eca_scope() = 'ALL' OR (scope = eca_scope() AND scope_id = CASE eca_scope() WHEN 'BRAND' THEN eca_brand() WHEN 'AGENCY' THEN eca_agency() END));
      REVOKE INSERT, UPDATE, DELETE ON scoped_seller_offence, network_offence FROM eca_app;

      CREATE FUNCTION refresh_scoped_offences() RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '256MB' AS $fn$
      DECLARE
        started timestamptz := clock_timestamp();
        total bigint;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(72100004) THEN
          RETURN -1;
        END IF;
        DROP TABLE IF EXISTS pg_temp.ro_agency_lead, pg_temp.ro_lead, pg_temp.ro_takedown, pg_temp.ro_visible;
        -- The leads an agency may see: behind a referral of their investigation sent to it (never a draft).
        CREATE TEMP TABLE ro_agency_lead ON COMMIT DROP AS
          SELECT DISTINCT r.agency_id, l.id AS lead_id
          FROM referral r JOIN lead l ON l.investigation_id = r.investigation_id
          WHERE r.status <> 'DRAFT';
        -- Offences per scope: (lead, seller) pairs and taken-down listings each scope may see.
        CREATE TEMP TABLE ro_lead ON COMMIT DROP AS
          SELECT 'ALL'::text AS scope, 0::bigint AS scope_id, ls.seller_id, ls.lead_id FROM lead_seller ls
          UNION ALL
          SELECT 'BRAND', lb.brand_id, ls.seller_id, ls.lead_id FROM lead_brand lb JOIN lead_seller ls ON ls.lead_id = lb.lead_id
          UNION ALL
          SELECT 'AGENCY', al.agency_id, ls.seller_id, ls.lead_id FROM ro_agency_lead al JOIN lead_seller ls ON ls.lead_id = al.lead_id;
        CREATE TEMP TABLE ro_takedown ON COMMIT DROP AS
          SELECT 'ALL'::text AS scope, 0::bigint AS scope_id, x.seller_id, x.id AS listing_id FROM listing x WHERE x.taken_down_at IS NOT NULL
          UNION ALL
          SELECT 'BRAND', x.brand_id, x.seller_id, x.id FROM listing x WHERE x.taken_down_at IS NOT NULL
          UNION ALL
          SELECT DISTINCT 'AGENCY', al.agency_id, x.seller_id, x.id
          FROM ro_agency_lead al JOIN lead_listing ll ON ll.lead_id = al.lead_id JOIN listing x ON x.id = ll.listing_id
          WHERE x.taken_down_at IS NOT NULL;
        -- The sellers an agency may see: on its leads (a brand sees every seller of its offences).
        CREATE TEMP TABLE ro_visible ON COMMIT DROP AS
          SELECT DISTINCT al.agency_id, ls.seller_id FROM ro_agency_lead al JOIN lead_seller ls ON ls.lead_id = al.lead_id;
        ANALYZE pg_temp.ro_lead;
        ANALYZE pg_temp.ro_takedown;

        DELETE FROM scoped_seller_offence;
        INSERT INTO scoped_seller_offence (scope, scope_id, seller_id, strikes, leads, takedowns)
          SELECT o.scope, o.scope_id, o.seller_id, v.strike_count, sum(o.leads), sum(o.takedowns)
          FROM (SELECT scope, scope_id, seller_id, count(*) AS leads, 0 AS takedowns FROM pg_temp.ro_lead WHERE scope <> 'ALL' GROUP BY 1, 2, 3
                UNION ALL
                SELECT scope, scope_id, seller_id, 0, count(*) FROM pg_temp.ro_takedown WHERE scope <> 'ALL' GROUP BY 1, 2, 3) o
          JOIN seller v ON v.id = o.seller_id
          WHERE o.scope = 'BRAND' OR EXISTS (SELECT 1 FROM pg_temp.ro_visible w WHERE w.agency_id = o.scope_id AND w.seller_id = o.seller_id)
          GROUP BY o.scope, o.scope_id, o.seller_id, v.strike_count;
        GET DIAGNOSTICS total = ROW_COUNT;
        INSERT INTO analytics_rollup (name, refreshed_at, duration_ms, row_count)
          VALUES ('scoped_seller_offence', started, (extract(epoch FROM clock_timestamp() - started) * 1000)::int, total)
          ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms, row_count = EXCLUDED.row_count;

        -- Networks: leads and takedowns over all members; size, strikes and the members listed over the
        -- members the scope may see (ALL: every member; a brand: those with a listing of it or on a lead
        -- naming it; an agency: those on its leads), at least two.
        DELETE FROM network_offence;
        INSERT INTO network_offence (scope, scope_id, network_id, seller_count, strikes, leads, takedowns, members)
          WITH per_network AS (
                 SELECT scope, scope_id, network_id, sum(leads)::int AS leads, sum(takedowns)::int AS takedowns
                 FROM (SELECT o.scope, o.scope_id, sn.network_id, count(DISTINCT o.lead_id) AS leads, 0 AS takedowns
                       FROM pg_temp.ro_lead o JOIN seller_network sn ON sn.seller_id = o.seller_id GROUP BY 1, 2, 3
                       UNION ALL
                       SELECT o.scope, o.scope_id, sn.network_id, 0, count(*)
                       FROM pg_temp.ro_takedown o JOIN seller_network sn ON sn.seller_id = o.seller_id GROUP BY 1, 2, 3) x
                 GROUP BY 1, 2, 3),
               visible AS (
                 SELECT 'ALL'::text AS scope, 0::bigint AS scope_id, sn.network_id, sn.seller_id FROM seller_network sn
                 UNION
                 SELECT 'BRAND', x.brand_id, sn.network_id, sn.seller_id FROM seller_network sn JOIN listing x ON x.seller_id = sn.seller_id
                 UNION
                 SELECT 'BRAND', lb.brand_id, sn.network_id, sn.seller_id
                 FROM seller_network sn JOIN lead_seller ls ON ls.seller_id = sn.seller_id JOIN lead_brand lb ON lb.lead_id = ls.lead_id
                 UNION
                 SELECT 'AGENCY', w.agency_id, sn.network_id, sn.seller_id FROM seller_network sn JOIN pg_temp.ro_visible w ON w.seller_id = sn.seller_id)
          SELECT p.scope, p.scope_id, p.network_id, count(*), sum(v.strike_count), p.leads, p.takedowns,
                 (array_agg(v.id ORDER BY v.strike_count DESC, v.id))[1:20]
          FROM per_network p
          JOIN visible m ON m.scope = p.scope AND m.scope_id = p.scope_id AND m.network_id = p.network_id
          JOIN seller v ON v.id = m.seller_id
          GROUP BY p.scope, p.scope_id, p.network_id, p.leads, p.takedowns
          HAVING count(*) >= 2;
        GET DIAGNOSTICS total = ROW_COUNT;
        INSERT INTO analytics_rollup (name, refreshed_at, duration_ms, row_count)
          VALUES ('network_offence', started, (extract(epoch FROM clock_timestamp() - started) * 1000)::int, total)
          ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms, row_count = EXCLUDED.row_count;
        RETURN total;
      END $fn$;

      -- Every refreshed analytics rollup, from the base tables, in dependency order (the networks first),
      -- unless the oldest of them is younger than max_age (several servers share one schedule). One
      -- refresh at a time: a call that finds one running returns at once (-1).
      CREATE FUNCTION refresh_analytics_rollups(max_age interval DEFAULT interval '0') RETURNS bigint
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
        -- Fresh statistics, so that a ranking reads its scope's rows in index order and stops at its page
        -- (without them the planner expects a handful of rows and sorts all of a large brand's).
        ANALYZE seller_network, seller_offence, scoped_seller_offence, network_offence;
        RETURN total;
      END $fn$;
      REVOKE EXECUTE ON FUNCTION refresh_scoped_offences(), refresh_analytics_rollups(interval) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION refresh_analytics_rollups(interval) TO eca_app;

      SELECT refresh_analytics_rollups();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION refresh_analytics_rollups(interval), refresh_scoped_offences();
      DROP TABLE network_offence, scoped_seller_offence;
      DELETE FROM analytics_rollup WHERE name IN ('scoped_seller_offence', 'network_offence');
    `);
  }
}
