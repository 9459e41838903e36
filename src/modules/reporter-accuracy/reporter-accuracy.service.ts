import { RequestContext } from '../../shared/context.js';
import { badInput } from '../../shared/errors.js';
import { featureSettings } from '../../shared/settings.js';
import { ResolvedFilter, Statement } from '../analytics/analytics.sql.js';
import { Granularity } from '../analytics/analytics.types.js';
import { Brand } from '../brand/brand.entity.js';
import { Lead } from '../lead/lead.entity.js';
import { Listing } from '../listing/listing.entity.js';

/**
 * Reporter accuracy (issue 8, point 6). A brand's reports are the leads with source BRAND_REPORT that name
 * it, and the listings of its own named on them (each listing once). A report is
 * - confirmed: a lead taken into an investigation or closed as resolved by takedown or concluded; a
 *   listing taken down (and not reinstated);
 * - rejected: a lead closed as not counterfeit or with insufficient evidence, never investigated; a
 *   listing reinstated (its takedown reversed);
 * - otherwise still open. Accuracy = confirmed / (confirmed + rejected), leads and listings together.
 * Every row source is a scoped query: a brand partner's figures are its own brand's, an agency's those
 * of the cases referred to it.
 */
const LEAD_CONFIRMED = (l: string) => `(${l}.investigation_id IS NOT NULL OR ${l}.close_reason IN ('RESOLVED_BY_TAKEDOWN', 'CASE_CONCLUDED'))`;
const LEAD_REJECTED = (l: string) => `(${l}.investigation_id IS NULL AND ${l}.close_reason IN ('NOT_COUNTERFEIT', 'INSUFFICIENT_EVIDENCE'))`;

/** One row per (brand, report): `brand_id`, `kind` (LEAD | LISTING), `at` (when reported), `confirmed`, `rejected`. */
function reportsSql(s: Statement, period: boolean): string {
  const brands = s.scoped(Brand, 'ab').select('ab.id');
  if (s.filter.brandIds) brands.andWhere(s.filter.brandIds.length ? `ab.id IN (${s.bind(s.filter.brandIds)})` : 'FALSE');
  const leads = s.scoped(Lead, 'al')
    .innerJoin('lead_brand', 'alb', 'alb.lead_id = al.id')
    .select('al.id', 'lead_id').addSelect('alb.brand_id', 'brand_id').addSelect('al.created_at', 'at')
    .addSelect(LEAD_CONFIRMED('al'), 'confirmed').addSelect(LEAD_REJECTED('al'), 'rejected')
    .andWhere(`al.source = 'BRAND_REPORT' AND alb.brand_id IN (${s.derived(brands).slice(1, -1)})`);
  if (period && s.filter.from) leads.andWhere(`al.created_at >= ${s.bind(s.filter.from)}`);
  if (period && s.filter.to) leads.andWhere(`al.created_at < ${s.bind(s.filter.to)}`);
  const listings = s.scoped(Listing, 'ax').select('ax.id', 'id').addSelect('ax.brand_id', 'brand_id').addSelect('ax.status', 'status');
  return `(
    WITH reported AS ${s.derived(leads)}
    SELECT r.brand_id, 'LEAD' AS kind, r.at, r.confirmed, r.rejected FROM reported r
    UNION ALL
    SELECT DISTINCT ON (r.brand_id, x.id) r.brand_id, 'LISTING', r.at, x.status = 'TAKEN_DOWN', x.status = 'REINSTATED'
    FROM reported r JOIN lead_listing ll ON ll.lead_id = r.lead_id JOIN ${s.derived(listings)} x ON x.id = ll.listing_id AND x.brand_id = r.brand_id
  )`;
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

export function accuracyOf(c: AccuracyCounts): number | null {
  const confirmed = c.leadsConfirmed + c.listingsConfirmed;
  const decided = confirmed + c.leadsRejected + c.listingsRejected;
  return decided ? Math.round((confirmed / decided) * 10_000) / 10_000 : null;
}

/** Whether counts qualify for the fast track: enough decided reports, accurate enough (settings). */
export function qualifiesForFastTrack(c: AccuracyCounts): boolean {
  const { accuracy, minDecided } = featureSettings().fastTrack;
  const decided = c.leadsConfirmed + c.listingsConfirmed + c.leadsRejected + c.listingsRejected;
  const share = accuracyOf(c);
  return decided >= minDecided && share !== null && share >= accuracy;
}

/** Counts per brand (of the filter's brands, within scope): of reports made in the filter's period, or all time. */
export async function countsPerBrand(ctx: RequestContext, filter: ResolvedFilter, period: boolean): Promise<Map<string, AccuracyCounts>> {
  const s = new Statement(ctx, filter);
  const rows = await s.rows<Record<string, unknown>>(`SELECT r.brand_id::text, ${COUNT_COLUMNS} FROM ${reportsSql(s, period)} r GROUP BY r.brand_id`);
  return new Map(rows.map((row) => [String(row.brand_id), toCounts(row)]));
}

/** Whether a report naming these brands is fast-tracked: one of them is an accurate reporter (all time). */
export async function isFastTrackReporter(ctx: RequestContext, brandIds: string[]): Promise<boolean> {
  if (!brandIds.length) return false;
  const counts = await countsPerBrand(ctx, { from: null, to: null, brandIds, regions: null, platforms: null, agencyIds: null, leadSources: null }, false);
  return [...counts.values()].some(qualifiesForFastTrack);
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
  if (!from) for (let i = 1; i < buckets; i += 1) start = unit === 'month' ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1)) : new Date(start.getTime() - (unit === 'week' ? 7 : 1) * 86_400_000);
  const starts: Date[] = [];
  for (let b = start; b.getTime() < to.getTime(); b = next(b)) {
    starts.push(b);
    if (starts.length > 1000) throw badInput('A series has at most 1000 buckets: choose a shorter period or a larger granularity.', 'granularity');
  }
  return starts;
}

/** Counts per brand and bucket of the series (reports made in each bucket, as decided now). */
export async function seriesCounts(ctx: RequestContext, filter: ResolvedFilter, granularity: Granularity, starts: Date[], to: Date) {
  const s = new Statement(ctx, { ...filter, from: starts[0] ?? filter.from, to });
  const unit = s.bind(STEP[granularity].unit);
  const rows = await s.rows<Record<string, unknown>>(`
    SELECT r.brand_id::text, date_trunc(${unit}, r.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket, ${COUNT_COLUMNS}
    FROM ${reportsSql(s, true)} r GROUP BY 1, 2`);
  const byBrand = new Map<string, Map<number, AccuracyCounts>>();
  for (const row of rows) {
    const brand = String(row.brand_id);
    if (!byBrand.has(brand)) byBrand.set(brand, new Map());
    byBrand.get(brand)!.set(new Date(String(row.bucket instanceof Date ? row.bucket.toISOString() : row.bucket)).getTime(), toCounts(row));
  }
  return byBrand;
}
