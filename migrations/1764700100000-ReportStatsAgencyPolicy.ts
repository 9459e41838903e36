import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/**
 * `brand_report_stats`' policy (src/shared/data-access/policies.sql.ts) for an agency: its brands (those of the leads
 * behind its sent referrals) as a set built once per statement and hashed, instead of `eca_brand_visible(brand_id)`
 * per row. `reporterAccuracy`'s fast-track windows of an agency's 100 brands (36,000 counter rows at scale 10)
 * spent 126-153 ms in it, 19 ms now. Same rows admitted (test/isolation/row-security-follow-up-tables.test.ts).
 */
export class ReportStatsAgencyPolicy1764700100000 implements MigrationInterface {
  name = 'ReportStatsAgencyPolicy1764700100000';

  async up(q: QueryRunner): Promise<void> {
    await applyPolicies(q, ['brand_report_stats']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY scope ON brand_report_stats`);
    await q.query(
      `CREATE POLICY scope ON brand_report_stats AS PERMISSIVE FOR ALL TO eca_app USING (eca_scope() = 'ALL' OR (eca_scope() = 'BRAND' AND brand_id = eca_brand()) OR (eca_scope() = 'AGENCY' AND eca_brand_visible(brand_id)))`,
    );
  }
}
