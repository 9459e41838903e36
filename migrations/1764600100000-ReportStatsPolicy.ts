import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/**
 * `brand_report_stats`' policy (src/shared/data-access/policies.sql.ts): a brand partner's rows are its brand's by
 * an inline comparison, as on `listing`, instead of `eca_brand_visible(brand_id)`. That function is SECURITY
 * DEFINER with its own search_path, so PostgreSQL calls it row by row and cannot inline it: reportLead's
 * fast-track read (a day's counters over the window, 355 rows for the largest brand at scale 10) spent
 * 5.7 ms in it. Same rows admitted: for a brand partner the function compares the brand with eca_brand().
 */
export class ReportStatsPolicy1764600100000 implements MigrationInterface {
  name = 'ReportStatsPolicy1764600100000';

  async up(q: QueryRunner): Promise<void> {
    await applyPolicies(q, ['brand_report_stats']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY scope ON brand_report_stats`);
    await q.query(
      `CREATE POLICY scope ON brand_report_stats AS PERMISSIVE FOR ALL TO eca_app USING (eca_scope() = 'ALL' OR eca_brand_visible(brand_id))`,
    );
  }
}
