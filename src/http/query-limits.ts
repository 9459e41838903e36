import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  DocumentNode,
  getNamedType,
  GraphQLError,
  GraphQLField,
  GraphQLNamedType,
  GraphQLOutputType,
  GraphQLSchema,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { ComplexityEstimator, fieldExtensionsEstimator, getComplexity } from 'graphql-query-complexity';
import type { QueryLimits } from '../shared/config.js';
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
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/relay/connection.js';

/**
 * Limits on the shape and size of one GraphQL document, checked before anything runs:
 *
 * - characters of the query text (app.ts, before Apollo) and lexical tokens (graphql-js `maxTokens`);
 * - depth, aliases (`__typename` counted too) and directives: graphql-armor's validation rules;
 * - calculated cost (graphql-query-complexity with the estimator below), checked per request in
 *   cost-plugin.ts because it depends on the variables (`first: $n`).
 *
 * A refused document gets `QUERY_LIMIT_EXCEEDED` with the name of the limit (`extensions.limit`) and a
 * message that says what to change, never the limit's value nor what was counted: the server log
 * (format-error.ts) has those.
 */
export const QUERY_LIMIT_EXCEEDED = 'QUERY_LIMIT_EXCEEDED';

export type LimitName = 'characters' | 'tokens' | 'depth' | 'aliases' | 'directives' | 'selections' | 'cost';

const MESSAGES: Record<LimitName, string> = {
  characters: 'The query text is too long.',
  tokens: 'The query document is too large: split it into smaller requests.',
  depth: 'The query is nested too deeply: select fewer levels of related records.',
  aliases: 'The query uses too many aliases: split it into smaller requests.',
  directives: 'The query uses too many directives.',
  selections: 'The query selects too many fields, directly or through its fragments: split it into smaller requests.',
  cost: 'The query would cost too much: ask for fewer items (a smaller `first`) or fewer nested lists, or split it.',
};

export const limitMessage = (limit: LimitName): string => MESSAGES[limit];

/** A document refused by a limit; `detail` (what was counted, the limit) is for the server log only. */
export class QueryLimitError extends GraphQLError {
  constructor(
    readonly limit: LimitName,
    readonly detail: string,
  ) {
    super(MESSAGES[limit], { extensions: { code: QUERY_LIMIT_EXCEEDED, limit, http: { status: 400 } } });
    this.name = 'QueryLimitError';
  }
}

/** The error graphql-js raises when a document has more tokens than `parseOptions.maxTokens` (sic: "more that"). */
export const TOKEN_LIMIT_MESSAGE = /Document contains more th(?:an|at) \d+ tokens/;

/** graphql-armor's rules, reporting a QueryLimitError instead of their own message (which names the limit). */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  const reject = (limit: LimitName) => [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new QueryLimitError(limit, error.message)),
  ];
  // exposeLimits: the armor message (with the numbers) is kept only as the logged detail.
  const common = { exposeLimits: true, propagateOnRejection: false };
  const rules: ValidationRule[] = [noNulInStrings];
  // Fragments count as the fields they contain (flattenFragments), not as a level of their own.
  if (limits.maxDepth !== null)
    rules.push(
      maxDepthRule({
        ...common,
        n: limits.maxDepth,
        flattenFragments: true,
        ignoreIntrospection: true,
        onReject: reject('depth'),
      }),
    );
  // `__typename` is counted too: the default allow list would let `a1: __typename ... a9999: __typename` through.
  if (limits.maxAliases !== null)
    rules.push(maxAliasesRule({ ...common, n: limits.maxAliases, allowList: [], onReject: reject('aliases') }));
  if (limits.maxDirectives !== null)
    rules.push(maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: reject('directives') }));
  return rules;
}

const MUTATION_COST = 10;
const MAX_NODE_IDS = 100;

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

/** The page size a connection field will be asked for; out-of-range values are refused by the resolver itself. */
function pageSize(first: unknown): number {
  if (typeof first !== 'number' || !Number.isFinite(first)) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(Math.trunc(first), 0), MAX_PAGE_SIZE);
}

/** The page size of a connection field: `first` or, paging backward, `last`, priced alike (both at once are refused by the resolver; priced at the larger). */
function connectionPageSize(args: Record<string, unknown>): number {
  const given = [args.first, args.last].filter((size) => typeof size === 'number' && Number.isFinite(size));
  return given.length === 0 ? DEFAULT_PAGE_SIZE : Math.max(...given.map(pageSize));
}

/**
 * The most items a list field that is not a connection can hold: the cost of the field is `max` times
 * one item (1 plus its selection). `why` says what keeps the list there. `assumed`: no code caps the list
 * (its length follows the data, e.g. the outcomes an agency reports on one referral); `max` is a bound
 * chosen for the domain, checked on data by test/hardening/list-cost.test.ts but not enforced: such a
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
}

/**
 * Every list field of objects that is not a connection, by `Type.field` (`*.field`: that field on every
 * type). A connection's `edges` and `nodes` are bounded by its `first` and need no entry; lists of
 * scalars and enums cost nothing. test/hardening/list-bounds.test.ts fails for a list field of the schema
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
    max: 100,
    assumed: true,
    why: 'one per brand you may see with reports (a brand partner: 1); brands are loaded by administrators',
  },
  'OutcomeTotals.seizedValue': { max: 20, assumed: true, why: 'one per currency of the outcomes (any ISO 4217 code)' },
  'FineTotals.amounts': { max: 20, assumed: true, why: 'one per currency of the fines (any ISO 4217 code)' },
};

/** A list field's bound from LIST_BOUNDS, or undefined. */
export function listBound(typeName: string, fieldName: string): ListBound | undefined {
  return LIST_BOUNDS[`${typeName}.${fieldName}`] ?? LIST_BOUNDS[`*.${fieldName}`];
}

/** Fields whose argument bounds the lists of the object they return (`repeatOffenders(first:)`). */
const ARGUMENT_BOUNDED = new Map(
  Object.values(LIST_BOUNDS).flatMap((b) =>
    b.perArgumentOf ? [[b.perArgumentOf.field, { argument: b.perArgumentOf.argument, max: b.max }] as const] : [],
  ),
);

const isListOutput = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * Whether the cost must know how long this field's list can be: a list of objects (or of an abstract
 * type) that is not the `edges` or `nodes` of a connection, which its `first` bounds.
 */
export function needsListBound(parent: GraphQLNamedType, field: GraphQLField<unknown, unknown>): boolean {
  return isListOutput(field.type) && !isLeafType(getNamedType(field.type)) && !isConnectionType(parent);
}

/**
 * The cost of one field, in the manner of Shopify's calculated query cost: a scalar or enum costs 0, an
 * object 1 plus its selection, a connection 2 plus `first` or `last` (default 20, at most 100) times the cost of
 * one item, a list that is not a connection its bound (LIST_BOUNDS) times one item, `nodes(ids:)` one
 * object per id, a mutation 10 plus its payload. Inside a connection `pageInfo` and `totalCount` are free
 * and an edge costs what its node costs. The cost is thus an upper bound of the objects in the answer:
 * every object counts 1 except a connection's edges (its node counts) and its pageInfo (in the
 * connection's 2). A field may declare its own cost with type-graphql's `complexity` option.
 */
const relayEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  // Introspection reads the schema, not the database, and its answer is as large as the schema whatever
  // is asked (GraphiQL's own query would otherwise be priced in millions): free, and off unless enabled.
  if (field.name.startsWith('__')) return 0;
  const named = getNamedType(field.type);
  if (isConnectionType(type as GraphQLNamedType)) {
    if (field.name === 'pageInfo' || field.name === 'totalCount') return 0;
    if (field.name === 'edges') return childComplexity;
    if (field.name === 'nodes') return 1 + childComplexity;
  }
  if (isConnectionType(named)) return 2 + connectionPageSize(args) * childComplexity;
  if (isLeafType(named)) return 0;
  if (type.name === 'Query' && field.name === 'nodes' && Array.isArray(args.ids)) {
    return Math.min(args.ids.length, MAX_NODE_IDS) * (1 + childComplexity);
  }
  if (type.name === 'Mutation') return MUTATION_COST + childComplexity;
  const scale = ARGUMENT_BOUNDED.get(`${type.name}.${field.name}`);
  if (scale) {
    // Its lists were priced at their largest (`max` items): scaled to the argument asked for.
    const asked = args[scale.argument];
    const n =
      typeof asked === 'number' && Number.isFinite(asked)
        ? Math.min(Math.max(Math.trunc(asked), 1), scale.max)
        : scale.max;
    return 1 + Math.ceil((childComplexity * n) / scale.max);
  }
  if (isListOutput(field.type)) {
    // A list without a declared bound (the schema test refuses one) is priced as a full page.
    return (listBound(type.name, field.name)?.max ?? MAX_PAGE_SIZE) * (1 + childComplexity);
  }
  return 1 + childComplexity;
};

const estimators = [fieldExtensionsEstimator(), relayEstimator];

/**
 * The calculated cost of the operation `operationName` of `document` with these variables. Throws a
 * QueryLimitError when the document expands (through fragments) into more selections than are counted.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): number {
  try {
    return getComplexity({
      schema,
      query: document,
      operationName,
      variables: variables ?? {},
      estimators,
      maxQueryNodes: 20_000,
    });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    if (/maximum allowed number of nodes/.test(error.message))
      throw new QueryLimitError('selections', 'more than 20000 selections to cost');
    // The cost needs the variables' values, so it coerces them first: a variable of the wrong type is the
    // caller's error, answered as Apollo answers it when it coerces them itself (400 BAD_USER_INPUT).
    throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  }
}

const NUL_MESSAGE = 'Text values may not contain the NUL character (U+0000).';

/** True when a string anywhere in `value` (the request's variables) holds a NUL character, which PostgreSQL cannot store. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 100 || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}

export const nulInVariables = () =>
  new GraphQLError(`${NUL_MESSAGE} (in the variables)`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });

/** Refuses string literals with a NUL character in the document: PostgreSQL would refuse them mid-transaction. */
export const noNulInStrings: ValidationRule = (context) => ({
  StringValue(node) {
    if (node.value.includes('\u0000')) context.reportError(new GraphQLError(NUL_MESSAGE, { nodes: [node] }));
  },
});
