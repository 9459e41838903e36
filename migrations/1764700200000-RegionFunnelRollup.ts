import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/**
 * `region_funnel`: the enforcement funnel of every lead, per region of its sellers, for internal callers'
 * `regionBreakdown` without a filter other than regions (issue 15, "Analytics"). Counted live, it joined every
 * lead (90,000 at scale 10) with its stages to its 167,000 regions, in a plan chosen for the ~700 leads that
 * PostgreSQL expects of the lead policy's estimate: 170-200 ms of the administrator's 230-255.
 *
 * Refreshed, not kept by triggers (a lead's stages change with its referrals and their outcomes):
 * `refresh_analytics_rollups` rebuilds it with the other refreshed rollups on the servers' schedule, and the
 * answer gives the refresh time (`RegionFigures.funnelAsOf`). Internal only: a partner's figures stay live.
 * Its columns are the funnel's counts as src/modules/analytics/analytics.service.ts counts them (leadStages,
 * funnelColumns); test/analytics/region-breakdown.test.ts holds the two equal.
 */
export class RegionFunnelRollup1764700200000 implements MigrationInterface {
  name = 'RegionFunnelRollup1764700200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE region_funnel (
        region text PRIMARY KEY,
        leads int NOT NULL,
        triaged int NOT NULL,
        triaged_from_previous int NOT NULL,
        investigated int NOT NULL,
        investigated_from_previous int NOT NULL,
        referred int NOT NULL,
        referred_from_previous int NOT NULL,
        actioned int NOT NULL,
        actioned_from_previous int NOT NULL,
        convicted int NOT NULL,
        convicted_from_previous int NOT NULL
      );
      REVOKE INSERT, UPDATE, DELETE ON region_funnel FROM eca_app;

      CREATE FUNCTION refresh_region_funnel() RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '64MB' AS $fn$
      DECLARE
        started timestamptz := clock_timestamp();
        total bigint;
      BEGIN
        DELETE FROM region_funnel;
        INSERT INTO region_funnel
          WITH fi AS (
                 SELECT r.investigation_id, bool_or(o.kind IN ('RAID', 'SEIZURE', 'FINE')) AS actioned,
                        bool_or(o.kind = 'CONVICTION') AS convicted
                 FROM referral r
                 LEFT JOIN enforcement_outcome o ON o.referral_id = r.id AND o.kind IN ('RAID', 'SEIZURE', 'FINE', 'CONVICTION')
                 WHERE r.sent_at IS NOT NULL GROUP BY r.investigation_id),
               f AS (
                 SELECT l.id,
                        (l.triaged_at IS NOT NULL OR l.status IN ('TRIAGED', 'INVESTIGATING', 'REFERRED') OR l.investigation_id IS NOT NULL) AS triaged,
                        l.investigation_id IS NOT NULL AS investigated, fi.investigation_id IS NOT NULL AS referred,
                        coalesce(fi.actioned, FALSE) AS actioned, coalesce(fi.convicted, FALSE) AS convicted
                 FROM lead l LEFT JOIN fi ON fi.investigation_id = l.investigation_id)
          SELECT lr.region, count(*),
                 count(*) FILTER (WHERE f.triaged), count(*) FILTER (WHERE f.triaged),
                 count(*) FILTER (WHERE f.investigated), count(*) FILTER (WHERE f.triaged AND f.investigated),
                 count(*) FILTER (WHERE f.referred), count(*) FILTER (WHERE f.investigated AND f.referred),
                 count(*) FILTER (WHERE f.actioned), count(*) FILTER (WHERE f.referred AND f.actioned),
                 count(*) FILTER (WHERE f.convicted), count(*) FILTER (WHERE f.actioned AND f.convicted)
          FROM f JOIN lead_region lr ON lr.lead_id = f.id
          GROUP BY lr.region;
        GET DIAGNOSTICS total = ROW_COUNT;
        INSERT INTO analytics_rollup (name, refreshed_at, duration_ms, row_count)
          VALUES ('region_funnel', started, (extract(epoch FROM clock_timestamp() - started) * 1000)::int, total)
          ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms, row_count = EXCLUDED.row_count;
        RETURN total;
      END $fn$;
      REVOKE EXECUTE ON FUNCTION refresh_region_funnel() FROM PUBLIC;

      ${refreshAnalyticsRollups(true)}

      SELECT refresh_region_funnel();
      ANALYZE region_funnel;
    `);
    await applyPolicies(q, ['region_funnel']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ${refreshAnalyticsRollups(false)}
      DROP FUNCTION refresh_region_funnel();
      DROP TABLE region_funnel;
      DELETE FROM analytics_rollup WHERE name = 'region_funnel';
    `);
  }
}

/** `refresh_analytics_rollups` as migration 1764300100000 made it, with region_funnel or without (down). */
function refreshAnalyticsRollups(withRegionFunnel: boolean): string {
  const names = [
    'seller_network',
    'seller_offence',
    'scoped_seller_offence',
    'network_offence',
    'reporter_accuracy_day',
    ...(withRegionFunnel ? ['region_funnel'] : []),
  ];
  return `CREATE OR REPLACE FUNCTION refresh_analytics_rollups(max_age interval DEFAULT interval '0') RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
  DECLARE
    total bigint;
  BEGIN
    IF NOT pg_try_advisory_xact_lock(72100005) THEN
      RETURN -1;
    END IF;
    IF max_age > interval '0' AND (SELECT count(*) FROM analytics_rollup
          WHERE name IN (${names.map((name) => `'${name}'`).join(', ')})
            AND refreshed_at > now() - max_age) = ${names.length} THEN
      RETURN 0;
    END IF;
    PERFORM refresh_seller_network();
    PERFORM refresh_seller_offence();
    total := refresh_scoped_offences();
    PERFORM refresh_reporter_accuracy();
    ${withRegionFunnel ? 'PERFORM refresh_region_funnel();' : ''}
    ANALYZE ${names.join(', ')};
    RETURN total;
  END $fn$;`;
}
