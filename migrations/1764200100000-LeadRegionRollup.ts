import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `lead_region (lead_id, region, sellers)`: the regions of each lead's sellers, with how many of its sellers
 * are in each (issue 15, "Analytics"). The region breakdown read every lead-seller link's seller through the
 * seller policy (178,000 at scale 10: 2-9 s); it now joins the leads it may see to this table.
 *
 * Exact, not refreshed: statement-level triggers keep it in the transaction of the write, like
 * listing_takedown_day (migration 1763911000000): on `lead_seller` (insert, update, delete, truncate) and on
 * `seller` (a seller whose region changes moves its leads). Its row-level security policy admits the rows of
 * the leads the caller may read (the lead table's own policy decides), and the API's role may not write it.
 *
 * `rebuild_analytics_rollups()` rebuilds every analytics rollup from the base tables: this one and
 * listing_takedown_day (kept by triggers: for a load that bypassed them), then the scheduled ones
 * (refresh_analytics_rollups). The seed calls it after loading.
 */
export class LeadRegionRollup1764200100000 implements MigrationInterface {
  name = 'LeadRegionRollup1764200100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lead_region (
        lead_id bigint NOT NULL,
        region text NOT NULL,
        sellers int NOT NULL CHECK (sellers > 0),
        PRIMARY KEY (lead_id, region)
      );
      ALTER TABLE lead_region ENABLE ROW LEVEL SECURITY;
      CREATE POLICY scope ON lead_region USING (eca_scope() = 'ALL' OR EXISTS (SELECT 1 FROM lead l WHERE l.id = lead_region.lead_id));
      REVOKE INSERT, UPDATE, DELETE ON lead_region FROM eca_app;

      -- Adds signed counts of (lead, region), in key order (concurrent writers lock the rows in the same
      -- order), dropping the pairs that fall to zero.
      CREATE FUNCTION lead_region_add(changes jsonb) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
          INSERT INTO lead_region AS r (lead_id, region, sellers)
            SELECT c.lead_id, c.region, c.n FROM jsonb_to_recordset(changes) AS c(lead_id bigint, region text, n int) WHERE c.n > 0 ORDER BY c.lead_id, c.region
            ON CONFLICT (lead_id, region) DO UPDATE SET sellers = r.sellers + EXCLUDED.sellers;
          UPDATE lead_region r SET sellers = r.sellers + c.n
            FROM (SELECT * FROM jsonb_to_recordset(changes) AS c(lead_id bigint, region text, n int) WHERE c.n < 0 ORDER BY c.lead_id, c.region) c
            WHERE r.lead_id = c.lead_id AND r.region = c.region AND r.sellers + c.n > 0;
          DELETE FROM lead_region r USING jsonb_to_recordset(changes) AS c(lead_id bigint, region text, n int)
            WHERE c.n < 0 AND r.lead_id = c.lead_id AND r.region = c.region AND r.sellers + c.n <= 0;
      $fn$;

      CREATE FUNCTION lead_region_lead_seller() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          DELETE FROM lead_region;
          RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN
          SELECT jsonb_agg(c) INTO changes FROM (
            SELECT x.lead_id, v.region, count(*)::int AS n FROM new_rows x JOIN seller v ON v.id = x.seller_id GROUP BY 1, 2) c;
        ELSIF TG_OP = 'DELETE' THEN
          SELECT jsonb_agg(c) INTO changes FROM (
            SELECT x.lead_id, v.region, -count(*)::int AS n FROM old_rows x JOIN seller v ON v.id = x.seller_id GROUP BY 1, 2) c;
        ELSE
          SELECT jsonb_agg(c) INTO changes FROM (
            SELECT t.lead_id, t.region, sum(t.n)::int AS n FROM (
              SELECT x.lead_id, v.region, -1 AS n FROM old_rows x JOIN seller v ON v.id = x.seller_id
              UNION ALL
              SELECT x.lead_id, v.region, 1 FROM new_rows x JOIN seller v ON v.id = x.seller_id) t
            GROUP BY 1, 2 HAVING sum(t.n) <> 0) c;
        END IF;
        IF changes IS NOT NULL THEN
          PERFORM lead_region_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;

      -- A seller whose region changes takes its leads along.
      CREATE FUNCTION lead_region_seller() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        SELECT jsonb_agg(c) INTO changes FROM (
          SELECT t.lead_id, t.region, sum(t.n)::int AS n FROM (
            SELECT ls.lead_id, o.region, -1 AS n
            FROM old_rows o JOIN new_rows v ON v.id = o.id JOIN lead_seller ls ON ls.seller_id = o.id WHERE o.region <> v.region
            UNION ALL
            SELECT ls.lead_id, v.region, 1
            FROM old_rows o JOIN new_rows v ON v.id = o.id JOIN lead_seller ls ON ls.seller_id = o.id WHERE o.region <> v.region) t
          GROUP BY 1, 2 HAVING sum(t.n) <> 0) c;
        IF changes IS NOT NULL THEN
          PERFORM lead_region_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;

      CREATE TRIGGER lead_region_insert AFTER INSERT ON lead_seller REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION lead_region_lead_seller();
      CREATE TRIGGER lead_region_update AFTER UPDATE ON lead_seller REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION lead_region_lead_seller();
      CREATE TRIGGER lead_region_delete AFTER DELETE ON lead_seller REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION lead_region_lead_seller();
      CREATE TRIGGER lead_region_truncate AFTER TRUNCATE ON lead_seller
        FOR EACH STATEMENT EXECUTE FUNCTION lead_region_lead_seller();
      CREATE TRIGGER lead_region_seller_update AFTER UPDATE ON seller REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION lead_region_seller();

      -- Every analytics rollup from the base tables: those kept by triggers (for data loaded around them),
      -- writes to their tables held off meanwhile, then the refreshed ones. For the seed, after loading.
      CREATE FUNCTION rebuild_analytics_rollups() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '256MB' AS $fn$
      BEGIN
        LOCK TABLE lead_seller, listing, seller IN SHARE MODE;
        DELETE FROM lead_region;
        INSERT INTO lead_region (lead_id, region, sellers)
          SELECT ls.lead_id, v.region, count(*) FROM lead_seller ls JOIN seller v ON v.id = ls.seller_id GROUP BY 1, 2;
        DELETE FROM listing_takedown_day;
        INSERT INTO listing_takedown_day (region, day, listings)
          SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date, count(*)
          FROM listing x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2;
        ANALYZE lead_region, listing_takedown_day;
        PERFORM refresh_analytics_rollups();
      END $fn$;
      REVOKE EXECUTE ON FUNCTION lead_region_add(jsonb), rebuild_analytics_rollups() FROM PUBLIC;

      INSERT INTO lead_region (lead_id, region, sellers)
        SELECT ls.lead_id, v.region, count(*) FROM lead_seller ls JOIN seller v ON v.id = ls.seller_id GROUP BY 1, 2;
      ANALYZE lead_region;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION rebuild_analytics_rollups();
      DROP TRIGGER lead_region_seller_update ON seller;
      DROP TRIGGER lead_region_truncate ON lead_seller;
      DROP TRIGGER lead_region_delete ON lead_seller;
      DROP TRIGGER lead_region_update ON lead_seller;
      DROP TRIGGER lead_region_insert ON lead_seller;
      DROP FUNCTION lead_region_seller(), lead_region_lead_seller(), lead_region_add(jsonb);
      DROP TABLE lead_region;
    `);
  }
}
