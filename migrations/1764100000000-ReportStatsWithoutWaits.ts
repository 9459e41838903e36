import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-brand report counters (`brand_report_stats`, migration 1764001300000-EnforcementPolicy) no longer
 * make concurrent reports of one brand wait for each other (issue 15, "Writes").
 *
 * Before, a (brand, day) had one counter row, updated by the trigger of every report and decision and
 * row-locked until COMMIT: every report of a brand queued on it, behind the whole rest of the previous
 * report's transaction (its audit append and COMMIT). Sampled under load (bench/compare.mjs --waits), 7 of
 * the 10 connections of a reportLead run were waiting on that row.
 *
 * Now a (brand, day) may have several rows, summed on read (every reader already sums over days). A writer
 * adds its counts to a row of the (brand, day) that no other transaction holds (FOR UPDATE SKIP LOCKED), or
 * to a new row when all are held: it never waits, and the rows of a (brand, day) are at most as many as the
 * transactions that ever wrote it at the same time. A row that falls to zero is removed, as before.
 */
export class ReportStatsWithoutWaits1764100000000 implements MigrationInterface {
  name = 'ReportStatsWithoutWaits1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE brand_report_stats DROP CONSTRAINT brand_report_stats_pkey;
      ALTER TABLE brand_report_stats ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
      CREATE INDEX brand_report_stats_brand_day_idx ON brand_report_stats (brand_id, day);

      -- Adds signed counts per (brand, day) to a row no other transaction holds, or to a new one; never waits.
      CREATE OR REPLACE FUNCTION brand_report_stats_add(changes jsonb) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        c record;
        counted brand_report_stats;
      BEGIN
        FOR c IN SELECT * FROM jsonb_to_recordset(changes) AS x(brand_id bigint, day date, reported int, confirmed int, rejected int) ORDER BY 1, 2 LOOP
          UPDATE brand_report_stats s
             SET reported = s.reported + c.reported, confirmed = s.confirmed + c.confirmed, rejected = s.rejected + c.rejected
           WHERE s.id = (SELECT f.id FROM brand_report_stats f WHERE f.brand_id = c.brand_id AND f.day = c.day LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING s.* INTO counted;
          IF NOT FOUND THEN
            INSERT INTO brand_report_stats (brand_id, day, reported, confirmed, rejected) VALUES (c.brand_id, c.day, c.reported, c.confirmed, c.rejected);
          ELSIF counted.reported = 0 AND counted.confirmed = 0 AND counted.rejected = 0 THEN
            DELETE FROM brand_report_stats WHERE id = counted.id;
          END IF;
        END LOOP;
      END $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      LOCK TABLE brand_report_stats IN EXCLUSIVE MODE;
      WITH merged AS (DELETE FROM brand_report_stats RETURNING *)
        INSERT INTO brand_report_stats (brand_id, day, reported, confirmed, rejected)
        SELECT brand_id, day, sum(reported), sum(confirmed), sum(rejected) FROM merged GROUP BY 1, 2
        HAVING sum(reported) <> 0 OR sum(confirmed) <> 0 OR sum(rejected) <> 0;
      ALTER TABLE brand_report_stats DROP COLUMN id;
      DROP INDEX brand_report_stats_brand_day_idx;
      ALTER TABLE brand_report_stats ADD PRIMARY KEY (brand_id, day);
      CREATE OR REPLACE FUNCTION brand_report_stats_add(changes jsonb) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
          INSERT INTO brand_report_stats AS s (brand_id, day, reported, confirmed, rejected)
            SELECT c.brand_id, c.day, c.reported, c.confirmed, c.rejected
            FROM jsonb_to_recordset(changes) AS c(brand_id bigint, day date, reported int, confirmed int, rejected int) ORDER BY c.brand_id, c.day
            ON CONFLICT (brand_id, day) DO UPDATE
              SET reported = s.reported + EXCLUDED.reported, confirmed = s.confirmed + EXCLUDED.confirmed, rejected = s.rejected + EXCLUDED.rejected;
          DELETE FROM brand_report_stats s USING jsonb_to_recordset(changes) AS c(brand_id bigint, day date)
            WHERE s.brand_id = c.brand_id AND s.day = c.day AND s.reported = 0 AND s.confirmed = 0 AND s.rejected = 0;
      $fn$;
    `);
  }
}
