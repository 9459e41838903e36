import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { ResolvedFilter } from '../../shared/data-access/statement.js';
import { resolveFilter } from './analytics.sql.js';
import { outcomeSeries, takedownSeries } from './analytics-series.js';
import { enforcementFunnel, outcomeTotals, timeToAction } from './analytics.service.js';
import { regionBreakdown } from './region-breakdown.js';
import {
  Analytics,
  AnalyticsFilter,
  EnforcementFunnel,
  Granularity,
  OutcomeSeries,
  OutcomeTotals,
  RegionFigures,
  RepeatOffenderOrder,
  RepeatOffenders,
  SellerNetwork,
  TakedownSeries,
  TimeToAction,
} from './analytics.types.js';
import { OverdueReferralsResolver } from './overdue-referrals.js';
import { repeatOffenders, sellerNetwork } from './seller-network.service.js';

/** The root object carries the decoded filter to the figures, each computed only when asked for. */
type AnalyticsRoot = Analytics & { resolved: ResolvedFilter };

@Resolver(() => Analytics)
export class AnalyticsResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Analytics, {
    nullable: true,
    description:
      'Enforcement figures over the cases you may see (a brand partner: its brand; an agency: its referrals).',
  })
  analytics(
    @Arg('filter', () => AnalyticsFilter, {
      nullable: true,
      description: 'The period and the cases the figures cover (default: all you may see).',
    })
    filter: AnalyticsFilter | undefined,
  ): AnalyticsRoot {
    return Object.assign(new Analytics(), { resolved: resolveFilter(filter), asOf: new Date() });
  }

  @FieldResolver(() => EnforcementFunnel, {
    description: 'Leads created in the period through the stages of enforcement.',
  })
  enforcementFunnel(@Root() root: AnalyticsRoot, @Ctx() ctx: RequestContext): Promise<EnforcementFunnel> {
    return enforcementFunnel(ctx, root.resolved);
  }

  @FieldResolver(() => OutcomeTotals, { description: 'Outcomes that occurred in the period.' })
  outcomeTotals(@Root() root: AnalyticsRoot, @Ctx() ctx: RequestContext): Promise<OutcomeTotals> {
    return outcomeTotals(ctx, root.resolved);
  }

  @FieldResolver(() => TimeToAction, {
    description: 'How long each step of a case takes, from report to first action (of the filter and your scope).',
  })
  timeToAction(@Root() root: AnalyticsRoot, @Ctx() ctx: RequestContext): Promise<TimeToAction> {
    return timeToAction(ctx, root.resolved);
  }

  @FieldResolver(() => TakedownSeries, {
    description:
      'Takedowns and seller sanctions per bucket of the period (default: the last 30 days, 26 weeks or 12 months).',
  })
  takedownSeries(
    @Root() root: AnalyticsRoot,
    @Arg('granularity', () => Granularity, {
      defaultValue: Granularity.WEEK,
      description: 'Bucket size (DAY, WEEK or MONTH; buckets in UTC).',
    })
    granularity: Granularity,
    @Ctx() ctx: RequestContext,
  ): Promise<TakedownSeries> {
    return takedownSeries(ctx, root.resolved, granularity);
  }

  @FieldResolver(() => OutcomeSeries, {
    description: 'Outcomes per bucket of the period (default: the last 30 days, 26 weeks or 12 months).',
  })
  outcomeSeries(
    @Root() root: AnalyticsRoot,
    @Arg('granularity', () => Granularity, {
      defaultValue: Granularity.MONTH,
      description: 'Bucket size (DAY, WEEK or MONTH; buckets in UTC).',
    })
    granularity: Granularity,
    @Ctx() ctx: RequestContext,
  ): Promise<OutcomeSeries> {
    return outcomeSeries(ctx, root.resolved, granularity);
  }

  @FieldResolver(() => [RegionFigures], {
    description: "The funnel and outcomes per region of the leads' sellers, for a heat map.",
  })
  regionBreakdown(@Root() root: AnalyticsRoot, @Ctx() ctx: RequestContext): Promise<RegionFigures[]> {
    return regionBreakdown(ctx, root.resolved);
  }

  @FieldResolver(() => RepeatOffenders, {
    description:
      'The sellers and seller networks with the most strikes, leads or takedowns, of the filter and your scope.',
  })
  repeatOffenders(
    @Root() root: AnalyticsRoot,
    @Arg('first', () => Int, { defaultValue: 10, description: 'How many sellers and networks: 1 to 100.' })
    first: number,
    @Arg('orderBy', () => RepeatOffenderOrder, {
      defaultValue: RepeatOffenderOrder.STRIKES,
      description: 'The figure ranked first (default STRIKES).',
    })
    orderBy: RepeatOffenderOrder,
    @Ctx() ctx: RequestContext,
  ): Promise<RepeatOffenders> {
    return repeatOffenders(ctx, root.resolved, first, orderBy);
  }
}

@Resolver(() => SellerNetwork)
export class SellerNetworkResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => SellerNetwork, {
    nullable: true,
    description:
      'The sellers linked to one seller through shared identifiers (within your scope); null if the seller does not exist or is out of your scope.',
  })
  sellerNetwork(
    @Arg('sellerId', () => ID, { description: 'Global id of the seller to start from.' }) sellerId: string,
    @Arg('maxDepth', () => Int, { defaultValue: 2, description: 'How many links away: 1 to 4.' }) maxDepth: number,
    @Ctx() ctx: RequestContext,
  ): Promise<SellerNetwork | null> {
    return sellerNetwork(ctx, sellerId, maxDepth);
  }
}

/** Everything this module adds to the schema (one entry in schema.ts). */
export const analyticsResolvers = [AnalyticsResolver, SellerNetworkResolver, OverdueReferralsResolver] as const;
