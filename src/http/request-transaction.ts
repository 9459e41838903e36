import { ApolloServerPlugin } from '@apollo/server';
import { QueryRunner } from 'typeorm';
import { RequestContext } from '../shared/context.js';
import { serviceUnavailable } from '../shared/errors.js';
import { isDatabaseUnavailable } from './format-error.js';
import { currentRequest } from './request-log.js';

/**
 * Runs each GraphQL operation in one database transaction on one connection, with the caller's scope
 * set transaction-locally for the row-level security policies (migrations/*-RowLevelSecurity.ts).
 * `set_config(..., true)` ends with the transaction, so a pooled connection never carries one caller's
 * scope into the next request. Mutations nest their own transactions inside it as savepoints, and the
 * whole is committed before the response leaves: a client is never told of a change that was not kept.
 */
export function requestTransactionPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let runner: QueryRunner | undefined;
      return {
        // After parsing and validation (a malformed request never takes a connection), before execution.
        async didResolveOperation({ contextValue: ctx }) {
          try {
            runner = ctx.dataSource.createQueryRunner();
            await runner.connect();
            queueQueries(runner);
            await runner.startTransaction();
            const { scope, principal } = ctx;
            await runner.query(
              `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true),
                      set_config('eca.agency_id', $3, true), set_config('eca.principal_id', $4, true)`,
              [scope.kind, scope.kind === 'BRAND' ? scope.brandId : '', scope.kind === 'AGENCY' ? scope.agencyId : '', principal.rowId ?? ''],
            );
            ctx.db = runner.manager;
          } catch (error) {
            await runner?.release().catch(() => undefined);
            runner = undefined;
            throw isDatabaseUnavailable(error) ? serviceUnavailable() : error;
          }
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
