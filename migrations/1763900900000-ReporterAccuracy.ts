import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reporter accuracy (issue 8, point 6): a lead reported by a brand whose reports have proven accurate is
 * fast-tracked (`fast_track`, decided when it is reported, src/modules/reporter-accuracy), and the triage
 * queue sorts by `triage_priority`: fast-tracked leads first, then by risk score. A stored generated
 * column, so that it follows a change of the risk score and the queue is one index and a keyset cursor.
 */
export class ReporterAccuracy1763900900000 implements MigrationInterface {
  name = 'ReporterAccuracy1763900900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE lead ADD COLUMN fast_track boolean NOT NULL DEFAULT false;
      ALTER TABLE lead ADD COLUMN triage_priority int NOT NULL GENERATED ALWAYS AS ((CASE WHEN fast_track THEN 1000 ELSE 0 END) + risk_score) STORED;
      CREATE INDEX lead_triage_priority_idx ON lead (triage_priority, id);
      CREATE INDEX lead_status_triage_priority_idx ON lead (status, triage_priority, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE lead DROP COLUMN triage_priority, DROP COLUMN fast_track`);
  }
}
