import { RequestContext } from '../../shared/context.js';
import { Money } from '../../shared/money/money.js';
import { Lead } from '../lead/lead.entity.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { Referral } from '../referral/referral.entity.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { inPeriod, leadConditions, referralConditions } from './analytics.sql.js';
import { DurationStats, EnforcementFunnel, FunnelStageName, OutcomeTotals, TimeToAction } from './analytics.types.js';

/*
 * Every figure is one or a few aggregate statements computed by PostgreSQL; Node only reshapes the
 * aggregated rows. Each statement's row sources are scoped queries (see analytics.sql.ts), so a brand
 * partner's figures count only its brand's cases and an agency's only its own referrals.
 */

export const count = (value: unknown) => Number(value ?? 0);
export const days = (value: unknown) =>
  value === null || value === undefined ? null : Math.round(Number(value) * 1000) / 1000;

// ---------------------------------------------------------------------------------------------------
// The funnel, over the leads created in the period.

export const STAGES: FunnelStageName[] = [
  FunnelStageName.LEADS,
  FunnelStageName.TRIAGED,
  FunnelStageName.INVESTIGATED,
  FunnelStageName.REFERRED,
  FunnelStageName.ACTIONED,
  FunnelStageName.CONVICTED,
];
const FLAG: Record<FunnelStageName, string> = {
  LEADS: '',
  TRIAGED: 'triaged',
  INVESTIGATED: 'investigated',
  REFERRED: 'referred',
  ACTIONED: 'actioned',
  CONVICTED: 'convicted',
};

/**
 * One row per lead of the filter with its stage flags (`id`, `investigation_id` and booleans). The
 * referral stages are aggregated once per investigation of those leads (sent referrals you may see, of the
 * filter's agencies, and their outcomes) and looked up per lead in a hashed set: one pass over each table.
 *
 * Shape, as EXPLAIN showed it (docs/analytics.md): the leads are materialized first and, for a brand or an
 * agency, the referrals read through `referral_investigation_idx` from their investigations, so that the
 * referral policy is checked on its own referrals only, not on all of them; and the stages
 * are `IN (SELECT ...)` sets (hashed subplans) rather than a join, which the planner, misled by the row
 * estimate of the lead policy (72 rows for 9,020), ran as a nested loop over every pair (1.1 s at scale 1).
 */
export function leadStages(s: Statement): string {
  const l = 'l';
  const leads = s
    .scoped(Lead, l)
    .select(`${l}.id`, 'id')
    .addSelect(`${l}.investigation_id`, 'investigation_id')
    // Triaged: triage recorded, or moved on along the lifecycle (a lead closed straight from NEW was not).
    .addSelect(
      `(${l}.triaged_at IS NOT NULL OR ${l}.status IN ('TRIAGED', 'INVESTIGATING', 'REFERRED') OR ${l}.investigation_id IS NOT NULL)`,
      'triaged',
    )
    .addSelect(`(${l}.investigation_id IS NOT NULL)`, 'investigated')
    .andWhere(leadConditions(s, l, { period: true }));
  const referrals = s
    .scoped(Referral, 'sr')
    .select('sr.id', 'id')
    .addSelect('sr.investigation_id', 'investigation_id')
    .andWhere(
      `sr.sent_at IS NOT NULL${s.filter.agencyIds ? ` AND sr.agency_id IN (${s.filter.agencyIds.length ? s.bind(s.filter.agencyIds) : 'NULL'})` : ''}`,
    );
  // A brand's or an agency's referrals are reached from its leads' investigations (the referral policy is
  // then checked on those only); an internal caller's are all read at once (a probe per investigation, 23,000
  // at scale 10, costs more than reading the 9,000 referrals).
  if (!s.internal)
    referrals.andWhere(
      'sr.investigation_id IN (SELECT fl.investigation_id FROM fl WHERE fl.investigation_id IS NOT NULL)',
    );
  const outcomes = s
    .scoped(EnforcementOutcome, 'so')
    .select('so.referral_id', 'referral_id')
    .addSelect('so.kind', 'kind')
    .andWhere(`so.kind IN ('RAID', 'SEIZURE', 'FINE', 'CONVICTION')`);
  // fl: inlined when read once (internal callers), materialized when the referrals read it too.
  return `(WITH fl AS ${s.derived(leads)},
          fi AS MATERIALIZED (SELECT r.investigation_id, bool_or(o.kind IN ('RAID', 'SEIZURE', 'FINE')) AS actioned, bool_or(o.kind = 'CONVICTION') AS convicted
                              FROM ${s.derived(referrals)} r LEFT JOIN ${s.derived(outcomes)} o ON o.referral_id = r.id
                              GROUP BY r.investigation_id)
     SELECT f.id, f.investigation_id, f.triaged, f.investigated,
            coalesce(f.investigation_id IN (SELECT fi.investigation_id FROM fi), FALSE) AS referred,
            coalesce(f.investigation_id IN (SELECT fi.investigation_id FROM fi WHERE fi.actioned), FALSE) AS actioned,
            coalesce(f.investigation_id IN (SELECT fi.investigation_id FROM fi WHERE fi.convicted), FALSE) AS convicted
     FROM fl f)`;
}

/** `count(*)` of every stage and of every stage together with the one before it (for the conversion rates). */
export function funnelColumns(prefix = ''): string {
  const flag = (stage: FunnelStageName) => (stage === FunnelStageName.LEADS ? 'TRUE' : `${prefix}${FLAG[stage]}`);
  return STAGES.flatMap((stage, i) => {
    const columns = [`count(*) FILTER (WHERE ${flag(stage)}) AS "${stage}"`];
    if (i > 0)
      columns.push(`count(*) FILTER (WHERE ${flag(STAGES[i - 1])} AND ${flag(stage)}) AS "${stage}_from_previous"`);
    return columns;
  }).join(', ');
}

export function toFunnel(row: Record<string, unknown> | undefined): EnforcementFunnel {
  const stages = STAGES.map((stage, i) => {
    const previous = i > 0 ? count(row?.[STAGES[i - 1]]) : 0;
    return {
      stage,
      count: count(row?.[stage]),
      conversionFromPrevious:
        i === 0 || previous === 0
          ? null
          : Math.round((count(row?.[`${stage}_from_previous`]) / previous) * 10_000) / 10_000,
    };
  });
  const [leads, triaged, investigated, referred, actioned, convicted] = stages.map((stage) => stage.count);
  return Object.assign(new EnforcementFunnel(), {
    leads,
    triaged,
    investigated,
    referred,
    actioned,
    convicted,
    stages,
  });
}

export async function enforcementFunnel(ctx: RequestContext, filter: ResolvedFilter): Promise<EnforcementFunnel> {
  const s = new Statement(ctx, filter);
  const [row] = await s.rows<Record<string, unknown>>(`SELECT ${funnelColumns('f.')} FROM ${leadStages(s)} f`);
  return toFunnel(row);
}

// ---------------------------------------------------------------------------------------------------
// Outcome totals, over the outcomes that occurred in the period.

/**
 * One row per outcome of the filter, with the columns the totals need and `investigation_id`.
 *
 * Seized value (`seized_amount`, `seized_currency`; with `money`): an outcome's own figure, or, for an
 * outcome of a joint operation, its share of the operation's agreed value (docs/analytics.md, "Joint
 * operations"): the agreed value is shared equally by the agencies that reported the operation's outcomes,
 * each agency's share carried by its first outcome in the operation, the others carrying none. The shares
 * are attributed over the whole operation, not over what the caller or the filter lets a statement see
 * (`eca_joint_operation_shares`, migration 1763920000000): the same outcome carries the same share in
 * every figure, so periods, agencies and regions add up to the agreed value exactly once.
 */
export function filteredOutcomes(s: Statement, { money = true }: { money?: boolean } = {}): string {
  const o = 'o';
  const r = 'o_referral';
  const qb = s
    .scoped(EnforcementOutcome, o)
    .innerJoin('referral', r, `${r}.id = ${o}.referral_id`)
    .select([
      `${o}.id AS id`,
      `${o}.operation_id AS operation_id`,
      `${o}.kind AS kind`,
      `${o}.arrests AS arrests`,
      `${o}.dens_destroyed AS dens_destroyed`,
      `${o}.convictions AS convictions`,
      `${o}.seized_value_amount AS own_seized_amount`,
      `${o}.seized_value_currency AS own_seized_currency`,
      `${o}.fine_amount AS fine_amount`,
      `${o}.fine_currency AS fine_currency`,
      `${r}.investigation_id AS investigation_id`,
      `${o}.occurred_at AS occurred_at`,
    ])
    .andWhere([...inPeriod(s, `${o}.occurred_at`), referralConditions(s, r)].join(' AND ') || 'TRUE');
  // A brand sees the outcomes of investigations of its own leads only (visibility.ts): reached from those
  // investigations, the policies are checked on its outcomes only, not on every outcome (1 s at scale 10).
  // `= ANY(ARRAY(...))`, not `IN (...)`: the ids are computed first and the referrals read by
  // referral_investigation_idx, their outcomes by key; as an IN the planner scanned both tables through
  // their policies (a function call per row: 0.5 s for the largest brand, 35 ms this way).
  if (s.ctx.scope.kind === 'BRAND') {
    const brandLeads = s
      .scoped(Lead, 'obl')
      .select('obl.investigation_id')
      .andWhere('obl.investigation_id IS NOT NULL');
    qb.andWhere(`${r}.investigation_id = ANY(ARRAY${s.derived(brandLeads)})`);
  }
  if (!money) return s.derived(qb);
  return `(WITH fo AS ${s.derived(qb)}
     SELECT fo.*,
            CASE WHEN fo.operation_id IS NULL THEN fo.own_seized_amount ELSE share.amount END AS seized_amount,
            CASE WHEN fo.operation_id IS NULL THEN fo.own_seized_currency ELSE share.currency END AS seized_currency
     FROM fo LEFT JOIN eca_joint_operation_shares(ARRAY(SELECT g.id FROM fo g WHERE g.operation_id IS NOT NULL)) share ON share.outcome_id = fo.id)`;
}

/**
 * Totals per grouping set: () the counts, (seized currency), (fine currency): one statement. The money
 * columns are expressions over `o` (the region breakdown passes each region's part of them).
 */
export const outcomeColumns = (
  { seized, fine }: { seized: string; fine: string } = { seized: 'o.seized_amount', fine: 'o.fine_amount' },
) => `
  count(*) FILTER (WHERE o.kind = 'RAID') AS raids, count(*) FILTER (WHERE o.kind = 'SEIZURE') AS seizures,
  coalesce(sum(o.dens_destroyed), 0) AS dens_destroyed, coalesce(sum(o.arrests), 0) AS arrests,
  coalesce(sum(o.convictions), 0) AS convictions, count(*) FILTER (WHERE o.kind = 'FINE') AS fines,
  sum(${seized}) AS seized_amount, sum(${fine}) AS fine_amount,
  GROUPING(o.seized_currency) = 0 AS by_seized, GROUPING(o.fine_currency) = 0 AS by_fine, o.seized_currency, o.fine_currency`;

export interface OutcomeRow {
  region?: string;
  raids: string;
  seizures: string;
  dens_destroyed: string;
  arrests: string;
  convictions: string;
  fines: string;
  seized_amount: string | null;
  fine_amount: string | null;
  by_seized: boolean;
  by_fine: boolean;
  seized_currency: string | null;
  fine_currency: string | null;
}

/** Folds the rows of one group (the totals row and its per-currency rows) into OutcomeTotals. */
export function toOutcomeTotals(rows: OutcomeRow[]): OutcomeTotals {
  const totals = rows.find((row) => !row.by_seized && !row.by_fine);
  const money = (amount: string | null, currency: string | null) => Money.of(amount, currency?.trim() ?? null)!;
  const sorted = (list: Money[]) => list.sort((a, b) => a.currency.localeCompare(b.currency));
  return Object.assign(new OutcomeTotals(), {
    raids: count(totals?.raids),
    seizures: count(totals?.seizures),
    densDestroyed: count(totals?.dens_destroyed),
    arrests: count(totals?.arrests),
    convictions: count(totals?.convictions),
    seizedValue: sorted(
      rows
        .filter((row) => row.by_seized && row.seized_currency && row.seized_amount !== null)
        .map((row) => money(row.seized_amount, row.seized_currency)),
    ),
    fines: {
      count: count(totals?.fines),
      amounts: sorted(
        rows
          .filter((row) => row.by_fine && row.fine_currency && row.fine_amount !== null)
          .map((row) => money(row.fine_amount, row.fine_currency)),
      ),
    },
  });
}

export async function outcomeTotals(ctx: RequestContext, filter: ResolvedFilter): Promise<OutcomeTotals> {
  const s = new Statement(ctx, filter);
  const rows = await s.rows<OutcomeRow>(
    `SELECT ${outcomeColumns()} FROM ${filteredOutcomes(s)} o GROUP BY GROUPING SETS ((), (o.seized_currency), (o.fine_currency))`,
  );
  return toOutcomeTotals(rows);
}

// ---------------------------------------------------------------------------------------------------
// Time to action, over the leads created in the period and the investigations and referrals behind them.

const EPOCH_DAYS = (later: string, earlier: string) => `extract(epoch FROM (${later} - ${earlier})) / 86400.0`;
const stats = (name: string, value: string, condition: string) => `
  count(*) FILTER (WHERE ${condition}) AS ${name}_count,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ${value}) FILTER (WHERE ${condition}) AS ${name}_median,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ${value}) FILTER (WHERE ${condition}) AS ${name}_p90`;
const toStats = (row: Record<string, unknown> | undefined, name: string): DurationStats => ({
  count: count(row?.[`${name}_count`]),
  medianDays: days(row?.[`${name}_median`]),
  p90Days: days(row?.[`${name}_p90`]),
});

export async function timeToAction(ctx: RequestContext, filter: ResolvedFilter): Promise<TimeToAction> {
  // Leads -> their investigation: one row per lead.
  const leadsStatement = new Statement(ctx, filter);
  const leads = leadsStatement.scoped(Lead, 'l');
  // The investigation's creation time is copied onto its leads and referrals (migration 1764300200000):
  // read from investigation, its policy was a function call per investigation for a brand (0.2 ms each).
  leads
    .select(EPOCH_DAYS('l.investigation_created_at', 'l.created_at'), 'wait')
    .andWhere(`l.investigation_id IS NOT NULL AND ${leadConditions(leadsStatement, 'l', { period: true })}`);
  const [leadRow] = await leadsStatement.rows<Record<string, unknown>>(
    `SELECT ${stats('lead_to_investigation', 'x.wait', 'TRUE')} FROM (SELECT * FROM ${leadsStatement.derived(leads)} w OFFSET 0) x`, // OFFSET 0: each row's values computed once, not per aggregate
  );

  // Sent referrals of those leads' investigations: one row per referral. The investigations of the cohort's
  // leads are collected first (MATERIALIZED) and the referrals reached from them, rather than an EXISTS over
  // the leads per referral, which the planner ran under the policies' estimates for minutes for a brand.
  const s = new Statement(ctx, filter);
  const r = 'r';
  const cohort = s
    .scoped(Lead, 'rl')
    .select('rl.investigation_id', 'investigation_id')
    .distinct(true)
    .andWhere(`rl.investigation_id IS NOT NULL AND ${leadConditions(s, 'rl', { period: true, agencies: false })}`);
  const referrals = s.scoped(Referral, r);
  referrals
    .select(EPOCH_DAYS(`${r}.sent_at`, `${r}.investigation_created_at`), 'to_referral')
    .addSelect(EPOCH_DAYS(`${r}.acknowledged_at`, `${r}.sent_at`), 'to_acknowledgement')
    .addSelect(EPOCH_DAYS(`${r}.first_action_at`, `${r}.sent_at`), 'to_first_action')
    // concluded_at is also set by an acquittal or a decline: a conviction is a CONVICTION outcome.
    .addSelect(
      `CASE WHEN ${r}.concluded_at IS NOT NULL AND ${s.exists(EnforcementOutcome, 'co', (sub, o) => sub.andWhere(`${o}.referral_id = ${r}.id AND ${o}.kind = 'CONVICTION'`))}
                THEN ${EPOCH_DAYS(`${r}.concluded_at`, `${r}.sent_at`)} END`,
      'to_conviction',
    )
    .andWhere(`${r}.sent_at IS NOT NULL AND ${referralConditions(s, r)}`)
    .andWhere(`${r}.investigation_id IN (SELECT ci.investigation_id FROM ci)`);
  const cohortSql = s.derived(cohort);
  const [row] = await s.rows<Record<string, unknown>>(`WITH ci AS MATERIALIZED ${cohortSql} SELECT
      ${stats('investigation_to_referral', 'x.to_referral', 'TRUE')},
      ${stats('referral_to_acknowledgement', 'x.to_acknowledgement', 'x.to_acknowledgement IS NOT NULL')},
      ${stats('referral_to_first_action', 'x.to_first_action', 'x.to_first_action IS NOT NULL')},
      ${stats('referral_to_conviction', 'x.to_conviction', 'x.to_conviction IS NOT NULL')}
    FROM (SELECT * FROM ${s.derived(referrals)} w OFFSET 0) x`);
  return {
    leadToInvestigation: toStats(leadRow, 'lead_to_investigation'),
    investigationToReferral: toStats(row, 'investigation_to_referral'),
    referralToAcknowledgement: toStats(row, 'referral_to_acknowledgement'),
    referralToFirstAction: toStats(row, 'referral_to_first_action'),
    referralToConviction: toStats(row, 'referral_to_conviction'),
  };
}
