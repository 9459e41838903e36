import { ApolloServerPlugin } from '@apollo/server';
import type { PoolClient, QueryResult } from 'pg';
import { QueryRunner } from 'typeorm';
import { Authenticator } from '../modules/principal/principal.service.js';
import { RequestContext } from '../shared/context.js';
import { REVOKED_OR_UNKNOWN, serviceUnavailable, unauthenticated } from '../shared/errors.js';
import { isDatabaseUnavailable } from './format-error.js';
import { currentRequest } from './request-log.js';

/**
 * Runs each GraphQL operation in one database transaction on one connection, with the caller's scope
 * set transaction-locally for the row-level security policies (migrations/*-RowLevelSecurity.ts).
 * `set_config(..., true)` ends with the transaction, so a pooled connection never carries one caller's
 * scope into the next request. Mutations nest their own transactions inside it as savepoints, and the
 * whole is committed before the response leaves: a client is never told of a change that was not kept.
 */
export function requestTransactionPlugin(authenticator: Authenticator): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let runner: QueryRunner | undefined;
      return {
        // After parsing and validation (a malformed request never takes a connection), before execution.
        async didResolveOperation({ contextValue: ctx }) {
          let keyValid: boolean;
          let client: PoolClient | undefined;
          try {
            runner = ctx.dataSource.createQueryRunner();
            client = (await runner.connect()) as PoolClient;
            keyValid = await beginWithScope(runner, client, ctx);
          } catch (error) {
            await abandon(runner, client);
            runner = undefined;
            throw isDatabaseUnavailable(error) ? serviceUnavailable() : error;
          }
          if (!keyValid) {
            // Revoked since the server last authenticated it (Authenticator keeps keys for a minute).
            await abandon(runner, client);
            runner = undefined;
            authenticator.forget(ctx.apiKeyHash!);
            throw unauthenticated(REVOKED_OR_UNKNOWN);
          }
          queueQueries(runner);
          ctx.db = runner.manager;
        },
        async willSendResponse({ response }) {
          if (!runner) return;
          const current = runner;
          runner = undefined;
          try {
            if (current.isTransactionActive) await current.commitTransaction();
          } catch {
            if (response.body.kind === 'single') {
              // Formatted here, past the error formatter: the same shape, request id and Retry-After as
              // every other SERVICE_UNAVAILABLE (operation-plugin.ts), and counted in the request's log line.
              const request = currentRequest();
              request?.errorCodes.push('SERVICE_UNAVAILABLE');
              response.body.singleResult.data = null;
              response.body.singleResult.errors = [{
                message: 'The change could not be committed; nothing was kept. Retry shortly.',
                extensions: { code: 'SERVICE_UNAVAILABLE', ...(request ? { requestId: request.requestId } : {}) },
              }];
              response.http.status = 503;
              response.http.headers.set('retry-after', '1');
            }
          } finally {
            await current.release();
          }
        },
      };
    },
  };
}

/**
 * Opens the request's transaction in one round trip: BEGIN, the caller's scope for the row-level security
 * policies, and a check that the caller's API key is still valid, as one simple-protocol query (which may
 * hold several statements but no parameters: the values are the server's own ids and a hex digest, quoted
 * by pg). Sent on the pg client itself because TypeORM reads only one result; TypeORM is then told the
 * transaction is open, so that commitTransaction() commits it and nested transactions become savepoints.
 */
async function beginWithScope(runner: QueryRunner, client: PoolClient, ctx: RequestContext): Promise<boolean> {
  const { scope, principal, apiKeyHash } = ctx;
  const literal = (value: string | null | undefined) => client.escapeLiteral(value ?? '');
  const sql = `START TRANSACTION;
    SELECT set_config('eca.scope', ${literal(scope.kind)}, true),
           set_config('eca.brand_id', ${literal(scope.kind === 'BRAND' ? scope.brandId : '')}, true),
           set_config('eca.agency_id', ${literal(scope.kind === 'AGENCY' ? scope.agencyId : '')}, true),
           set_config('eca.principal_id', ${literal(principal.rowId)}, true),
           ${apiKeyHash === null ? 'true' : `EXISTS (SELECT 1 FROM api_key WHERE token_hash = ${literal(apiKeyHash)} AND revoked_at IS NULL)`} AS key_valid`;
  ctx.dataSource.logger.logQuery(sql, undefined, runner);
  const results = (await client.query(sql)) as unknown as QueryResult<{ key_valid: boolean }>[];
  Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
  return results[1].rows[0].key_valid;
}

/** Gives a connection back after a failed or refused start, with no transaction left open on it. */
async function abandon(runner: QueryRunner | undefined, client: PoolClient | undefined): Promise<void> {
  await client?.query('ROLLBACK').catch(() => undefined);
  await runner?.release().catch(() => undefined);
}

/**
 * Resolvers run side by side and their DataLoader batches would send queries to the one connection at
 * once; pg queues them but warns that this will stop working. Send them one after the other instead.
 */
function queueQueries(runner: QueryRunner): void {
  const send = runner.query.bind(runner);
  let last: Promise<unknown> = Promise.resolve();
  runner.query = ((...args: Parameters<QueryRunner['query']>) => {
    const next = last.then(() => send(...args));
    last = next.catch(() => undefined);
    return next;
  }) as QueryRunner['query'];
}
