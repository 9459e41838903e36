import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics at scale 10 (docs/analytics.md, "Timings"): the takedown series of internal callers.
 *
 * - `listing_takedown_day (region, day, listings)`: the listings whose (last) takedown fell on that UTC day,
 *   per region of their seller. Kept exact by statement-level triggers on `listing` (insert, update,
 *   delete, truncate) and on `seller` (a region that changes moves its sellers' takedowns), in the
 *   transaction of the write: never stale, nothing to refresh. Read only for internal callers (its policy
 *   says so too) whose filter is at most a period and regions: a region's monthly series of a year is
 *   then 365 rows instead of the 320,000 takedowns of the year, each checked for its seller's region
 *   (0.4-0.6 s at scale 10). Other filters and other scopes read `listing` as before.
 *   Concurrent takedowns of one region on one day wait for each other's commit on the counter row.
 * - `listing_taken_down_cover_idx`: the takedowns by time with the columns that the listing policy and the
 *   filters read, so that the live series (brand and agency scopes, other filters, the current day) is an
 *   index-only scan; it replaces `listing_taken_down_idx`.
 */
export class TakedownRollup1763911000000 implements MigrationInterface {
  name = 'TakedownRollup1763911000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX listing_taken_down_cover_idx ON listing (taken_down_at) INCLUDE (seller_id, brand_id, id) WHERE taken_down_at IS NOT NULL;
      DROP INDEX listing_taken_down_idx;

      CREATE TABLE listing_takedown_day (
        region text NOT NULL,
        day date NOT NULL,
        -- (no CHECK >= 0: an INSERT ... ON CONFLICT checks the proposed row, a negative change, before the update)
        listings int NOT NULL,
        PRIMARY KEY (region, day)
      );
      -- Internal figures only; written by the triggers alone (SECURITY DEFINER, as the owner).
      ALTER TABLE listing_takedown_day ENABLE ROW LEVEL SECURITY;
      CREATE POLICY scope ON listing_takedown_day USING (eca_scope() = 'ALL');
      REVOKE INSERT, UPDATE, DELETE ON listing_takedown_day FROM eca_app;

      -- Adds the signed counts of (region, day) to the rollup, in key order (concurrent writers lock the
      -- counter rows in the same order), dropping the days that fall to zero.
      CREATE FUNCTION listing_takedown_day_add(changes jsonb) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS $fn$
          INSERT INTO listing_takedown_day AS d (region, day, listings)
            SELECT c.region, c.day, c.n FROM jsonb_to_recordset(changes) AS c(region text, day date, n int) ORDER BY c.region, c.day
            ON CONFLICT (region, day) DO UPDATE SET listings = d.listings + EXCLUDED.listings;
          DELETE FROM listing_takedown_day d USING jsonb_to_recordset(changes) AS c(region text, day date, n int)
            WHERE d.region = c.region AND d.day = c.day AND d.listings = 0;
      $fn$;

      CREATE FUNCTION listing_takedown_day_listing() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          DELETE FROM listing_takedown_day;
          RETURN NULL;
        END IF;
        -- Each takedown leaving (old rows) counts -1 on its day and region, each arriving (new rows) +1;
        -- an update that changes neither the takedown time nor the seller changes nothing.
        IF TG_OP = 'INSERT' THEN
          SELECT jsonb_agg(c) INTO changes FROM (
            SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
            FROM new_rows x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2) c;
        ELSIF TG_OP = 'DELETE' THEN
          SELECT jsonb_agg(c) INTO changes FROM (
            SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date AS day, -count(*)::int AS n
            FROM old_rows x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2) c;
        ELSE
          SELECT jsonb_agg(c) INTO changes FROM (
            SELECT t.region, t.day, sum(t.n)::int AS n FROM (
              SELECT v.region, (o.taken_down_at AT TIME ZONE 'UTC')::date AS day, -1 AS n
              FROM old_rows o JOIN new_rows x ON x.id = o.id JOIN seller v ON v.id = o.seller_id
              WHERE o.taken_down_at IS NOT NULL AND (o.taken_down_at IS DISTINCT FROM x.taken_down_at OR o.seller_id <> x.seller_id)
              UNION ALL
              SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date, 1
              FROM old_rows o JOIN new_rows x ON x.id = o.id JOIN seller v ON v.id = x.seller_id
              WHERE x.taken_down_at IS NOT NULL AND (o.taken_down_at IS DISTINCT FROM x.taken_down_at OR o.seller_id <> x.seller_id)) t
            GROUP BY 1, 2 HAVING sum(t.n) <> 0) c;
        END IF;
        IF changes IS NOT NULL THEN
          PERFORM listing_takedown_day_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;

      -- A seller whose region changes takes its listings' takedowns along.
      CREATE FUNCTION listing_takedown_day_seller() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        SELECT jsonb_agg(c) INTO changes FROM (
          SELECT t.region, t.day, sum(t.n)::int AS n FROM (
            SELECT o.region, (x.taken_down_at AT TIME ZONE 'UTC')::date AS day, -1 AS n
            FROM old_rows o JOIN new_rows v ON v.id = o.id JOIN listing x ON x.seller_id = o.id
            WHERE o.region <> v.region AND x.taken_down_at IS NOT NULL
            UNION ALL
            SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date, 1
            FROM old_rows o JOIN new_rows v ON v.id = o.id JOIN listing x ON x.seller_id = o.id
            WHERE o.region <> v.region AND x.taken_down_at IS NOT NULL) t
          GROUP BY 1, 2 HAVING sum(t.n) <> 0) c;
        IF changes IS NOT NULL THEN
          PERFORM listing_takedown_day_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;

      CREATE TRIGGER listing_takedown_day_insert AFTER INSERT ON listing REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION listing_takedown_day_listing();
      CREATE TRIGGER listing_takedown_day_update AFTER UPDATE ON listing REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION listing_takedown_day_listing();
      CREATE TRIGGER listing_takedown_day_delete AFTER DELETE ON listing REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION listing_takedown_day_listing();
      CREATE TRIGGER listing_takedown_day_truncate AFTER TRUNCATE ON listing
        FOR EACH STATEMENT EXECUTE FUNCTION listing_takedown_day_listing();
      CREATE TRIGGER listing_takedown_day_seller_update AFTER UPDATE ON seller REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION listing_takedown_day_seller();

      INSERT INTO listing_takedown_day (region, day, listings)
        SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date, count(*)
        FROM listing x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER listing_takedown_day_seller_update ON seller;
      DROP TRIGGER listing_takedown_day_truncate ON listing;
      DROP TRIGGER listing_takedown_day_delete ON listing;
      DROP TRIGGER listing_takedown_day_update ON listing;
      DROP TRIGGER listing_takedown_day_insert ON listing;
      DROP FUNCTION listing_takedown_day_seller(), listing_takedown_day_listing(), listing_takedown_day_add(jsonb);
      DROP TABLE listing_takedown_day;
      CREATE INDEX listing_taken_down_idx ON listing (taken_down_at) WHERE taken_down_at IS NOT NULL;
      DROP INDEX listing_taken_down_cover_idx;
    `);
  }
}
