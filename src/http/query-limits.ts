import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  DocumentNode,
  getNamedType,
  GraphQLError,
  GraphQLNamedType,
  GraphQLSchema,
  isLeafType,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { ComplexityEstimator, fieldExtensionsEstimator, getComplexity } from 'graphql-query-complexity';
import type { QueryLimits } from '../shared/config.js';
import {
  ARGUMENT_BOUNDED,
  BATCH_MUTATIONS,
  isConnectionType,
  isListOutput,
  listBound,
  MAX_NODE_IDS,
} from './list-field-bounds.js';
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
 * The cost of one field, in the manner of Shopify's calculated query cost: a scalar or enum costs 0, an
 * object 1 plus its selection, a connection 2 plus `first` or `last` (default 20, at most 100) times the cost of
 * one item, a list that is not a connection its bound (LIST_BOUNDS) times one item, `nodes(ids:)` one
 * object per id, a mutation 10 plus its payload (a batch mutation, BATCH_MUTATIONS: 10 and its share of the payload
 * per item). Inside a connection `pageInfo` and `totalCount` are free
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
  if (type.name === 'Mutation') {
    const batch = BATCH_MUTATIONS.get(field.name);
    if (!batch) return MUTATION_COST + childComplexity;
    // n items: n mutations, and n/max of a payload whose lists were priced at `max` items.
    const items = (args.input as Record<string, unknown> | undefined)?.[batch.list];
    const n = Math.min(Math.max(Array.isArray(items) ? items.length : batch.max, 1), batch.max);
    return n * MUTATION_COST + Math.ceil((childComplexity * n) / batch.max);
  }
  const scale = ARGUMENT_BOUNDED.get(`${type.name}.${field.name}`);
  if (scale) {
    // Its lists were priced at their largest (`max` items): scaled to the argument asked for.
    return 1 + Math.ceil((childComplexity * askedCount(args[scale.argument], scale.max)) / scale.max);
  }
  if (isListOutput(field.type)) {
    // A list without a declared bound (the schema test refuses one) is priced as a full page.
    const bound = listBound(type.name, field.name);
    const max = bound?.max ?? MAX_PAGE_SIZE;
    return (bound?.byArgument ? askedCount(args[bound.byArgument], max) : max) * (1 + childComplexity);
  }
  return 1 + childComplexity;
};

/** How many items an argument asks for (1 to `max`); `max` when it is not a number. */
function askedCount(asked: unknown, max: number): number {
  return typeof asked === 'number' && Number.isFinite(asked) ? Math.min(Math.max(Math.trunc(asked), 1), max) : max;
}

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
