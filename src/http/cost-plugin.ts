import type { ApolloServerPlugin, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, GraphQLSchema } from 'graphql';
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
    const cost = operationCost(schema, document, operationName ?? undefined, request.variables);
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
