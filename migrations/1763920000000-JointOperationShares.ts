import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14, point 1: a joint operation's agreed seized value was counted once per period and once per
 * agency (each figure gave it to the first of the operation's outcomes *it* could see), so months or
 * agencies summed to a multiple of it. The value is now attributed once, by one rule
 * (docs/analytics.md, "Joint operations"): shared equally by the agencies that reported the operation's
 * outcomes, each agency's share carried by its first outcome in the operation (earliest `occurred_at`,
 * then lowest id), the minor units left over going one each to the agencies in the order of their first
 * outcome. Every figure then counts a share where it counts the outcome that carries it (its period, its
 * agency, its cases' brands and regions), so any partition adds up to the agreed value exactly once.
 *
 * A caller cannot compute its share itself: the other agencies' outcomes are out of its scope. Hence this
 * SECURITY DEFINER function, which reads every outcome of the operations concerned and answers only for
 * the outcome ids asked that the caller may see (`eca_referral_visible`, the outcome's policy): a share
 * (possibly of an operation without agreed value: then none) for each carrier among them. What it tells
 * beyond the caller's scope: the size of its share of an agreed value it may already read, hence how many
 * agencies took part (never which).
 */
export class JointOperationShares1763920000000 implements MigrationInterface {
  name = 'JointOperationShares1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION eca_joint_operation_shares(outcome_ids bigint[])
        RETURNS TABLE (outcome_id bigint, amount bigint, currency char(3))
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          WITH asked AS (
            SELECT o.id, o.operation_id FROM enforcement_outcome o
            WHERE o.id = ANY (outcome_ids) AND o.operation_id IS NOT NULL AND (eca_scope() = 'ALL' OR eca_referral_visible(o.referral_id))
          ),
          -- Each agency's first outcome in each of those operations: the one that carries the agency's share.
          firsts AS (
            SELECT DISTINCT ON (o.operation_id, r.agency_id) o.operation_id, o.id, o.occurred_at
            FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
            WHERE o.operation_id IN (SELECT a.operation_id FROM asked a)
            ORDER BY o.operation_id, r.agency_id, o.occurred_at, o.id
          ),
          ranked AS (
            SELECT f.operation_id, f.id,
                   row_number() OVER (PARTITION BY f.operation_id ORDER BY f.occurred_at, f.id) AS rank,
                   count(*) OVER (PARTITION BY f.operation_id) AS agencies
            FROM firsts f
          )
          SELECT x.id,
                 j.seized_value_amount / x.agencies + CASE WHEN x.rank <= j.seized_value_amount % x.agencies THEN 1 ELSE 0 END,
                 j.seized_value_currency
          FROM ranked x JOIN joint_operation j ON j.id = x.operation_id
          WHERE j.seized_value_amount IS NOT NULL AND x.id IN (SELECT a.id FROM asked a)
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION eca_joint_operation_shares(bigint[])`);
  }
}
