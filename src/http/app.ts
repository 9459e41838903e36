import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Config } from '../config.js';
import { bearerToken } from '../shared/auth/api-key-token.js';
import { scopeOf } from '../shared/auth/scope.js';
import { RequestContext } from '../shared/context.js';
import { LoaderRegistry } from '../shared/data-access/loader-registry.js';
import { serviceUnavailable, unauthenticated } from '../shared/errors.js';
import { authenticate } from '../modules/principal/principal.service.js';
import { buildAppSchema } from '../schema.js';
import { errorFormatter, isDatabaseUnavailable } from './format-error.js';
import { graphiqlRouter } from './graphiql.js';
import { dashboardRouter } from '../modules/analytics/dashboard.js';
import { Metrics } from './metrics.js';
import { operationPlugin } from './operation-plugin.js';
import { requestTransactionPlugin } from './request-transaction.js';
import { enterRequestScope, observeRequests, recordOf } from './request-log.js';

export interface App {
  app: express.Express;
  apollo: ApolloServer<RequestContext>;
  metrics: Metrics;
  /** Shutdown has begun: readiness turns red and every answer closes its connection. */
  beginDraining(): void;
}

export const MAX_BODY_BYTES = 1_000_000;

export async function createApp(dataSource: DataSource, config: Config, logger: Logger): Promise<App> {
  const metrics = new Metrics(dataSource);
  // Draining (shutdown begun): every answer, including those of requests already in flight, closes its
  // keep-alive connection, so that the server can close and clients reconnect to another instance.
  let draining = false;
  const inFlight = new Set<express.Response>();
  const closeAfterAnswer = (res: express.Response) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  const apollo = new ApolloServer<RequestContext>({
    schema: await buildAppSchema(),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.nodeEnv === 'production',
    formatError: errorFormatter(logger),
    csrfPrevention: true,
    plugins: [operationPlugin(metrics), requestTransactionPlugin()],
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
  // Prometheus scrapes this; keep it off the public ingress (see docs/operations.md).
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(graphiqlRouter());
  app.use(dashboardRouter());
  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    enterRequestScope,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => {
        const token = bearerToken(req.get('authorization'));
        if (!token) throw unauthenticated();
        const principal = await authenticate(dataSource, token).catch((error) => {
          if (!isDatabaseUnavailable(error)) throw error;
          // The database is down: a temporary failure (503, as operation-plugin.ts answers later ones).
          res.set('retry-after', '1');
          throw serviceUnavailable();
        });
        if (!principal) throw unauthenticated('The API key is unknown or revoked.');
        recordOf(res).principal = { id: principal.globalId, role: principal.role };
        return {
          requestId: res.locals.requestId,
          principal,
          scope: scopeOf(principal),
          db: dataSource.manager,
          dataSource,
          config,
          loaders: new LoaderRegistry(),
        };
      },
    }),
  );
  // Malformed JSON and oversized bodies are answered here, as GraphQL-shaped errors without detail.
  app.use((error: { type?: string; status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    const message =
      error.type === 'entity.too.large' ? `The request body is larger than ${MAX_BODY_BYTES} bytes.` :
      error.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' :
      status < 500 ? 'The request could not be read.' : 'Internal error.';
    const code = status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    const { requestId } = recordOf(res);
    if (status === 500) logger.error({ err: error, requestId }, 'unhandled HTTP error');
    recordOf(res).errorCodes.push(code);
    res.status(status).json({ errors: [{ message, extensions: { code, requestId } }] });
  });
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
