import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14, point 8: confirming a repeat-offender match applies a sanction to the new seller
 * (REPEAT_OFFENDER_SANCTION, src/modules/repeat-offender/repeat-offender.settings.ts); the match records the
 * status it set, null when it set none (nothing configured, or the seller was already sanctioned as much).
 */
export class RepeatOffenderSanctions1764000600000 implements MigrationInterface {
  name = 'RepeatOffenderSanctions1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE repeat_offender_match
        ADD COLUMN sanction_applied text CHECK (sanction_applied IN ('WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE repeat_offender_match DROP COLUMN sanction_applied`);
  }
}
