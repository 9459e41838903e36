import {
  getNamedType,
  GraphQLField,
  GraphQLNamedType,
  GraphQLOutputType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { MAX_BUCKETS } from '../modules/analytics/analytics-series.js';
import { FunnelStageName, NETWORK_MAX_LINKS, NETWORK_MAX_SELLERS } from '../modules/analytics/analytics.types.js';
import {
  MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
  MAX_ESCALATIONS_PER_REFERRAL,
  MAX_EVIDENCE_PER_INVESTIGATION,
  MAX_FEEDBACK_PER_REFERRAL,
  MAX_FINDINGS_PER_INVESTIGATION,
  MAX_IDENTIFIERS_PER_SELLER,
  MAX_OUTCOMES_PER_JOINT_OPERATION,
  MAX_OUTCOMES_PER_REFERRAL,
  MAX_REFERRALS_PER_INVESTIGATION,
} from '../shared/list-bounds.js';
import { MAX_TAKEDOWN_LISTINGS } from '../modules/listing/listing.inputs.js';
import { MAX_REPORT_LEADS_ITEMS } from '../modules/lead/lead-bulk.types.js';
import { MAX_PAGE_SIZE } from '../shared/relay/connection.js';

/*
 * How long each list field of the schema can be, for the calculated cost (query-limits.ts): the declared
 * bound of every list that is not a connection, and which fields a connection's `first` bounds instead.
 */

/** `nodes(ids:)` takes at most this many ids. */
export const MAX_NODE_IDS = 100;

const connections = new WeakMap<GraphQLNamedType, boolean>();
/** A Relay connection type: `edges { node }` and `pageInfo`. */
export function isConnectionType(t: GraphQLNamedType): boolean {
  let known = connections.get(t);
  if (known === undefined) {
    const fields = isObjectType(t) ? t.getFields() : undefined;
    known = Boolean(
      fields?.edges &&
      fields.pageInfo &&
      isObjectType(getNamedType(fields.edges.type)) &&
      (getNamedType(fields.edges.type) as { getFields(): Record<string, unknown> }).getFields().node,
    );
    connections.set(t, known);
  }
  return known;
}

/**
 * The most items a list field that is not a connection can hold: the cost of the field is `max` times
 * one item (1 plus its selection). `why` says what keeps the list there. `assumed`: no code caps the list
 * (its length follows the data, e.g. the outcomes an agency reports on one referral); `max` is a bound
 * chosen for the domain, checked on data by test/http/list-cost.test.ts but not enforced: such a
 * list needs a cap in its service (or a connection) before its bound is a guarantee.
 */
export interface ListBound {
  max: number;
  why: string;
  assumed?: true;
  /**
   * The list holds at most this argument of the field that returns its parent (`repeatOffenders(first:)`),
   * `max` being the argument's largest value: the parent field scales its selection by `argument / max`.
   */
  perArgumentOf?: { field: string; argument: string };
  /** The list holds at most this argument of the field itself (1 to `max`): it is priced by what is asked. */
  byArgument?: string;
}

/**
 * Every list field of objects that is not a connection, by `Type.field` (`*.field`: that field on every
 * type). A connection's `edges` and `nodes` are bounded by its `first` and need no entry; lists of
 * scalars and enums cost nothing. test/http/list-bounds.test.ts fails for a list field of the schema
 * without an entry here (and for an entry naming no list field): a new list declares its bound here.
 */
export const LIST_BOUNDS: Readonly<Record<string, ListBound>> = {
  // Bounded by the code that writes or reads them.
  'Query.nodes': {
    max: MAX_NODE_IDS,
    why: '`nodes(ids:)` takes at most 100 ids (node.resolver.ts); priced per id given',
  },
  '*.userErrors': {
    max: 1,
    why: 'a payload answers at most one user error: the first refusal ends the change (user-error.ts, asPayload)',
  },
  'Lead.sellers': {
    max: 100,
    why: 'reportLead, the only writer of lead_seller, takes at most 100 sellerIds (requireAllVisible)',
  },
  'Referral.disclosedEvidence': {
    max: 100,
    why: 'createReferral, the only writer of referral_evidence, takes at most 100 evidenceIds (requireAllVisible)',
  },
  'TakeDownListingsPayload.listings': {
    max: MAX_TAKEDOWN_LISTINGS,
    why: `takeDownListings takes 1 to ${MAX_TAKEDOWN_LISTINGS} listing ids, the marketplace's batch size (listing.service.ts)`,
  },
  'ReportLeadsPayload.results': {
    max: MAX_REPORT_LEADS_ITEMS,
    why: `one per item of reportLeads, which takes 1 to ${MAX_REPORT_LEADS_ITEMS} (lead-bulk.service.ts); priced per item sent (BATCH_MUTATIONS)`,
  },
  'EnforcementFunnel.stages': { max: Object.keys(FunnelStageName).length, why: 'one per FunnelStageName' },
  'TakedownSeries.buckets': {
    max: MAX_BUCKETS + 1,
    why: 'a series spans at most MAX_BUCKETS bucket lengths (analytics.service.ts); aligned to the start of its first bucket, one more',
  },
  'OutcomeSeries.buckets': { max: MAX_BUCKETS + 1, why: 'as TakedownSeries.buckets' },
  'BrandReporterAccuracy.series': {
    max: 1000,
    why: 'reporter-accuracy.service.ts refuses a series of more than 1000 buckets',
  },
  'RepeatOffenders.sellers': {
    max: MAX_PAGE_SIZE,
    why: 'at most `first` (1-100) of Analytics.repeatOffenders (SQL LIMIT)',
    perArgumentOf: { field: 'Analytics.repeatOffenders', argument: 'first' },
  },
  'RepeatOffenders.networks': {
    max: MAX_PAGE_SIZE,
    why: 'at most `first` (1-100) of Analytics.repeatOffenders (SQL LIMIT)',
    perArgumentOf: { field: 'Analytics.repeatOffenders', argument: 'first' },
  },
  'OffendingNetwork.sellers': {
    max: 20,
    why: 'the network query keeps the first 20 members (seller-network.service.ts, `[1:20]`)',
  },
  'SellerNetwork.members': {
    max: NETWORK_MAX_SELLERS,
    why: 'the traversal keeps the nearest NETWORK_MAX_SELLERS sellers',
  },
  'SellerNetwork.links': { max: NETWORK_MAX_LINKS, why: 'the links query has LIMIT NETWORK_MAX_LINKS' },
  'EnforcementOutcome.seizedGoods': {
    max: 50,
    why: 'recordEnforcementOutcome, its only writer, takes at most 50 kinds of goods (referral.service.ts, MAX_SEIZED_GOODS)',
  },
  'AuditChainVerification.problems': {
    max: 20,
    why: 'the verification keeps the first 20 problems (audit-verify.ts, MAX_PROBLEMS)',
  },

  // Capped by the service that writes them (src/shared/list-bounds.ts): a write beyond is refused.
  'Seller.identifiers': {
    max: MAX_IDENTIFIERS_PER_SELLER,
    why: 'createSeller takes at most 20; addSellerIdentifier refuses more than MAX_IDENTIFIERS_PER_SELLER',
  },
  'SellerIdentifierDisclosure.identifiers': {
    max: MAX_IDENTIFIERS_PER_SELLER,
    why: 'the identifiers of one seller, as Seller.identifiers',
  },
  'Investigation.evidence': { max: MAX_EVIDENCE_PER_INVESTIGATION, why: 'addEvidence refuses more per investigation' },
  'Investigation.findings': {
    max: MAX_FINDINGS_PER_INVESTIGATION,
    why: 'recordFinding refuses more per investigation',
  },
  'Investigation.referrals': {
    max: MAX_REFERRALS_PER_INVESTIGATION,
    why: 'createReferral refuses more per investigation',
  },
  'Investigation.feedback': {
    max: MAX_REFERRALS_PER_INVESTIGATION * MAX_FEEDBACK_PER_REFERRAL,
    why: 'the feedback on all its referrals, each capped by addReferralFeedback',
  },
  'Investigation.escalations': {
    max: MAX_REFERRALS_PER_INVESTIGATION * MAX_ESCALATIONS_PER_REFERRAL,
    why: 'the escalations of all its referrals, each capped by escalateReferral',
  },
  'Referral.outcomes': { max: MAX_OUTCOMES_PER_REFERRAL, why: 'recordEnforcementOutcome refuses more per referral' },
  'Referral.feedback': { max: MAX_FEEDBACK_PER_REFERRAL, why: 'addReferralFeedback refuses more per referral' },
  'Referral.escalations': { max: MAX_ESCALATIONS_PER_REFERRAL, why: 'escalateReferral refuses more per referral' },
  'Evidence.custodyTransfers': {
    max: MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
    why: 'hand-overs of one item (collector, lab, store, court...); recordCustodyTransfer refuses more',
  },
  'JointOperation.outcomes': {
    max: MAX_OUTCOMES_PER_JOINT_OPERATION,
    why: 'createJointOperation and addOutcomesToJointOperation refuse to group more',
  },

  // Not capped by any code: bounds assumed for the domain (see ListBound.assumed).
  'Lead.brands': {
    max: 100,
    assumed: true,
    why: 'reportLead takes at most 100 brandIds; a repeat-offender match lead names every brand of the cases against the prior seller, uncapped',
  },
  'Brand.trademarks': { max: 100, assumed: true, why: 'trademarks are loaded by administrators (no API writes them)' },
  'Premises.raids': {
    max: 100,
    assumed: true,
    why: 'outcomes at one place: no cap (deprecated for Premises.raidsConnection)',
  },
  'Premises.outcomes': {
    max: 100,
    assumed: true,
    why: 'outcomes at one place: no cap (deprecated for Premises.outcomesConnection)',
  },
  'Premises.findings': {
    max: 100,
    assumed: true,
    why: 'findings of one place: no cap (deprecated for Premises.findingsConnection)',
  },
  'Analytics.overdueReferrals': {
    max: 200,
    assumed: true,
    why: 'one per agency with referrals waiting; agencies are loaded by administrators',
  },
  'Analytics.regionBreakdown': {
    max: 500,
    assumed: true,
    why: "one per region of the leads' sellers (ISO 3166-2 codes, not capped)",
  },
  'Analytics.reporterAccuracy': {
    max: 1000,
    why: 'one per brand you may see with reports (a brand partner: 1), the `first` (1-1000, default 100) with most reports',
    byArgument: 'first',
  },
  'OutcomeTotals.seizedValue': { max: 20, assumed: true, why: 'one per currency of the outcomes (any ISO 4217 code)' },
  'FineTotals.amounts': { max: 20, assumed: true, why: 'one per currency of the fines (any ISO 4217 code)' },
};

/**
 * Mutations that do one change per item of a list in their input: priced as that many mutations, each with its
 * share of the payload (whose lists are priced at `max` items), so that a batch costs about what its items
 * would cost sent one by one (query-limits.ts).
 */
export const BATCH_MUTATIONS: ReadonlyMap<string, { list: string; max: number }> = new Map([
  ['reportLeads', { list: 'items', max: MAX_REPORT_LEADS_ITEMS }],
]);

/** A list field's bound from LIST_BOUNDS, or undefined. */
export function listBound(typeName: string, fieldName: string): ListBound | undefined {
  return LIST_BOUNDS[`${typeName}.${fieldName}`] ?? LIST_BOUNDS[`*.${fieldName}`];
}

/** Fields whose argument bounds the lists of the object they return (`repeatOffenders(first:)`). */
export const ARGUMENT_BOUNDED = new Map(
  Object.values(LIST_BOUNDS).flatMap((b) =>
    b.perArgumentOf ? [[b.perArgumentOf.field, { argument: b.perArgumentOf.argument, max: b.max }] as const] : [],
  ),
);

export const isListOutput = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * Whether the cost must know how long this field's list can be: a list of objects (or of an abstract
 * type) that is not the `edges` or `nodes` of a connection, which its `first` bounds.
 */
export function needsListBound(parent: GraphQLNamedType, field: GraphQLField<unknown, unknown>): boolean {
  return isListOutput(field.type) && !isLeafType(getNamedType(field.type)) && !isConnectionType(parent);
}
