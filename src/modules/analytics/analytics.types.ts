import { ArrayMaxSize } from 'class-validator';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../shared/money/money.js';
import { LeadSource } from '../lead/lead.states.js';
import { IdentifierKind } from '../seller/seller-identifier.entity.js';
import { Seller } from '../seller/seller.entity.js';

@InputType({
  description:
    'What the figures are about. Every list narrows the figures to cases that match any of its values; the lists combine with AND. ' +
    'The period selects leads by creation (funnel, time to action, region funnel) and events by their time (outcomes, series).',
})
export class AnalyticsFilter {
  @Field({ nullable: true, description: 'Start of the period (inclusive).' })
  from?: Date;

  @Field({ nullable: true, description: 'End of the period (exclusive).' })
  to?: Date;

  @Field(() => [ID], { nullable: true, description: 'Cases naming any of these brands (listings claiming them).' })
  @ArrayMaxSize(100)
  brandIds?: string[];

  @Field(() => [String], {
    nullable: true,
    description: 'Cases whose sellers are registered in any of these regions (ISO 3166-2, e.g. CN-ZJ).',
  })
  @ArrayMaxSize(100)
  regions?: string[];

  @Field(() => [String], {
    nullable: true,
    description: 'Cases whose sellers are on any of these platforms (e.g. TAOBAO).',
  })
  @ArrayMaxSize(100)
  platforms?: string[];

  @Field(() => [ID], { nullable: true, description: 'Cases referred (sent) to any of these agencies.' })
  @ArrayMaxSize(100)
  agencyIds?: string[];

  @Field(() => [LeadSource], { nullable: true, description: 'Cases whose lead came from any of these sources.' })
  leadSources?: LeadSource[];
}

export enum FunnelStageName {
  LEADS = 'LEADS',
  TRIAGED = 'TRIAGED',
  INVESTIGATED = 'INVESTIGATED',
  REFERRED = 'REFERRED',
  ACTIONED = 'ACTIONED',
  CONVICTED = 'CONVICTED',
}
registerEnumType(FunnelStageName, {
  name: 'FunnelStageName',
  description: 'Stages of the enforcement funnel, in order.',
  valuesConfig: {
    LEADS: { description: 'Every lead.' },
    TRIAGED: {
      description:
        'Triaged (triaged_at set) or moved on past NEW along the lifecycle (TRIAGED, INVESTIGATING, REFERRED), or investigated.',
    },
    INVESTIGATED: { description: 'Part of an investigation.' },
    REFERRED: { description: 'Its investigation has a referral that was sent.' },
    ACTIONED: {
      description: 'A referral of it has a RAID, SEIZURE or FINE outcome (an administrative penalty is action taken).',
    },
    CONVICTED: { description: 'A referral of it has a CONVICTION outcome.' },
  },
});

export enum Granularity {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(Granularity, {
  name: 'Granularity',
  description: 'Bucket size of a time series (buckets start at 00:00 UTC; weeks on Monday).',
  valuesConfig: {
    DAY: { description: 'One bucket per day (UTC).' },
    MONTH: { description: 'One bucket per calendar month (UTC).' },
    WEEK: { description: 'One bucket per week, Monday to Sunday (UTC).' },
  },
});

export enum RepeatOffenderOrder {
  STRIKES = 'STRIKES',
  LEADS = 'LEADS',
  TAKEDOWNS = 'TAKEDOWNS',
}
registerEnumType(RepeatOffenderOrder, {
  name: 'RepeatOffenderOrder',
  description: 'The figure ranked first; the other two break ties in the order strikes, leads, takedowns.',
  valuesConfig: {
    LEADS: { description: 'Leads naming it, most first.' },
    STRIKES: { description: 'Strikes, most first.' },
    TAKEDOWNS: { description: 'Listings taken down, most first.' },
  },
});

@ObjectType({ description: 'One stage of the funnel.' })
export class FunnelStage {
  @Field(() => FunnelStageName, { description: 'Which stage of the funnel.' })
  stage!: FunnelStageName;

  @Field(() => Int, { description: 'Leads that reached this stage.' })
  count!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Share (0-1) of the leads of the previous stage that also reached this one; null for the first stage or when the previous stage is empty.',
  })
  conversionFromPrevious!: number | null;
}

@ObjectType({
  description: 'Leads -> triaged -> investigated -> referred -> actioned (raid, seizure or fine) -> convicted.',
})
export class EnforcementFunnel {
  @Field(() => Int, { description: 'Leads reported in the period (of the filter and your scope).' }) leads!: number;
  @Field(() => Int, { description: 'Of those, triaged.' }) triaged!: number;
  @Field(() => Int, { description: 'Of those, made part of an investigation.' }) investigated!: number;
  @Field(() => Int, { description: 'Of those, with an investigation referred to an agency.' }) referred!: number;
  @Field(() => Int, { description: 'With a RAID, SEIZURE or FINE outcome (a fine counts as action taken).' })
  actioned!: number;
  @Field(() => Int, { description: 'With a CONVICTION outcome.' }) convicted!: number;

  @Field(() => [FunnelStage], {
    description: 'The same counts as a list, in order, with the conversion rates between consecutive stages.',
  })
  stages!: FunnelStage[];
}

@ObjectType({ description: 'Fines imposed.' })
export class FineTotals {
  @Field(() => Int, { description: 'FINE outcomes.' })
  count!: number;

  @Field(() => [Money], { description: 'Total fined per currency.' })
  amounts!: Money[];
}

@ObjectType({ description: 'What the agencies reported back, added up.' })
export class OutcomeTotals {
  @Field(() => Int, { description: 'RAID outcomes.' }) raids!: number;
  @Field(() => Int, { description: 'SEIZURE outcomes.' }) seizures!: number;
  @Field(() => Int, { description: 'Production or storage sites shut down.' }) densDestroyed!: number;
  @Field(() => Int, { description: 'People arrested.' }) arrests!: number;
  @Field(() => [Money], {
    description:
      "Value of the goods seized, per currency (never converted). An outcome of a joint operation counts its share of the operation's agreed value " +
      "instead of its own figure: the agreed value is shared equally by the agencies that took part, each agency's share counted with its first outcome in " +
      "the operation (that outcome's time, agency and cases), so that periods, agencies and regions add up to the agreed value once.",
  })
  seizedValue!: Money[];
  @Field(() => Int, { description: 'People convicted.' }) convictions!: number;
  @Field(() => FineTotals, { description: 'Fines imposed, one amount per currency.' }) fines!: FineTotals;
}

@ObjectType({ description: 'How long a step took, in days: median and 90th percentile (continuous percentiles).' })
export class DurationStats {
  @Field(() => Int, { description: 'How many cases took the step.' })
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Median, in days; null when no case took the step.' })
  medianDays!: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile, in days.' })
  p90Days!: number | null;
}

@ObjectType({
  description:
    'Time between the steps of a case, over the leads of the period and the investigations and referrals behind them.',
})
export class TimeToAction {
  @Field(() => DurationStats, { description: 'Lead created -> its investigation opened.' })
  leadToInvestigation!: DurationStats;

  @Field(() => DurationStats, { description: 'Investigation opened -> a referral of it sent (per referral).' })
  investigationToReferral!: DurationStats;

  @Field(() => DurationStats, { description: 'Referral sent -> acknowledged by the agency.' })
  referralToAcknowledgement!: DurationStats;

  @Field(() => DurationStats, {
    description: 'Referral sent -> the first action reported (raid, arrest, seizure or fine).',
  })
  referralToFirstAction!: DurationStats;

  @Field(() => DurationStats, { description: 'Referral sent -> concluded with a conviction.' })
  referralToConviction!: DurationStats;
}

@ObjectType({ description: 'Marketplace actions in one bucket of time.' })
export class TakedownBucket {
  @Field({ description: 'Start of the bucket (UTC).' }) start!: Date;
  @Field(() => Int, { description: 'Listings taken down.' }) listingsTakenDown!: number;
  @Field(() => Int, { description: 'Listings reinstated.' }) listingsReinstated!: number;
  @Field(() => Int, { description: 'Sellers moved to RESTRICTED.' }) sellersRestricted!: number;
  @Field(() => Int, { description: 'Sellers moved to SUSPENDED.' }) sellersSuspended!: number;
  @Field(() => Int, { description: 'Sellers moved to CLOSED.' }) sellersClosed!: number;
}

@ObjectType({
  description:
    "Takedowns and seller sanctions over time. Takedowns: each listing's last takedown (taken_down_at) plus earlier ones recorded in the audit trail; " +
    'reinstatements and seller sanctions: the audit trail (history loaded before the audit trail existed has no such events).',
})
export class TakedownSeries {
  @Field(() => Granularity, { description: 'The bucket size.' }) granularity!: Granularity;
  @Field({ description: 'Start of the first bucket.' }) from!: Date;
  @Field({ description: 'End of the series (exclusive).' }) to!: Date;
  @Field(() => [TakedownBucket], {
    description: 'One per bucket from the start to the end of the period, oldest first, empty buckets included.',
  })
  buckets!: TakedownBucket[];
}

@ObjectType({ description: 'Enforcement outcomes in one bucket of time (by the date the outcome occurred).' })
export class OutcomeBucket {
  @Field({ description: 'Start of the bucket (UTC).' }) start!: Date;
  @Field(() => Int, { description: 'RAID outcomes in the bucket.' }) raids!: number;
  @Field(() => Int, { description: 'SEIZURE outcomes in the bucket.' }) seizures!: number;
  @Field(() => Int, { description: 'People arrested in the bucket.' }) arrests!: number;
  @Field(() => Int, { description: 'Production or storage sites shut down in the bucket.' }) densDestroyed!: number;
  @Field(() => Int, { description: 'People convicted in the bucket.' }) convictions!: number;
  @Field(() => Int, { description: 'FINE outcomes in the bucket.' }) fines!: number;
}

@ObjectType({ description: 'Enforcement outcomes over time.' })
export class OutcomeSeries {
  @Field(() => Granularity, { description: 'The bucket size.' }) granularity!: Granularity;
  @Field({ description: 'Start of the first bucket (UTC).' }) from!: Date;
  @Field({ description: 'End of the period (exclusive, UTC).' }) to!: Date;
  @Field(() => [OutcomeBucket], {
    description: 'One per bucket from `from` to `to`, oldest first, empty buckets included.',
  })
  buckets!: OutcomeBucket[];
}

@ObjectType({
  description:
    'The funnel and the outcomes of the cases whose sellers are registered in one region. A lead with sellers in two regions counts in both; ' +
    'an outcome counts in every region of the leads behind its referral, and its money (seized value, fines) is split equally between those regions ' +
    "(to the minor unit, units left over to the regions in alphabetical order), so that the regions' money adds up to the total.",
})
export class RegionFigures {
  @Field({ description: 'ISO 3166-2 subdivision or ISO 3166-1 country of the sellers.' }) region!: string;
  @Field(() => EnforcementFunnel, { description: 'The funnel of the cases whose sellers are in the region.' })
  funnel!: EnforcementFunnel;
  @Field(() => Date, {
    nullable: true,
    description:
      'When `funnel` was counted, if not for this request: for internal roles whose filter names at most regions, the funnel comes ' +
      'from a rollup refreshed on a schedule (ANALYTICS_ROLLUP_REFRESH_SECONDS, default every 15 minutes), and this is the time of its ' +
      'last refresh (changes since then are not in it yet). Null when counted live for this request. `outcomes` are always current.',
  })
  funnelAsOf!: Date | null;
  @Field(() => OutcomeTotals, { description: 'The outcomes of the cases whose sellers are in the region.' })
  outcomes!: OutcomeTotals;
}

@ObjectType({ description: 'A seller with its record.' })
export class OffendingSeller {
  @Field(() => Seller, { description: 'The seller.' }) seller!: Seller;
  @Field(() => Int, { description: "The seller's strikes (all time, as on Seller.strikeCount)." }) strikes!: number;
  @Field(() => Int, { description: 'Leads naming it (of the filter and your scope).' }) leads!: number;
  @Field(() => Int, { description: 'Its listings taken down (of the filter and your scope).' }) takedowns!: number;
}

@ObjectType({
  description: 'Sellers linked through shared identifiers, with their records added up (only the members you may see).',
})
export class OffendingNetwork {
  @Field(() => Seller, { description: 'Its member ranked first: ask `sellerNetwork(sellerId:)` for the links.' })
  representative!: Seller;
  @Field(() => Int, { description: 'Members you may see.' }) sellerCount!: number;
  @Field(() => [Seller], { description: 'Members you may see, ranked (at most 20).' }) sellers!: Seller[];
  @Field(() => Int, { description: 'Strikes of its members, all time.' }) strikes!: number;
  @Field(() => Int, { description: 'Leads naming its members (of the filter and your scope).' }) leads!: number;
  @Field(() => Int, { description: 'Listings of its members taken down (of the filter and your scope).' })
  takedowns!: number;
}

@ObjectType({ description: 'Sellers and seller networks ranked by strikes, leads and takedowns.' })
export class RepeatOffenders {
  @Field(() => [OffendingSeller], { description: 'Sellers with at least one lead or takedown in the filter.' })
  sellers!: OffendingSeller[];
  @Field(() => [OffendingNetwork], {
    description: 'Networks (2 or more linked sellers) with at least one lead or takedown in the filter.',
  })
  networks!: OffendingNetwork[];
  @Field(() => Date, {
    nullable: true,
    description:
      'Without a filter, `sellers` come from a rollup of your scope computed at this time (refreshed by the servers every ANALYTICS_ROLLUP_REFRESH_SECONDS, default 15 minutes; never on read): changes since then show after the next refresh. Null when computed live (with a filter).',
  })
  sellersAsOf!: Date | null;

  @Field({
    description:
      "When the networks were computed: without a filter, the ranking of your scope's networks; with one, the networks' members (shared identifiers) that the live ranking groups. Changes since then show after the next refresh (every ANALYTICS_ROLLUP_REFRESH_SECONDS, default 15 minutes).",
  })
  networksAsOf!: Date;
}

@ObjectType({
  description:
    "Enforcement analytics over the cases you may see: a brand partner its brand's, an agency its own referrals'.",
})
export class Analytics {
  @Field({
    description:
      'When these figures were computed. They are live (read at this moment), except `repeatOffenders` (see its `sellersAsOf` and `networksAsOf`).',
  })
  asOf!: Date;
}

@ObjectType({ description: 'A seller of a network and how far it is from the seller asked about.' })
export class NetworkMember {
  @Field(() => Seller, { description: 'The seller.' }) seller!: Seller;
  @Field(() => Int, {
    description:
      'Hops from the start seller: the fewest links (shared identifiers) followed to reach it; 1 shares an identifier with the start seller ' +
      'itself, 0 is the start seller. Not how many identifiers the two share (see `SellerNetwork.links`).',
  })
  depth!: number;
}

@ObjectType({ description: 'Two sellers that share an identifier.' })
export class NetworkLink {
  @Field(() => Seller, { description: 'One seller of the pair.' }) from!: Seller;
  @Field(() => Seller, { description: 'The other seller of the pair.' }) to!: Seller;
  @Field(() => IdentifierKind, { nullable: true, description: 'What they share: internal roles only.' })
  kind!: IdentifierKind | null;
  @Field(() => String, {
    nullable: true,
    description: 'Keyed hash of the shared value: administrators and investigators only.',
  })
  valueHash!: string | null;
}

@ObjectType({ description: 'What the sellers of a network add up to (within your scope).' })
export class NetworkTotals {
  @Field(() => Int, { description: 'Members of the network you may see.' }) sellers!: number;
  @Field(() => Int, { description: 'Leads naming any of them.' }) leads!: number;
  @Field(() => Int, { description: 'Their listings taken down.' }) takedowns!: number;
  @Field(() => Int, { description: 'Sent referrals of investigations of those leads.' }) referrals!: number;
}

@ObjectType({
  description:
    'The sellers linked to one seller through shared identifiers (payment accounts, phones, addresses, devices, licences...).',
})
export class SellerNetwork {
  @Field(() => Seller, { description: 'The seller the traversal started from.' }) seller!: Seller;
  @Field(() => Int, { description: 'The most hops followed from the start seller.' }) maxDepth!: number;
  @Field(() => [NetworkMember], { description: 'Members you may see, nearest first (the start seller first).' })
  members!: NetworkMember[];
  @Field(() => [NetworkLink], { description: 'Shared identifiers between members you may see (at most 1,000).' })
  links!: NetworkLink[];
  @Field({ description: 'True when the traversal stopped at its size bound: more sellers are linked than shown.' })
  truncated!: boolean;
  @Field(() => NetworkTotals, { description: 'Counts over the members you may see.' }) totals!: NetworkTotals;
}

export const NETWORK_MAX_DEPTH = 4;
export const NETWORK_MAX_SELLERS = 200;
export const NETWORK_MAX_LINKS = 1000;
