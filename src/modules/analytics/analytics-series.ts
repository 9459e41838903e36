import { RequestContext } from '../../shared/context.js';
import { badInput } from '../../shared/errors.js';
import { Listing } from '../listing/listing.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { count, filteredOutcomes } from './analytics.service.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { listingConditions, onlyRegions, sellerConditions } from './analytics.sql.js';
import { Granularity, OutcomeSeries, TakedownSeries } from './analytics.types.js';

/** Time series of the analytics (takedowns and outcomes per day, week or month), one statement each. */

const STEP: Record<Granularity, { unit: string; interval: string; defaultBuckets: number }> = {
  DAY: { unit: 'day', interval: '1 day', defaultBuckets: 30 },
  WEEK: { unit: 'week', interval: '1 week', defaultBuckets: 26 },
  MONTH: { unit: 'month', interval: '1 month', defaultBuckets: 12 },
};
export const MAX_BUCKETS = 1000;

interface SeriesRange {
  unit: string;
  interval: string;
  from: Date;
  to: Date;
}

/**
 * The buckets of a series: the filter's period, or the last 30 days, 26 weeks or 12 months up to now.
 * The first bucket starts at the start of the day, week or month of `from` (UTC).
 */
function seriesRange(filter: ResolvedFilter, granularity: Granularity, now = new Date()): SeriesRange {
  const step = STEP[granularity];
  const to = filter.to ?? now;
  let from = filter.from;
  if (!from) {
    from = new Date(to);
    if (granularity === Granularity.MONTH) from.setUTCMonth(from.getUTCMonth() - step.defaultBuckets + 1, 1);
    else from.setUTCDate(from.getUTCDate() - (granularity === Granularity.WEEK ? 7 : 1) * (step.defaultBuckets - 1));
  }
  const approximateDays = { DAY: 1, WEEK: 7, MONTH: 28 }[granularity];
  if ((to.getTime() - from.getTime()) / 86_400_000 / approximateDays > MAX_BUCKETS) {
    throw badInput(
      `A series has at most ${MAX_BUCKETS} buckets: choose a shorter period or a larger granularity.`,
      'granularity',
    );
  }
  return { unit: step.unit, interval: step.interval, from, to };
}

/** `generate_series` of bucket starts (timestamps in UTC), the first bucket's start, the end, and the bucket of a column. */
function buckets(s: Statement, range: SeriesRange) {
  const unit = s.bind(range.unit);
  const from = s.bind(range.from);
  const to = s.bind(range.to);
  return {
    series: `generate_series(date_trunc(${unit}, ${from}::timestamptz AT TIME ZONE 'UTC'), (${to}::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC', ${s.bind(range.interval)}::interval)`,
    first: `(date_trunc(${unit}, ${from}::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`,
    to: `${to}::timestamptz`,
    bucketOf: (column: string) => `date_trunc(${unit}, ${column} AT TIME ZONE 'UTC')`,
  };
}

const toDate = (value: unknown) => (value instanceof Date ? value : new Date(String(value)));

export async function takedownSeries(
  ctx: RequestContext,
  filter: ResolvedFilter,
  granularity: Granularity,
): Promise<TakedownSeries> {
  const range = seriesRange(filter, granularity);
  const s = new Statement(ctx, filter);
  const b = buckets(s, range);
  const within = (column: string) => `${column} >= ${b.first} AND ${column} < ${b.to}`;

  // A listing's last takedown is its taken_down_at (seeded history included)...
  const lastTakedowns = s
    .scoped(Listing, 'x1')
    .select(`'TAKEN_DOWN'`, 'kind')
    .addSelect('x1.taken_down_at', 'at')
    .addSelect('1', 'n')
    .andWhere(`x1.taken_down_at IS NOT NULL AND ${within('x1.taken_down_at')} AND ${listingConditions(s, 'x1')}`);
  // Seller sanctions: a status change (by an investigator, or escalated by a strike) to the status.
  const sellerFilter = sellerConditions(s, 'v4');
  const sanctions = s
    .scoped(Seller, 'v4')
    .innerJoin(
      'audit_event',
      'e4',
      `e4.entity_type = 'Seller' AND e4.entity_id = v4.id AND e4.action IN ('seller.statusChanged', 'seller.struck')`,
    )
    .select(`e4.after ->> 'status'`, 'kind')
    .addSelect('e4.at', 'at')
    .addSelect('1', 'n')
    .andWhere(
      `e4.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED') AND (e4.before ->> 'status') IS DISTINCT FROM (e4.after ->> 'status')`,
    )
    .andWhere(`${within('e4.at')} AND ${sellerFilter}`);
  let takedowns: string;
  let sanctioned: string;
  if (s.internal && !filter.brandIds && !filter.platforms && !filter.leadSources && !filter.agencyIds) {
    // ...which, for an internal caller filtering by period and region only, the listing_takedown_day and
    // seller_sanction_day rollups count per UTC day and region of the seller (exact: kept by triggers in the
    // writes' transactions, see migrations 1763911000000-TakedownRollup and 1764600000000-SanctionRollup): the
    // whole days from them, the day of `to` live.
    const dayOf = (instant: string) => `(${instant} AT TIME ZONE 'UTC')::date`;
    const today = `>= ${dayOf(b.to)}::timestamp AT TIME ZONE 'UTC'`;
    lastTakedowns.andWhere(`x1.taken_down_at ${today}`);
    sanctions.andWhere(`e4.at ${today}`);
    const wholeDaysAndToday = (rollup: string, kind: string, n: string, live: string) =>
      `(SELECT ${kind} AS kind, d.day::timestamp AT TIME ZONE 'UTC' AS at, d.${n} AS n FROM ${rollup} d
        WHERE d.day >= ${dayOf(b.first)} AND d.day < ${dayOf(b.to)} AND ${onlyRegions(s, 'd.region')}
        UNION ALL SELECT t.kind, t.at, t.n FROM ${live} t)`;
    takedowns = wholeDaysAndToday('listing_takedown_day', `'TAKEN_DOWN'`, 'listings', s.derived(lastTakedowns));
    sanctioned = wholeDaysAndToday('seller_sanction_day', 'd.status', 'sanctions', s.derived(sanctions));
  } else if (s.ctx.scope.kind === 'BRAND' && sellerFilter === 'TRUE') {
    // ...which, for a brand partner with no filter on sellers, seller_sanction holds one row each, read in the
    // caller's scope by its policy alone: the brand's sellers as a set built once and hashed (migration
    // 1764700000000), where joining each sanction to its seller checked the seller rule per event, twice (0.8 s
    // at scale 10). An agency's few sellers are checked faster one by one (77 against 87 ms through the set).
    // test/analytics/takedown-series.test.ts holds the two paths equal.
    takedowns = s.derived(lastTakedowns);
    sanctioned = `(SELECT ss.status AS kind, ss.at, 1 AS n FROM seller_sanction ss WHERE ${within('ss.at')})`;
  } else {
    takedowns = s.derived(lastTakedowns);
    sanctioned = s.derived(sanctions);
  }
  // ...and its earlier takedowns (taken down, reinstated, taken down again) are in the audit trail.
  const earlierTakedowns = s
    .scoped(Listing, 'x2')
    .innerJoin(
      'audit_event',
      'e2',
      `e2.entity_type = 'Listing' AND e2.entity_id = x2.id AND e2.action = 'listing.takenDown'`,
    )
    .select(`'TAKEN_DOWN'`, 'kind')
    .addSelect('e2.at', 'at')
    .addSelect('1', 'n')
    .andWhere(
      `(e2.after ->> 'takenDownAt')::timestamptz < x2.taken_down_at AND ${within('e2.at')} AND ${listingConditions(s, 'x2')}`,
    );
  const reinstatements = s
    .scoped(Listing, 'x3')
    .innerJoin(
      'audit_event',
      'e3',
      `e3.entity_type = 'Listing' AND e3.entity_id = x3.id AND e3.action = 'listing.reinstated'`,
    )
    .select(`'REINSTATED'`, 'kind')
    .addSelect('e3.at', 'at')
    .addSelect('1', 'n')
    .andWhere(`${within('e3.at')} AND ${listingConditions(s, 'x3')}`);
  // (TypeORM may order the selected columns its own way: each part is read by name; `n` events at `at`.)
  const parts: string[] = [takedowns, s.derived(earlierTakedowns), s.derived(reinstatements), sanctioned];
  const events = parts.map((sql, i) => `SELECT p${i}.kind, p${i}.at, p${i}.n FROM ${sql} p${i}`).join(' UNION ALL ');

  // Events are counted per bucket and kind first, then joined to the buckets (12 rows for a year by month).
  const rows = await s.rows<Record<string, unknown>>(`
    SELECT b.bucket AT TIME ZONE 'UTC' AS start,
           sum(e.n) FILTER (WHERE e.kind = 'TAKEN_DOWN') AS taken_down,
           sum(e.n) FILTER (WHERE e.kind = 'REINSTATED') AS reinstated,
           sum(e.n) FILTER (WHERE e.kind = 'RESTRICTED') AS restricted,
           sum(e.n) FILTER (WHERE e.kind = 'SUSPENDED') AS suspended,
           sum(e.n) FILTER (WHERE e.kind = 'CLOSED') AS closed
    FROM ${b.series} AS b(bucket)
    LEFT JOIN (SELECT ${b.bucketOf('ev.at')} AS bucket, ev.kind, sum(ev.n) AS n FROM (${events}) ev GROUP BY 1, 2) e ON e.bucket = b.bucket
    GROUP BY b.bucket ORDER BY b.bucket`);
  return {
    granularity,
    from: rows.length ? toDate(rows[0].start) : range.from,
    to: range.to,
    buckets: rows.map((row) => ({
      start: toDate(row.start),
      listingsTakenDown: count(row.taken_down),
      listingsReinstated: count(row.reinstated),
      sellersRestricted: count(row.restricted),
      sellersSuspended: count(row.suspended),
      sellersClosed: count(row.closed),
    })),
  };
}

export async function outcomeSeries(
  ctx: RequestContext,
  filter: ResolvedFilter,
  granularity: Granularity,
): Promise<OutcomeSeries> {
  const range = seriesRange(filter, granularity);
  // The period of the series is its own: outcomes of every bucket, including a first bucket that starts before `from`.
  const s = new Statement(ctx, { ...filter, from: null, to: null });
  const b = buckets(s, range);
  const rows = await s.rows<Record<string, unknown>>(`
    SELECT b.bucket AT TIME ZONE 'UTC' AS start,
           count(o.kind) FILTER (WHERE o.kind = 'RAID') AS raids, count(o.kind) FILTER (WHERE o.kind = 'SEIZURE') AS seizures,
           coalesce(sum(o.arrests), 0) AS arrests, coalesce(sum(o.dens_destroyed), 0) AS dens_destroyed,
           coalesce(sum(o.convictions), 0) AS convictions, count(o.kind) FILTER (WHERE o.kind = 'FINE') AS fines
    FROM ${b.series} AS b(bucket)
    LEFT JOIN ${filteredOutcomes(s, { money: false })} o ON ${b.bucketOf('o.occurred_at')} = b.bucket AND o.occurred_at >= ${b.first} AND o.occurred_at < ${b.to}
    GROUP BY b.bucket ORDER BY b.bucket`);
  return {
    granularity,
    from: rows.length ? toDate(rows[0].start) : range.from,
    to: range.to,
    buckets: rows.map((row) => ({
      start: toDate(row.start),
      raids: count(row.raids),
      seizures: count(row.seizures),
      arrests: count(row.arrests),
      densDestroyed: count(row.dens_destroyed),
      convictions: count(row.convictions),
      fines: count(row.fines),
    })),
  };
}
