// What each export holds: its columns (REFERRAL_COLUMNS, LEAD_COLUMNS) and the keyset batch that reads
// its rows through the caller's scope (referralBatch with the referral's outcomes added up, leadBatch).
import { Brand } from '../modules/brand/brand.entity.js';
import { EnforcementOutcome } from '../modules/referral/enforcement-outcome.entity.js';
import { Investigation } from '../modules/investigation/investigation.entity.js';
import { Lead } from '../modules/lead/lead.entity.js';
import { Referral } from '../modules/referral/referral.entity.js';
import { Seller } from '../modules/seller/seller.entity.js';
import { RequestContext } from '../shared/context.js';
import { Statement } from '../shared/data-access/statement.js';
import { Column, Row } from './export-format.js';

export const REFERRAL_COLUMNS: Column[] = [
  { name: 'reference' },
  { name: 'status' },
  { name: 'agency' },
  { name: 'investigation' },
  { name: 'created_at', type: 'date' },
  { name: 'sent_at', type: 'date' },
  { name: 'acknowledged_at', type: 'date' },
  { name: 'first_action_at', type: 'date' },
  { name: 'concluded_at', type: 'date' },
  { name: 'closed_at', type: 'date' },
  { name: 'agency_case_reference' },
  { name: 'decline_reason' },
  { name: 'raids', type: 'number' },
  { name: 'seizures', type: 'number' },
  { name: 'arrests', type: 'number' },
  { name: 'dens_destroyed', type: 'number' },
  { name: 'convictions', type: 'number' },
  { name: 'fines', type: 'number' },
  { name: 'seized_value', type: 'money' },
  { name: 'fined', type: 'money' },
  { name: 'summary' },
  { name: 'seized_goods', type: 'list' },
  { name: 'seized_value_attributed', type: 'money' },
];

export const LEAD_COLUMNS: Column[] = [
  { name: 'reference' },
  { name: 'created_at', type: 'date' },
  { name: 'source' },
  { name: 'status' },
  { name: 'risk_score', type: 'number' },
  { name: 'close_reason' },
  { name: 'triaged_at', type: 'date' },
  { name: 'closed_at', type: 'date' },
  { name: 'brands', type: 'list' },
  { name: 'sellers', type: 'list' },
  { name: 'investigation' },
  { name: 'referrals_sent', type: 'number' },
  { name: 'description' },
];

/** One keyset batch of referrals after `afterId`, with their outcomes added up. */
export function referralBatch(ctx: RequestContext, afterId: string, limit: number): Promise<Row[]> {
  const s = new Statement(ctx, {
    from: null,
    to: null,
    brandIds: null,
    regions: null,
    platforms: null,
    agencyIds: null,
    leadSources: null,
  });
  const referrals = s
    .scoped(Referral, 'r')
    .innerJoin('agency', 'r_a', 'r_a.id = r.agency_id')
    .select([
      'r.id AS id',
      'r.reference AS reference',
      'r.status AS status',
      'r_a.code AS agency',
      'r.investigation_id AS investigation_id',
      'r.created_at AS created_at',
      'r.sent_at AS sent_at',
      'r.acknowledged_at AS acknowledged_at',
      'r.first_action_at AS first_action_at',
      'r.concluded_at AS concluded_at',
      'r.closed_at AS closed_at',
      'r.agency_case_reference AS agency_case_reference',
      'r.decline_reason AS decline_reason',
      'r.summary AS summary',
    ])
    .andWhere(`r.id > ${s.bind(afterId)}`)
    .orderBy('r.id')
    .limit(limit);
  const outcomes = s
    .scoped(EnforcementOutcome, 'o')
    .select([
      `count(*) FILTER (WHERE o.kind = 'RAID') AS raids`,
      `count(*) FILTER (WHERE o.kind = 'SEIZURE') AS seizures`,
      'coalesce(sum(o.arrests), 0) AS arrests',
      'coalesce(sum(o.dens_destroyed), 0) AS dens_destroyed',
      'coalesce(sum(o.convictions), 0) AS convictions',
      `count(*) FILTER (WHERE o.kind = 'FINE') AS fines`,
    ])
    .andWhere('o.referral_id = r.id');
  const investigation = s.derived(
    s.scoped(Investigation, 'i').select('i.reference').andWhere('i.id = r.investigation_id'),
  );
  const jointOutcomes = s
    .scoped(EnforcementOutcome, 'jo')
    .select('jo.id', 'id')
    .andWhere('jo.operation_id IS NOT NULL AND jo.referral_id IN (SELECT b.id FROM batch b)');
  return s.rows(`
    WITH batch AS ${s.derived(referrals)},
         shares AS (SELECT * FROM eca_joint_operation_shares(ARRAY(SELECT jo.id FROM ${s.derived(jointOutcomes)} jo)))
    SELECT r.*, ${investigation} AS investigation, oc.*,
           ${moneyOf(s, 'seized_value_amount', 'seized_value_currency')} AS seized_value, ${moneyOf(s, 'fine_amount', 'fine_currency')} AS fined,
           ${seizedGoodsOf(s)} AS seized_goods, ${attributedSeizedValueOf(s)} AS seized_value_attributed
    FROM batch r LEFT JOIN LATERAL ${s.derived(outcomes)} oc ON TRUE
    ORDER BY r.id`);
}

/**
 * The seized value of referral `r` as the analytics count it (docs/analytics.md, "Joint operations"): an outcome's
 * own figure, or for an outcome of a joint operation its agency's share of the agreed value (from `shares`), so
 * that the column adds up over referrals to each operation's value once; `seized_value` is what the agency reported.
 */
function attributedSeizedValueOf(s: Statement): string {
  const outcomes = s
    .scoped(EnforcementOutcome, 'ao')
    .select([
      'ao.id AS id',
      'ao.operation_id AS operation_id',
      'ao.seized_value_amount AS amount',
      'ao.seized_value_currency AS currency',
    ])
    .andWhere('ao.referral_id = r.id');
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object('amount', t.amount, 'currency', trim(t.currency)) ORDER BY t.currency), '[]') FROM (
            SELECT x.currency, sum(x.amount) AS amount FROM (
              SELECT CASE WHEN ao.operation_id IS NULL THEN ao.amount ELSE sh.amount END AS amount,
                     CASE WHEN ao.operation_id IS NULL THEN ao.currency ELSE sh.currency END AS currency
              FROM ${s.derived(outcomes)} ao LEFT JOIN shares sh ON sh.outcome_id = ao.id) x
            WHERE x.amount IS NOT NULL GROUP BY x.currency) t)`;
}

/** Per-currency totals of a money column of the (scoped) outcomes of referral `r`, as a JSON list. */
function moneyOf(s: Statement, amount: string, currency: string): string {
  const totals = s
    .scoped(EnforcementOutcome, 'mo')
    .select(`mo.${currency}`, 'currency')
    .addSelect(`sum(mo.${amount})`, 'amount')
    .andWhere(`mo.referral_id = r.id AND mo.${amount} IS NOT NULL`)
    .groupBy(`mo.${currency}`);
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object('amount', t.amount, 'currency', trim(t.currency)) ORDER BY t.currency), '[]') FROM ${s.derived(totals)} t)`;
}

/**
 * The goods seized on the (scoped) outcomes of referral `r`, added up per unit and description, as a list of
 * "quantity UNIT description" (`1200 PIECE handbags`), largest first.
 */
function seizedGoodsOf(s: Statement): string {
  const outcomes = s
    .scoped(EnforcementOutcome, 'go')
    .select('go.seized_goods', 'seized_goods')
    .andWhere('go.referral_id = r.id AND go.seized_goods IS NOT NULL');
  return `(SELECT coalesce(array_agg(t.line ORDER BY t.quantity DESC, t.line), '{}') FROM (
            SELECT trim_scale(sum((g.item->>'quantity')::numeric)) || ' ' || (g.item->>'unit') || ' ' || (g.item->>'description') AS line,
                   sum((g.item->>'quantity')::numeric) AS quantity
            FROM ${s.derived(outcomes)} so CROSS JOIN LATERAL jsonb_array_elements(so.seized_goods) AS g(item)
            GROUP BY g.item->>'unit', g.item->>'description') t)`;
}
/** One keyset batch of leads after `afterId`, with the brands, sellers and investigation the caller may see. */
export function leadBatch(ctx: RequestContext, afterId: string, limit: number): Promise<Row[]> {
  const s = new Statement(ctx, {
    from: null,
    to: null,
    brandIds: null,
    regions: null,
    platforms: null,
    agencyIds: null,
    leadSources: null,
  });
  const leads = s
    .scoped(Lead, 'l')
    .select([
      'l.id AS id',
      'l.reference AS reference',
      'l.created_at AS created_at',
      'l.source AS source',
      'l.status AS status',
      'l.risk_score AS risk_score',
      'l.close_reason AS close_reason',
      'l.triaged_at AS triaged_at',
      'l.closed_at AS closed_at',
      'l.investigation_id AS investigation_id',
      'l.description AS description',
    ])
    .andWhere(`l.id > ${s.bind(afterId)}`)
    .orderBy('l.id')
    .limit(limit);
  const brands = s
    .scoped(Brand, 'b')
    .innerJoin('lead_brand', 'b_lb', 'b_lb.brand_id = b.id')
    .select(`coalesce(array_agg(b.slug ORDER BY b.slug), '{}')`)
    .andWhere('b_lb.lead_id = l.id');
  const sellers = s
    .scoped(Seller, 'v')
    .innerJoin('lead_seller', 'v_ls', 'v_ls.seller_id = v.id')
    .select(`coalesce(array_agg(v.platform || '/' || v.external_id ORDER BY v.id), '{}')`)
    .andWhere('v_ls.lead_id = l.id');
  const investigation = s.scoped(Investigation, 'i').select('i.reference').andWhere('i.id = l.investigation_id');
  const referrals = s
    .scoped(Referral, 'rf')
    .select('count(*)')
    .andWhere('rf.investigation_id = l.investigation_id AND rf.sent_at IS NOT NULL');
  return s.rows(`
    SELECT l.*, ${s.derived(brands)} AS brands, ${s.derived(sellers)} AS sellers, ${s.derived(investigation)} AS investigation,
           ${s.derived(referrals)} AS referrals_sent
    FROM ${s.derived(leads)} l ORDER BY l.id`);
}
