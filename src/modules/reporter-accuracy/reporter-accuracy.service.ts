import { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { badInput } from '../../shared/errors.js';
import { accuracyOf as policyAccuracyOf, reportDecisionSql } from '../enforcement-policy/enforcement-policy.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { Granularity } from '../analytics/analytics.types.js';
import { rollupAsOf } from '../analytics/rollup-refresh.js';
import { Brand } from '../brand/brand.entity.js';
import { Lead } from '../lead/lead.entity.js';
import { Listing } from '../listing/listing.entity.js';

/**
 * Reporter accuracy. A brand's reports are the leads with source
 * BRAND_REPORT that name it. The enforcement policy (src/modules/enforcement-policy) decides what each
 * proved: its close reason decides (confirmed: resolved by takedown, case concluded; rejected: not
 * counterfeit, insufficient evidence), an open lead referred to an agency is confirmed, anything else is
 * undecided (opening an investigation decides nothing). Accuracy = confirmed / (confirmed + rejected),
 * counted per report: the listings named on the reports are shown (taken down, reinstated) but never count.
 *
 * The fast track reads the brand's reports of the policy's rolling window from `brand_report_stats`, the
 * per-brand, per-day counters that the database keeps in the transaction of every report and decision
 * (migration 1764001300000-EnforcementPolicy): one index range per brand, however many reports it made.
 * Every other figure is a scoped query: a brand partner's figures are its own brand's, an agency's those of
 * the cases referred to it.
 */
const LEAD_CONFIRMED = (l: string) => `(${reportDecisionSql(l)} = 'CONFIRMED')`;
const LEAD_REJECTED = (l: string) => `(${reportDecisionSql(l)} = 'REJECTED')`;

/**
 * One row per (brand, report): `brand_id`, `kind` (LEAD | LISTING), `at` (when reported), `confirmed`, `rejected`.
 * A listing named on several of a brand's reports counts once, at its first report (as in the rollup,
 * migration 1764300100000): with a period, the listings first reported in it.
 */
function reportsSql(s: Statement, period: boolean): string {
  const brands = s.scoped(Brand, 'ab').select('ab.id');
  if (s.filter.brandIds)
    brands.andWhere(s.filter.brandIds.length ? `ab.id IN (${s.bind(s.filter.brandIds)})` : 'FALSE');
  const leads = s
    .scoped(Lead, 'al')
    .innerJoin('lead_brand', 'alb', 'alb.lead_id = al.id')
    .select('al.id', 'lead_id')
    .addSelect('alb.brand_id', 'brand_id')
    .addSelect('al.created_at', 'at')
    .addSelect(LEAD_CONFIRMED('al'), 'confirmed')
    .addSelect(LEAD_REJECTED('al'), 'rejected')
    .andWhere(`al.source = 'BRAND_REPORT' AND alb.brand_id IN (${s.derived(brands).slice(1, -1)})`);
  const within = (column: string) =>
    [
      ...(period && s.filter.from ? [`${column} >= ${s.bind(s.filter.from)}`] : []),
      ...(period && s.filter.to ? [`${column} < ${s.bind(s.filter.to)}`] : []),
    ].join(' AND ') || 'TRUE';
  const listings = s
    .scoped(Listing, 'ax')
    .select('ax.id', 'id')
    .addSelect('ax.brand_id', 'brand_id')
    .addSelect('ax.status', 'status');
  return `(
    WITH reported AS ${s.derived(leads)}
    SELECT r.brand_id, 'LEAD' AS kind, r.at, r.confirmed, r.rejected FROM reported r WHERE ${within('r.at')}
    UNION ALL
    SELECT f.brand_id, f.kind, f.at, f.confirmed, f.rejected FROM (
      SELECT DISTINCT ON (r.brand_id, x.id) r.brand_id, 'LISTING' AS kind, r.at, x.status = 'TAKEN_DOWN' AS confirmed, x.status = 'REINSTATED' AS rejected
      FROM reported r JOIN lead_listing ll ON ll.lead_id = r.lead_id JOIN ${s.derived(listings)} x ON x.id = ll.listing_id AND x.brand_id = r.brand_id
      ORDER BY r.brand_id, x.id, r.at) f
    WHERE ${within('f.at')}
  )`;
}

/**
 * Without a period, the counts come from `reporter_accuracy_day` (migration 1764300100000), refreshed on the
 * servers' schedule: the time of its last refresh, or null when it was never filled (then counted live).
 * An agency reads its own rows; a brand partner (its brand's) and internal roles the rows of scope ALL.
 */
export async function accuracyRollupAsOf(ctx: RequestContext, filter: ResolvedFilter): Promise<Date | null> {
  return filter.from || filter.to ? null : rollupAsOf(ctx, 'reporter_accuracy_day');
}

function rollupRows(s: Statement, columns: string, where: string): string {
  // The caller's rows, written out as the live path's scoped queries are (the table's policy says the same).
  const { scope } = s.ctx;
  const own =
    scope.kind === 'AGENCY'
      ? `d.scope = 'AGENCY' AND d.scope_id = ${s.bind(scope.agencyId)}`
      : scope.kind === 'BRAND'
        ? `d.scope = 'ALL' AND d.brand_id = ${s.bind(scope.brandId)}`
        : `d.scope = 'ALL'`;
  const brands = s.filter.brandIds
    ? ` AND d.brand_id IN (${s.filter.brandIds.length ? s.bind(s.filter.brandIds) : 'NULL'})`
    : '';
  return `SELECT d.brand_id::text, ${columns ? `${columns}, ` : ''}
      sum(d.leads_reported) AS leads_reported, sum(d.leads_confirmed) AS leads_confirmed, sum(d.leads_rejected) AS leads_rejected,
      sum(d.listings_reported) AS listings_reported, sum(d.listings_confirmed) AS listings_confirmed, sum(d.listings_rejected) AS listings_rejected
    FROM reporter_accuracy_day d WHERE ${own}${brands} AND ${where}`;
}

export interface AccuracyCounts {
  leadsReported: number;
  leadsConfirmed: number;
  leadsRejected: number;
  listingsReported: number;
  listingsConfirmed: number;
  listingsRejected: number;
}

const COUNT_COLUMNS = `
  count(*) FILTER (WHERE kind = 'LEAD') AS leads_reported,
  count(*) FILTER (WHERE kind = 'LEAD' AND confirmed) AS leads_confirmed,
  count(*) FILTER (WHERE kind = 'LEAD' AND rejected) AS leads_rejected,
  count(*) FILTER (WHERE kind = 'LISTING') AS listings_reported,
  count(*) FILTER (WHERE kind = 'LISTING' AND confirmed) AS listings_confirmed,
  count(*) FILTER (WHERE kind = 'LISTING' AND rejected) AS listings_rejected`;

const toCounts = (row: Record<string, unknown>): AccuracyCounts => ({
  leadsReported: Number(row.leads_reported ?? 0),
  leadsConfirmed: Number(row.leads_confirmed ?? 0),
  leadsRejected: Number(row.leads_rejected ?? 0),
  listingsReported: Number(row.listings_reported ?? 0),
  listingsConfirmed: Number(row.listings_confirmed ?? 0),
  listingsRejected: Number(row.listings_rejected ?? 0),
});

/** A brand's accuracy as a reporter: its reports (leads) decided, listings left out. */
export function accuracyOf(c: AccuracyCounts): number | null {
  return policyAccuracyOf({ confirmed: c.leadsConfirmed, rejected: c.leadsRejected });
}

/** Counts per brand (of the filter's brands, within scope): of reports made in the filter's period, or all time. */
export async function countsPerBrand(
  ctx: RequestContext,
  filter: ResolvedFilter,
  period: boolean,
  fromRollup = false,
): Promise<Map<string, AccuracyCounts>> {
  const s = new Statement(ctx, filter);
  const rows = await s.rows<Record<string, unknown>>(
    fromRollup
      ? `${rollupRows(s, '', 'TRUE')} GROUP BY d.brand_id`
      : `SELECT r.brand_id::text, ${COUNT_COLUMNS} FROM ${reportsSql(s, period)} r GROUP BY r.brand_id`,
  );
  return new Map(rows.map((row) => [String(row.brand_id), toCounts(row)]));
}

const STEP: Record<Granularity, { unit: 'day' | 'week' | 'month'; buckets: number }> = {
  DAY: { unit: 'day', buckets: 30 },
  WEEK: { unit: 'week', buckets: 26 },
  MONTH: { unit: 'month', buckets: 12 },
};

/** Bucket starts (UTC) from the start of the bucket of `from` up to `to`. */
export function bucketStarts(granularity: Granularity, from: Date | null, to: Date): Date[] {
  const { unit, buckets } = STEP[granularity];
  const truncate = (d: Date) => {
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), unit === 'month' ? 1 : d.getUTCDate()));
    if (unit === 'week') t.setUTCDate(t.getUTCDate() - ((t.getUTCDay() + 6) % 7));
    return t;
  };
  const next = (d: Date) => {
    const t = new Date(d);
    if (unit === 'month') t.setUTCMonth(t.getUTCMonth() + 1);
    else t.setUTCDate(t.getUTCDate() + (unit === 'week' ? 7 : 1));
    return t;
  };
  let start = from ? truncate(from) : truncate(to);
  if (!from)
    for (let i = 1; i < buckets; i += 1)
      start =
        unit === 'month'
          ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1))
          : new Date(start.getTime() - (unit === 'week' ? 7 : 1) * 86_400_000);
  const starts: Date[] = [];
  for (let b = start; b.getTime() < to.getTime(); b = next(b)) {
    starts.push(b);
    if (starts.length > 1000)
      throw badInput(
        'A series has at most 1000 buckets: choose a shorter period or a larger granularity.',
        'granularity',
      );
  }
  return starts;
}

/** Counts per brand and bucket of the series (reports made in each bucket, as decided now). */
export async function seriesCounts(
  ctx: RequestContext,
  filter: ResolvedFilter,
  granularity: Granularity,
  starts: Date[],
  to: Date,
  fromRollup = false,
) {
  const s = new Statement(ctx, { ...filter, from: starts[0] ?? filter.from, to });
  const unit = s.bind(STEP[granularity].unit);
  // From the rollup: its whole UTC days from the first bucket on (up to its refresh).
  const rows = await s.rows<Record<string, unknown>>(
    fromRollup
      ? `${rollupRows(s, `date_trunc(${unit}, d.day::timestamp) AT TIME ZONE 'UTC' AS bucket`, `d.day >= (${s.bind(s.filter.from)}::timestamptz AT TIME ZONE 'UTC')::date`)} GROUP BY 1, 2`
      : `SELECT r.brand_id::text, date_trunc(${unit}, r.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket, ${COUNT_COLUMNS}
       FROM ${reportsSql(s, true)} r GROUP BY 1, 2`,
  );
  const byBrand = new Map<string, Map<number, AccuracyCounts>>();
  for (const row of rows) {
    const brand = String(row.brand_id);
    if (!byBrand.has(brand)) byBrand.set(brand, new Map());
    byBrand
      .get(brand)!
      .set(
        new Date(String(row.bucket instanceof Date ? row.bucket.toISOString() : row.bucket)).getTime(),
        toCounts(row),
      );
  }
  return byBrand;
}

/**
 * The `first` brands of `counts` that the caller may see, most reports first (then the oldest): read a slice
 * at a time in that order, so that an administrator's thousands of brands are not all loaded.
 */
export async function mostReporting(
  ctx: RequestContext,
  counts: Map<string, AccuracyCounts>,
  first: number,
): Promise<Brand[]> {
  const ranked = [...counts.keys()].sort(
    (a, b) => counts.get(b)!.leadsReported - counts.get(a)!.leadsReported || Number(a) - Number(b),
  );
  const brands: Brand[] = [];
  for (let at = 0; at < ranked.length && brands.length < first; at += first) {
    const slice = await Promise.all(ranked.slice(at, at + first).map((id) => loadById(ctx, Brand, id)));
    brands.push(...slice.filter((brand): brand is Brand => brand !== null));
  }
  return brands.slice(0, first);
}
