import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14, point 9: a seizure records what was seized, not only its value: a list of goods, each with a
 * description, a quantity and a unit (`[{"description": "handbags", "quantity": 1200, "unit": "PIECE"}]`),
 * on SEIZURE outcomes only. Kept on the outcome's own row, so that it is seen by exactly who sees the outcome
 * (its row-level security policy). Validated by recordEnforcementOutcome; the CHECK keeps the shape.
 */
export class SeizedGoods1764000700000 implements MigrationInterface {
  name = 'SeizedGoods1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE enforcement_outcome
        ADD COLUMN seized_goods jsonb,
        ADD CONSTRAINT enforcement_outcome_seized_goods_check
          CHECK (seized_goods IS NULL OR (kind = 'SEIZURE' AND jsonb_typeof(seized_goods) = 'array' AND jsonb_array_length(seized_goods) > 0));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE enforcement_outcome DROP COLUMN seized_goods`);
  }
}
