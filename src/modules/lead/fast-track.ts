import { RequestContext } from '../../shared/context.js';
import { fastTrackVerdict, fastTrackWindowStart, ReportCounts } from '../enforcement-policy/enforcement-policy.js';

// The fast track of a new report (docs/enforcement-policy.md, section 1): read here, where leads are reported;
// reporter accuracy (src/modules/reporter-accuracy) shows the same window's counts.

/**
 * The decided reports of each brand (ids the caller may see) within the fast track's rolling window, from
 * the per-brand counters: one statement, an index range of at most one row per day of the window per brand.
 */
export async function windowCounts(
  ctx: RequestContext,
  brandIds: string[],
  now: Date,
): Promise<Map<string, ReportCounts>> {
  const counts = new Map<string, ReportCounts>(brandIds.map((id) => [id, { confirmed: 0, rejected: 0 }]));
  if (!brandIds.length) return counts;
  const rows: { brand_id: string; confirmed: number; rejected: number }[] = await ctx.db.query(
    `SELECT brand_id::text, sum(confirmed)::int AS confirmed, sum(rejected)::int AS rejected
     FROM brand_report_stats WHERE brand_id = ANY($1::bigint[]) AND day >= $2::date GROUP BY brand_id`,
    [brandIds, fastTrackWindowStart(now)],
  );
  for (const row of rows) counts.set(row.brand_id, { confirmed: row.confirmed, rejected: row.rejected });
  return counts;
}

/** Whether a report naming these brands (ids the caller may see) is fast-tracked: one of them is an accurate reporter over the window. */
export async function isFastTrackReporter(ctx: RequestContext, brandIds: string[], now: Date): Promise<boolean> {
  return [...(await windowCounts(ctx, brandIds, now)).values()].some((counts) => fastTrackVerdict(counts).fastTrack);
}
