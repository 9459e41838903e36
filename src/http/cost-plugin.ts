import type { ApolloServerPlugin, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { RequestContext } from '../shared/context.js';
import { containsNul, nulInVariables, operationCost, QueryLimitError } from './query-limits.js';
import { CostBuckets } from './rate-limit.js';
import { currentRequest } from './request-log.js';

/** `extensions.cost` of a response, as Shopify's GraphQL APIs report it. */
export interface CostExtension {
  requestedQueryCost: number;
  /** The cost taken from the bucket (the requested cost: it is not recalculated), null when nothing ran. */
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

/**
 * The bucket key of the request's API key, set by the context function (app.ts). A symbol property of
 * the context rather than a WeakMap entry: Apollo hands plugins a shallow copy of the context object.
 */
const BUCKET_KEY = Symbol('costBucketKey');
type WithBucketKey = { [BUCKET_KEY]?: string };
export const bindBucketKey = (context: RequestContext, key: string): void => {
  (context as WithBucketKey)[BUCKET_KEY] = key;
};

export const rateLimited = (retryAfterSeconds: number) =>
  new GraphQLError(
    `This API key has used its query cost budget; retry in ${retryAfterSeconds} s (see extensions.cost).`,
    {
      extensions: {
        code: 'RATE_LIMITED',
        retryAfter: retryAfterSeconds,
        http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
      },
    },
  );

/**
 * Prices every operation before it runs and charges it to the caller's API key: refuses an operation
 * over the per-query cost limit (QUERY_LIMIT_EXCEEDED, HTTP 400) or over what is left of the key's
 * budget (RATE_LIMITED, HTTP 429 with Retry-After), and reports the cost and the budget in
 * `extensions.cost` of the response.
 *
 * `admit` must run before the operation takes a database connection: app.ts runs it ahead of the
 * transaction plugin (Apollo runs plugins' `didResolveOperation` hooks side by side).
 */
export function costPlugin(schema: GraphQLSchema, maxCost: number | null, buckets: CostBuckets | null) {
  const costs = new WeakMap<object, CostExtension>();
  const costOf = memoizedCost(schema);
  const report = (
    requestContext: object,
    requestedQueryCost: number,
    actualQueryCost: number | null,
    currentlyAvailable: number,
  ) => {
    if (!buckets) return;
    costs.set(requestContext, {
      requestedQueryCost,
      actualQueryCost,
      throttleStatus: {
        maximumAvailable: buckets.maximumAvailable,
        currentlyAvailable: Math.floor(currentlyAvailable),
        restoreRate: buckets.restoreRate,
      },
    });
  };

  async function admit(requestContext: GraphQLRequestContext<RequestContext>): Promise<void> {
    const { document, operationName, request, contextValue } = requestContext;
    if (!document) return;
    if (containsNul(request.variables)) throw nulInVariables();
    // Both off (a test harness, a trusted batch tool): the cost is not even calculated.
    if (maxCost === null && !buckets) return;
    const cost = costOf(document, operationName ?? undefined, request.variables);
    const record = currentRequest();
    if (record) record.cost = cost;
    const key = (contextValue as WithBucketKey)[BUCKET_KEY];
    if (maxCost !== null && cost > maxCost) {
      if (buckets && key) report(requestContext, cost, null, (await buckets.take(key, 0)).currentlyAvailable);
      throw new QueryLimitError('cost', `cost ${cost} over the limit of ${maxCost}`);
    }
    if (!buckets || !key) return;
    const throttle = await buckets.take(key, cost);
    report(requestContext, cost, throttle.allowed ? cost : null, throttle.currentlyAvailable);
    if (!throttle.allowed) throw rateLimited(throttle.retryAfterSeconds);
  }

  const plugin: ApolloServerPlugin<RequestContext> = {
    async serverWillStart() {
      return {
        async serverWillStop() {
          await buckets?.close();
        },
      };
    },
    async requestDidStart(): Promise<GraphQLRequestListener<RequestContext>> {
      return {
        async willSendResponse(requestContext) {
          const cost = costs.get(requestContext);
          const { body } = requestContext.response;
          if (!cost || body.kind !== 'single') return;
          body.singleResult.extensions = { ...body.singleResult.extensions, cost };
        },
      };
    },
  };
  return { plugin, admit };
}

/**
 * `plugin` with `gate` run before its `didResolveOperation` hook, and that hook skipped when the gate
 * throws: so that a refused operation never opens a database transaction.
 */
export function afterGate<T extends object>(
  gate: (requestContext: GraphQLRequestContext<T>) => Promise<void>,
  plugin: ApolloServerPlugin<T>,
): ApolloServerPlugin<T> {
  return {
    ...plugin,
    async requestDidStart(requestContext) {
      const listener = await plugin.requestDidStart?.(requestContext);
      return {
        ...listener,
        async didResolveOperation(context) {
          await gate(context);
          await listener?.didResolveOperation?.(context);
        },
      };
    },
  };
}

/** Variables whose shape is deeper or longer than this are priced afresh each time rather than kept. */
const MAX_SHAPE_DEPTH = 16;
const MAX_SHAPE_PARTS = 500;
/** Shapes kept per document: a document asked with ever new page sizes starts over. */
const MAX_SHAPES_PER_DOCUMENT = 64;

/**
 * operationCost, calculated once per document and shape of variables. The cost reads the variables' numbers
 * (page sizes), booleans (@include) and list lengths (`ids`), never the content of a string (an id, a
 * filter's text): strings are left out of the shape, so that every `node(id: $id)` shares one entry.
 * Apollo hands the same document object to every request of one query text (its document store), and the
 * entries go with it. Variables of a wrong type are still refused by Apollo when it coerces them.
 * Pricing afresh was about 10% of a node lookup's CPU (docs/benchmarks.md).
 */
function memoizedCost(schema: GraphQLSchema) {
  const byDocument = new WeakMap<DocumentNode, Map<string, number>>();
  return (document: DocumentNode, operationName: string | undefined, variables?: Record<string, unknown>): number => {
    const parts: string[] = [operationName ?? ''];
    if (!shapeOf(variables ?? {}, parts, 0)) return operationCost(schema, document, operationName, variables);
    const shape = parts.join('');
    let known = byDocument.get(document);
    const cached = known?.get(shape);
    if (cached !== undefined) return cached;
    const cost = operationCost(schema, document, operationName, variables);
    if (!known) byDocument.set(document, (known = new Map()));
    if (known.size >= MAX_SHAPES_PER_DOCUMENT) known.clear();
    known.set(shape, cost);
    return cost;
  };
}

/** Appends the shape of `value` (strings blank) to `parts`; false when it is too deep or too large to keep. */
function shapeOf(value: unknown, parts: string[], depth: number): boolean {
  if (depth > MAX_SHAPE_DEPTH || parts.length > MAX_SHAPE_PARTS) return false;
  if (typeof value === 'string') parts.push('"');
  else if (value === null || typeof value !== 'object') parts.push(`${(typeof value)[0]}${String(value)}`);
  else if (Array.isArray(value)) {
    parts.push('[');
    for (const item of value) if (!shapeOf(item, parts, depth + 1)) return false;
    parts.push(']');
  } else {
    parts.push('{');
    for (const [key, item] of Object.entries(value)) {
      parts.push(JSON.stringify(key));
      if (!shapeOf(item, parts, depth + 1)) return false;
    }
    parts.push('}');
  }
  return true;
}
