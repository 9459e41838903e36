import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { bearerToken } from '../shared/auth/api-key-token.js';
import { scopeOf } from '../shared/auth/scope.js';
import { RequestContext } from '../shared/context.js';
import { LoaderRegistry } from '../shared/data-access/loader-registry.js';
import { REVOKED_OR_UNKNOWN, serviceUnavailable, unauthenticated } from '../shared/errors.js';
import { Authenticator } from '../modules/principal/principal.service.js';
import { buildAppSchema } from './schema.js';
import { bulkGate } from './bulk-gate.js';
import { afterGate, bindBucketKey, costPlugin } from './cost-plugin.js';
import { errorFormatter, isDatabaseUnavailable } from './format-error.js';
import { graphiqlRouter } from './graphiql.js';
import { dashboardRouter } from '../modules/analytics/dashboard.js';
import { auditCheckpointPlugin, auditKeysRouter } from '../modules/audit/audit-log.http.js';
import { evidenceContentRouter } from './evidence-content.http.js';
import { referralPackageRouter } from './referral-package.http.js';
import { knownOperationNames, metricsEndpoint, Metrics } from './metrics.js';
import { operationPlugin } from './operation-plugin.js';
import { limitMessage, limitRules, QUERY_LIMIT_EXCEEDED } from './query-limits.js';
import { bucketKeyOf, createCostBuckets, RedisCostBuckets } from './rate-limit.js';
import { requestTransactionPlugin } from './request-transaction.js';
import { currentRequest, enterRequestScope, observeRequests, recordOf } from './request-log.js';

export interface App {
  app: express.Express;
  apollo: ApolloServer<RequestContext>;
  metrics: Metrics;
  /** Shutdown has begun: readiness turns red and every answer closes its connection. */
  beginDraining(): void;
}

/** An error answered by the HTTP layer itself (before or outside GraphQL), in the shape GraphQL clients read. */
function answerError(
  res: express.Response,
  status: number,
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
): void {
  const record = recordOf(res);
  record.errorCodes.push(code);
  res.status(status).json({ errors: [{ message, extensions: { code, ...extensions, requestId: record.requestId } }] });
}

export async function createApp(dataSource: DataSource, config: Config, logger: Logger): Promise<App> {
  const schema = await buildAppSchema();
  const metrics = new Metrics(dataSource, knownOperationNames(schema));
  // Draining (shutdown begun): every answer, including those of requests already in flight, closes its
  // keep-alive connection, so that the server can close and clients reconnect to another instance.
  let draining = false;
  const inFlight = new Set<express.Response>();
  const closeAfterAnswer = (res: express.Response) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  const limits = config.queryLimits;
  const buckets = createCostBuckets(config.rateLimit, logger);
  if (buckets instanceof RedisCostBuckets && !(await buckets.ready())) {
    logger.warn('Redis not reachable yet: rate limit buckets kept in memory until it is');
  }
  const cost = costPlugin(schema, limits.maxCost, buckets);
  // Bulk requests may hold at most half the pool at once: the rest stays for everything else.
  const bulk = bulkGate(Math.max(1, Math.floor(config.poolSize / 2)));
  // Revocations reach this instance's key cache through LISTEN/NOTIFY; until it listens, nothing is cached.
  const authenticator = new Authenticator(dataSource, logger);
  await authenticator.listen();
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Explicit, from GRAPHQL_INTROSPECTION (off by default in production), never Apollo's NODE_ENV guess.
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // "Did you mean" hints are removed per caller in formatError: internal roles keep them.
    hideSchemaDetailsFromClientErrors: false,
    formatError: errorFormatter(logger),
    csrfPrevention: true,
    // One operation per request: a batch would multiply every limit below by its length.
    allowBatchedHttpRequests: false,
    // Query limits (query-limits.ts): tokens while parsing, depth, aliases and directives while validating,
    // selections after fragment expansion (fragment bombs), cost per request in the cost plugin.
    parseOptions: limits.maxTokens === null ? {} : { maxTokens: limits.maxTokens },
    validationRules: limitRules(limits),
    maxRecursiveSelections: limits.maxTokens === null ? false : Math.max(10_000, 5 * limits.maxTokens),
    // The cost is priced and charged before the transaction plugin takes a database connection.
    plugins: [
      operationPlugin(metrics),
      withoutCostWhenUnauthenticated(cost.plugin),
      bulk.plugin,
      afterGate(async (requestContext) => {
        await cost.admit(requestContext);
        await bulk.admit(requestContext);
      }, requestTransactionPlugin(authenticator)),
      { serverWillStart: async () => ({ serverWillStop: () => authenticator.close() }) },
      // The audit log's signed checkpoints, for as long as the server runs (README, "Verifying the audit log").
      auditCheckpointPlugin(dataSource, config.audit, logger, isDatabaseUnavailable),
      // No cache-control hints are used: the plugin cost ~5% of a case list's CPU (docs/benchmarks.md).
      ApolloServerPluginCacheControlDisabled(),
      // The IDE is ours (graphiql.ts, GRAPHQL_IDE); Apollo's landing pages load code from a CDN.
      ApolloServerPluginLandingPageDisabled(),
    ],
    // Apollo's own messages as JSON lines in the same log.
    logger,
    // main.ts handles SIGTERM and stops Apollo once requests in flight are done; Apollo's own handler
    // (on outside NODE_ENV=test) would stop it at once, under the requests still running.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(observeRequests(logger, metrics));
  app.use((_req, res, next) => {
    if (draining) closeAfterAnswer(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'shutting down' });
      return;
    }
    try {
      await dataSource.query('SELECT 1');
      const pending = await dataSource.showMigrations();
      res.status(pending ? 503 : 200).json({ status: pending ? 'migrations pending' : 'ready' });
    } catch {
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  // Prometheus scrapes this with METRICS_TOKEN (docs/operations.md, "Metrics").
  app.get('/metrics', metricsEndpoint(metrics, config));
  // The browser pages: off in production unless GRAPHQL_IDE=true.
  if (config.graphqlIde) app.use(graphiqlRouter(), dashboardRouter());
  // The public keys of the audit log's signatures, for partners who verify its checkpoints.
  app.use(auditKeysRouter(config.audit));
  // Evidence files, streamed in and out with the API key (README, "Evidence files").
  app.use(evidenceContentRouter(dataSource, config, authenticator, logger));
  // Referral packages, for the receiving agency to verify offline (README, "Referral packages").
  app.use(referralPackageRouter(dataSource, config, authenticator, logger));
  app.use(
    '/graphql',
    // Bodies over the limit are refused (413) from their content-length, before being read or parsed.
    express.json({ limit: limits.maxBodyBytes }),
    refuseUnreadableRequests(limits.maxQueryChars, logger),
    enterRequestScope,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => {
        const token = bearerToken(req.get('authorization'));
        if (!token) throw unauthenticated();
        const caller = await authenticator.authenticate(token).catch((error) => {
          if (!isDatabaseUnavailable(error)) throw error;
          // The database is down: a temporary failure (503, as operation-plugin.ts answers later ones).
          res.set('retry-after', '1');
          throw serviceUnavailable();
        });
        if (!caller) throw unauthenticated(REVOKED_OR_UNKNOWN);
        const { principal, tokenHash } = caller;
        recordOf(res).principal = { id: principal.globalId, role: principal.role };
        const context: RequestContext = {
          requestId: res.locals.requestId,
          principal,
          apiKeyHash: tokenHash,
          scope: scopeOf(principal),
          db: dataSource.manager,
          dataSource,
          config,
          loaders: new LoaderRegistry(),
        };
        bindBucketKey(context, bucketKeyOf(token));
        return context;
      },
    }),
  );
  // Malformed JSON and oversized bodies are answered here, as GraphQL-shaped errors without detail.
  app.use(
    (
      error: { type?: string; status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
      const message =
        error.type === 'entity.too.large'
          ? `The request body is larger than ${limits.maxBodyBytes} bytes.`
          : error.type === 'entity.parse.failed'
            ? 'The request body is not valid JSON.'
            : error.type === 'encoding.unsupported' || error.type === 'charset.unsupported'
              ? 'The request body must be UTF-8 JSON.'
              : status < 500
                ? 'The request could not be read.'
                : 'Internal error.';
      const code = status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
      if (status === 500) logger.error({ err: error, requestId: recordOf(res).requestId }, 'unhandled HTTP error');
      answerError(res, status, code, message);
    },
  );
  return {
    app,
    apollo,
    metrics,
    beginDraining: () => {
      draining = true;
      inFlight.forEach(closeAfterAnswer);
    },
  };
}

/**
 * A refused API key is charged nothing visible: when the key is found revoked only as the transaction
 * opens (a revocation not yet heard, request-transaction.ts), the cost plugin has already priced the
 * operation; the 401 answer reports no cost, and the log line none.
 */
function withoutCostWhenUnauthenticated(
  plugin: ApolloServerPlugin<RequestContext>,
): ApolloServerPlugin<RequestContext> {
  return {
    ...plugin,
    async requestDidStart(requestContext) {
      const listener = await plugin.requestDidStart?.(requestContext);
      return {
        ...listener,
        async willSendResponse(context) {
          await listener?.willSendResponse?.(context);
          const { body } = context.response;
          if (
            body.kind !== 'single' ||
            !body.singleResult.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')
          )
            return;
          const { cost: _cost, ...extensions } = body.singleResult.extensions ?? {};
          body.singleResult.extensions = Object.keys(extensions).length ? extensions : undefined;
          const record = currentRequest();
          if (record) record.cost = undefined;
        },
      };
    },
  };
}

/**
 * Before GraphQL: a POST whose body is not JSON (415: Apollo would otherwise answer 500 for a body it
 * was not given) and a query text over the character limit (400 QUERY_LIMIT_EXCEEDED, before parsing).
 */
function refuseUnreadableRequests(maxQueryChars: number | null, logger: Logger): express.RequestHandler {
  return (req, res, next) => {
    if (req.method === 'POST' && !req.is('application/json')) {
      answerError(res, 415, 'BAD_REQUEST', 'Send the GraphQL request as JSON, with "content-type: application/json".');
      return;
    }
    const query = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : req.query.query;
    if (maxQueryChars !== null && typeof query === 'string' && query.length > maxQueryChars) {
      logger.info(
        {
          requestId: recordOf(res).requestId,
          limit: 'characters',
          detail: `${query.length} characters, limit ${maxQueryChars}`,
        },
        'query refused by a limit',
      );
      answerError(res, 400, QUERY_LIMIT_EXCEEDED, limitMessage('characters'), { limit: 'characters' });
      return;
    }
    next();
  };
}
