import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Seized-value ledger (issue 8, point 7). A joint operation groups the outcomes several agencies report of
 * one action, with the seized value agreed for the whole operation and how it was valued; analytics count
 * that value once instead of each agency's figure. Outcomes outside an operation may record the valuation
 * method of their own seized value.
 *
 * An operation is visible to internal roles and to whoever may see one of its outcomes (an agency that took
 * part, a brand whose case it concerns): its name and agreed value are shared facts of the operation.
 */
export class JointOperations1763901000000 implements MigrationInterface {
  name = 'JointOperations1763901000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE joint_operation (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        reference text NOT NULL UNIQUE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        seized_value_amount bigint CHECK (seized_value_amount >= 0),
        seized_value_currency char(3) CHECK (seized_value_currency ~ '^[A-Z]{3}$'),
        valuation_method text NOT NULL CHECK (valuation_method IN ('MARKET_PRICE', 'GENUINE_RETAIL_PRICE', 'DECLARED_VALUE', 'PRODUCTION_COST', 'OTHER')),
        valuation_note text,
        created_by_id bigint REFERENCES principal(id),
        version int NOT NULL DEFAULT 1,
        CHECK ((seized_value_amount IS NULL) = (seized_value_currency IS NULL))
      );
      CREATE INDEX joint_operation_created_idx ON joint_operation (created_at, id);

      ALTER TABLE enforcement_outcome
        ADD COLUMN operation_id bigint REFERENCES joint_operation(id),
        ADD COLUMN valuation_method text CHECK (valuation_method IN ('MARKET_PRICE', 'GENUINE_RETAIL_PRICE', 'DECLARED_VALUE', 'PRODUCTION_COST', 'OTHER'));
      CREATE INDEX enforcement_outcome_operation_idx ON enforcement_outcome (operation_id, occurred_at, id) WHERE operation_id IS NOT NULL;

      CREATE FUNCTION eca_operation_visible(operation_id bigint) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          SELECT eca_scope() = 'ALL' OR EXISTS (SELECT 1 FROM enforcement_outcome o WHERE o.operation_id = $1 AND eca_referral_visible(o.referral_id))
      $fn$;
      CREATE POLICY scope ON joint_operation USING (eca_scope() = 'ALL' OR eca_operation_visible(id)) WITH CHECK (true);
      ALTER TABLE joint_operation ENABLE ROW LEVEL SECURITY;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE enforcement_outcome DROP COLUMN valuation_method, DROP COLUMN operation_id;
      DROP TABLE joint_operation;
      DROP FUNCTION eca_operation_visible(bigint);
    `);
  }
}
