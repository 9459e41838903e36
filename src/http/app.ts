import { randomUUID } from 'node:crypto';
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
import { unauthenticated } from '../shared/errors.js';
import { authenticate } from '../modules/principal/principal.service.js';
import { buildAppSchema } from '../schema.js';
import { errorFormatter } from './format-error.js';
import { graphiqlRouter } from './graphiql.js';

export interface App {
  app: express.Express;
  apollo: ApolloServer<RequestContext>;
}

export const MAX_BODY_BYTES = 1_000_000;

export async function createApp(dataSource: DataSource, config: Config, logger: Logger): Promise<App> {
  const apollo = new ApolloServer<RequestContext>({
    schema: await buildAppSchema(),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.nodeEnv === 'production',
    formatError: errorFormatter(logger),
    csrfPrevention: true,
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9._-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.set('x-request-id', requestId);
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await dataSource.query('SELECT 1');
      const pending = await dataSource.showMigrations();
      res.status(pending ? 503 : 200).json({ status: pending ? 'migrations pending' : 'ready' });
    } catch {
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  app.use(graphiqlRouter());
  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => {
        const token = bearerToken(req.get('authorization'));
        if (!token) throw unauthenticated();
        const principal = await authenticate(dataSource, token);
        if (!principal) throw unauthenticated('The API key is unknown or revoked.');
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
    if (status === 500) logger.error({ err: error }, 'unhandled HTTP error');
    res.status(status).json({ errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
  });
  return { app, apollo };
}
