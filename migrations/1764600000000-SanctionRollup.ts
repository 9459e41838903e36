import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/**
 * `seller_sanction_day (region, day, status, sanctions)`: the seller sanctions (a status change to RESTRICTED,
 * SUSPENDED or CLOSED, by an investigator or escalated by a strike) per UTC day and region of the seller, for
 * the takedown series of internal callers (issue 15, "Analytics"). The series read each sanction's audit event
 * (92,000 over 26 weeks at scale 10), its status out of the event's JSON and its seller: 0.3-0.4 s for an
 * administrator. Internal only, as listing_takedown_day (migration 1763911000000), which it mirrors:
 *
 * - kept exact in the transaction of the write: a row trigger on `audit_event`, whose WHEN clause lets every
 *   other event pass without calling a function (the audit log is append-only, so inserts are all it sees);
 *   and a statement trigger on `seller`, a seller whose region changes taking its sanctions along;
 * - the whole days are read from it, the day of the period's end from the audit log;
 * - `rebuild_analytics_rollups()` rebuilds it too.
 */
export class SanctionRollup1764600000000 implements MigrationInterface {
  name = 'SanctionRollup1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE seller_sanction_day (
        region text NOT NULL,
        day date NOT NULL,
        status text NOT NULL CHECK (status IN ('RESTRICTED', 'SUSPENDED', 'CLOSED')),
        sanctions int NOT NULL,
        PRIMARY KEY (region, day, status)
      );
      REVOKE INSERT, UPDATE, DELETE ON seller_sanction_day FROM eca_app;

      -- Adds signed counts of (region, day, status), in key order (concurrent writers lock the counter rows in the
      -- same order), dropping the rows that fall to zero.
      CREATE FUNCTION seller_sanction_day_add(changes jsonb) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
          INSERT INTO seller_sanction_day AS d (region, day, status, sanctions)
            SELECT c.region, c.day, c.status, c.n FROM jsonb_to_recordset(changes) AS c(region text, day date, status text, n int)
            ORDER BY c.region, c.day, c.status
            ON CONFLICT (region, day, status) DO UPDATE SET sanctions = d.sanctions + EXCLUDED.sanctions;
          DELETE FROM seller_sanction_day d USING jsonb_to_recordset(changes) AS c(region text, day date, status text, n int)
            WHERE d.region = c.region AND d.day = c.day AND d.status = c.status AND d.sanctions = 0;
      $fn$;

      -- The sanction of one audit event (the trigger's WHEN clause has checked that it is one).
      CREATE FUNCTION seller_sanction_day_event() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      BEGIN
        PERFORM seller_sanction_day_add(jsonb_build_array(jsonb_build_object(
          'region', v.region, 'day', (NEW.at AT TIME ZONE 'UTC')::date, 'status', NEW.after ->> 'status', 'n', 1)))
        FROM seller v WHERE v.id = NEW.entity_id;
        RETURN NULL;
      END $fn$;

      -- A seller whose region changes takes its sanctions along.
      CREATE FUNCTION seller_sanction_day_seller() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        SELECT jsonb_agg(c) INTO changes FROM (
          SELECT t.region, t.day, t.status, sum(t.n)::int AS n FROM (
            SELECT r.region, (e.at AT TIME ZONE 'UTC')::date AS day, e.after ->> 'status' AS status, r.n
            FROM old_rows o JOIN new_rows v ON v.id = o.id AND o.region <> v.region
            CROSS JOIN LATERAL (VALUES (o.region, -1), (v.region, 1)) AS r(region, n)
            JOIN audit_event e ON e.entity_type = 'Seller' AND e.entity_id = o.id
            WHERE ${SANCTION_EVENT('e')}) t
          GROUP BY 1, 2, 3 HAVING sum(t.n) <> 0) c;
        IF changes IS NOT NULL THEN
          PERFORM seller_sanction_day_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;
      REVOKE EXECUTE ON FUNCTION seller_sanction_day_add(jsonb) FROM PUBLIC;

      CREATE TRIGGER seller_sanction_day_event AFTER INSERT ON audit_event
        FOR EACH ROW WHEN (${SANCTION_EVENT('NEW')}) EXECUTE FUNCTION seller_sanction_day_event();
      CREATE TRIGGER seller_sanction_day_seller_update AFTER UPDATE ON seller REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION seller_sanction_day_seller();

      ${SANCTION_DAY_REBUILD}
      ANALYZE seller_sanction_day;
      ${rebuildAnalyticsRollups(true)}
    `);
    await applyPolicies(q, ['seller_sanction_day']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ${rebuildAnalyticsRollups(false)}
      DROP TRIGGER seller_sanction_day_seller_update ON seller;
      DROP TRIGGER seller_sanction_day_event ON audit_event;
      DROP TABLE seller_sanction_day;
      DROP FUNCTION seller_sanction_day_seller();
      DROP FUNCTION seller_sanction_day_event();
      DROP FUNCTION seller_sanction_day_add(jsonb);
    `);
  }
}

/** An audit event that sanctions a seller: its status changed to RESTRICTED, SUSPENDED or CLOSED. */
function SANCTION_EVENT(e: string): string {
  return `${e}.entity_type = 'Seller' AND ${e}.action IN ('seller.statusChanged', 'seller.struck')
    AND ${e}.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED')
    AND (${e}.before ->> 'status') IS DISTINCT FROM (${e}.after ->> 'status')`;
}

/** Fills seller_sanction_day from the audit log (src/seed/derived.ts has the seed's own copy, as for the other rollups). */
const SANCTION_DAY_REBUILD = `
  DELETE FROM seller_sanction_day;
  INSERT INTO seller_sanction_day (region, day, status, sanctions)
    SELECT v.region, (e.at AT TIME ZONE 'UTC')::date, e.after ->> 'status', count(*)
    FROM audit_event e JOIN seller v ON v.id = e.entity_id
    WHERE ${SANCTION_EVENT('e')}
    GROUP BY 1, 2, 3;`;

/**
 * `rebuild_analytics_rollups()` as migration 1764200100000 made it (every analytics rollup from the base tables),
 * with seller_sanction_day or without (down).
 */
function rebuildAnalyticsRollups(withSanctions: boolean): string {
  return `CREATE OR REPLACE FUNCTION rebuild_analytics_rollups() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '256MB' AS $fn$
  BEGIN
    LOCK TABLE lead_seller, listing, seller${withSanctions ? ', audit_event' : ''} IN SHARE MODE;
    DELETE FROM lead_region;
    INSERT INTO lead_region (lead_id, region, sellers)
      SELECT ls.lead_id, v.region, count(*) FROM lead_seller ls JOIN seller v ON v.id = ls.seller_id GROUP BY 1, 2;
    DELETE FROM listing_takedown_day;
    INSERT INTO listing_takedown_day (region, day, listings)
      SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date, count(*)
      FROM listing x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2;
    ${withSanctions ? SANCTION_DAY_REBUILD : ''}
    ANALYZE lead_region, listing_takedown_day${withSanctions ? ', seller_sanction_day' : ''};
    PERFORM refresh_analytics_rollups();
  END $fn$;`;
}
