import type express from 'express';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { bearerToken } from '../shared/auth/api-key-token.js';
import { scopeOf } from '../shared/auth/scope.js';
import { RequestContext } from '../shared/context.js';
import { LoaderRegistry } from '../shared/data-access/loader-registry.js';
import { REVOKED_OR_UNKNOWN } from '../shared/errors.js';
import { Authenticator } from '../modules/principal/principal.service.js';
import { isDatabaseUnavailable } from './format-error.js';
import { recordOf } from './request-log.js';

/** A refusal by a route beside /graphql: its HTTP status, and the code and message of its JSON error. */
export class RouteRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The caller of a route beside /graphql (evidence files, referral packages), by its API key as /graphql takes it
 * (`Authorization: Bearer`), as a request context; recorded in the request's log line. Refuses (RouteRefusal) a
 * request without a key or with an unknown or revoked one (401), and answers 503 when the database is down.
 */
export async function routeCaller(
  req: express.Request,
  res: express.Response,
  { dataSource, config, authenticator }: { dataSource: DataSource; config: Config; authenticator: Authenticator },
): Promise<RequestContext> {
  const token = bearerToken(req.get('authorization'));
  if (!token)
    throw new RouteRefusal(
      401,
      'UNAUTHENTICATED',
      'A valid API key is required: send "Authorization: Bearer <token>".',
    );
  let caller: Awaited<ReturnType<Authenticator['authenticate']>>;
  try {
    caller = await authenticator.authenticate(token);
  } catch (error) {
    if (isDatabaseUnavailable(error))
      throw new RouteRefusal(503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly.');
    throw error;
  }
  if (!caller) throw new RouteRefusal(401, 'UNAUTHENTICATED', REVOKED_OR_UNKNOWN);
  const record = recordOf(res);
  record.principal = { id: caller.principal.globalId, role: caller.principal.role };
  return {
    requestId: record.requestId,
    principal: caller.principal,
    apiKeyHash: caller.tokenHash,
    scope: scopeOf(caller.principal),
    db: dataSource.manager,
    dataSource,
    config,
    loaders: new LoaderRegistry(),
  };
}
