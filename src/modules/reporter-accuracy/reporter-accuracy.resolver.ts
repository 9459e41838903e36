import { Arg, Ctx, Field, FieldResolver, Float, Int, ObjectType, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../shared/context.js';
import { ResolvedFilter } from '../../shared/data-access/statement.js';
import { Analytics, Granularity } from '../analytics/analytics.types.js';
import { Brand } from '../brand/brand.entity.js';
import { badInput } from '../../shared/errors.js';
import { featureSettings } from '../../shared/settings.js';
import { fastTrackVerdict, ReportCounts } from '../enforcement-policy/enforcement-policy.js';
import {
  accuracyOf,
  AccuracyCounts,
  bucketStarts,
  countsPerBrand,
  mostReporting,
  accuracyRollupAsOf,
  seriesCounts,
} from './reporter-accuracy.service.js';
import { windowCounts } from '../lead/fast-track.js';

@ObjectType({
  description:
    'Reports of a brand and how they were decided (docs/enforcement-policy.md): a report (lead) is confirmed when closed as resolved by takedown or case concluded, or referred to an agency; rejected when closed as not counterfeit or insufficient evidence; otherwise undecided. Listings named on the reports are shown (taken down, reinstated) but do not count for accuracy.',
})
export class ReportAccuracyFigures {
  @Field(() => Int, { description: 'Leads it reported (source BRAND_REPORT).' }) leadsReported!: number;
  @Field(() => Int, {
    description: 'Reports (leads) that proved right: resolved by takedown, case concluded, or referred to an agency.',
  })
  leadsConfirmed!: number;
  @Field(() => Int, {
    description: 'Reports (leads) that proved wrong: closed as not counterfeit or for insufficient evidence.',
  })
  leadsRejected!: number;
  @Field(() => Int, {
    description:
      'Listings of its own named on those leads, each counted once, at its first report (in the period or bucket of that report).',
  })
  listingsReported!: number;
  @Field(() => Int, { description: 'Listings named on those reports that are taken down (never counted in accuracy).' })
  listingsConfirmed!: number;
  @Field(() => Int, {
    description: 'Listings named on those reports that were reinstated (never counted in accuracy).',
  })
  listingsRejected!: number;
  @Field(() => Float, {
    nullable: true,
    description:
      'Confirmed / (confirmed + rejected) reports (leads; listings do not count); null when none is decided yet.',
  })
  accuracy!: number | null;
}

@ObjectType({
  description: "A brand's reports over the fast track's rolling window, as the enforcement policy counts them.",
})
export class FastTrackWindow {
  @Field(() => Int, {
    description: 'Length of the window (FAST_TRACK_WINDOW_DAYS): reports made in the last this many days.',
  })
  days!: number;
  @Field(() => Int, { description: 'Its reports in the window that were confirmed.' }) reportsConfirmed!: number;
  @Field(() => Int, { description: 'Its reports in the window that were rejected.' }) reportsRejected!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Confirmed / (confirmed + rejected) in the window; null when none is decided.',
  })
  accuracy!: number | null;
  @Field({
    description: 'The rule that decided, e.g. "accuracy >= 0.9 (reports of the last 365 days) -> fast-tracked".',
  })
  rule!: string;
}

@ObjectType({ description: "A brand's report accuracy over one bucket of time." })
export class ReportAccuracyBucket extends ReportAccuracyFigures {
  @Field({ description: 'Start of the bucket (UTC): reports made in it, as decided now.' }) start!: Date;
}

@ObjectType({ description: "One brand's accuracy as a reporter." })
export class BrandReporterAccuracy {
  @Field(() => Brand, { description: 'The brand these figures are for.' }) brand!: Brand;
  @Field(() => ReportAccuracyFigures, { description: 'Reports made in the period (all time without one).' })
  period!: ReportAccuracyFigures;
  @Field(() => ReportAccuracyFigures, { description: 'All its reports.' }) allTime!: ReportAccuracyFigures;
  @Field({
    description:
      'Whether its new reports are fast-tracked: over its reports of the last FAST_TRACK_WINDOW_DAYS days, at least FAST_TRACK_MIN_DECIDED decided and an accuracy of at least FAST_TRACK_ACCURACY.',
  })
  fastTrack!: boolean;
  @Field(() => FastTrackWindow, { description: 'What the fast track is decided on.' })
  fastTrackWindow!: FastTrackWindow;
  @Field(() => [ReportAccuracyBucket], {
    description: 'Per bucket of the period (default: the last 30 days, 26 weeks or 12 months).',
  })
  series!: ReportAccuracyBucket[];
  @Field({
    description:
      'When `period`, `allTime` and `series` were counted. Without a period in the filter, from a rollup refreshed on a schedule ' +
      '(ANALYTICS_ROLLUP_REFRESH_SECONDS, default every 15 minutes): the time of its last refresh, and reports since then are not in them yet. ' +
      'With a period, counted live: the time of this request. `fastTrack` and `fastTrackWindow` are always current.',
  })
  asOf!: Date;
}

const figures = (c: AccuracyCounts): ReportAccuracyFigures => ({ ...c, accuracy: accuracyOf(c) });
const fastTrackOf = (counts: ReportCounts, days: number) => {
  const verdict = fastTrackVerdict(counts);
  return {
    fastTrack: verdict.fastTrack,
    fastTrackWindow: {
      days,
      reportsConfirmed: counts.confirmed,
      reportsRejected: counts.rejected,
      accuracy: verdict.accuracy,
      rule: verdict.rule,
    },
  };
};
const EMPTY: AccuracyCounts = {
  leadsReported: 0,
  leadsConfirmed: 0,
  leadsRejected: 0,
  listingsReported: 0,
  listingsConfirmed: 0,
  listingsRejected: 0,
};

const DEFAULT_BRANDS = 100;
const MAX_BRANDS = 1000;

type AnalyticsRoot = Analytics & { resolved: ResolvedFilter };

@Resolver(() => Analytics)
export class ReporterAccuracyResolver {
  @FieldResolver(() => [BrandReporterAccuracy], {
    description:
      'Per brand you may see (a brand partner: its own), the share of its reports confirmed versus rejected, over time; brands with reports only, most reports first (all time), at most `first`.',
  })
  async reporterAccuracy(
    @Root() root: AnalyticsRoot,
    @Arg('granularity', () => Granularity, {
      defaultValue: Granularity.MONTH,
      description: "Bucket size of each brand's `series` (buckets in UTC).",
    })
    granularity: Granularity,
    @Arg('first', () => Int, {
      defaultValue: DEFAULT_BRANDS,
      description: `The brands with most reports to answer (1-${MAX_BRANDS}).`,
    })
    first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<BrandReporterAccuracy[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_BRANDS)
      throw badInput(`first must be between 1 and ${MAX_BRANDS}.`, 'first');
    const now = new Date();
    const to = root.resolved.to ?? now;
    const starts = bucketStarts(granularity, root.resolved.from, to);
    // Without a period, every figure is read from the scheduled rollup (null: never filled, counted live).
    const rollupTime = await accuracyRollupAsOf(ctx, root.resolved);
    const fromRollup = rollupTime !== null;
    const allTime = await countsPerBrand(ctx, root.resolved, false, fromRollup);
    // The `first` brands you may see with most reports; only theirs are counted further.
    const brands = await mostReporting(ctx, allTime, first);
    const chosen = { ...root.resolved, brandIds: brands.map((brand) => brand.rowId) };
    const inPeriod = root.resolved.from || root.resolved.to ? await countsPerBrand(ctx, chosen, true) : allTime;
    const series = await seriesCounts(ctx, chosen, granularity, starts, to, fromRollup);
    const recent = await windowCounts(ctx, chosen.brandIds, new Date());
    const { windowDays } = featureSettings().fastTrack;
    return brands.map((brand) => {
      const buckets = series.get(brand.rowId) ?? new Map<number, AccuracyCounts>();
      return {
        brand,
        period: figures(inPeriod.get(brand.rowId) ?? EMPTY),
        allTime: figures(allTime.get(brand.rowId)!),
        ...fastTrackOf(recent.get(brand.rowId)!, windowDays),
        series: starts.map((start) => ({ start, ...figures(buckets.get(start.getTime()) ?? EMPTY) })),
        asOf: rollupTime ?? now,
      };
    });
  }
}
