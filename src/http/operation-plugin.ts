import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../shared/context.js';
import { Metrics, UNKNOWN_OPERATION } from './metrics.js';
import { currentRequest } from './request-log.js';

/**
 * Per-operation observation: names the operation in the request's log line, counts it and its latency
 * per operation name, and answers HTTP 503 with Retry-After when the database was unavailable, so that
 * load balancers and client retry logic see a temporary failure rather than a success.
 * (Requests refused before GraphQL runs, such as a missing API key, are not operations: they are in
 * http_requests_total and graphql_errors_total.)
 */
export function operationPlugin(metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const record = currentRequest();
      const startedAt = record?.startedAt ?? process.hrtime.bigint();
      return {
        async didResolveOperation({ operationName, operation }) {
          if (!record || !operation) return;
          record.operation = operationName?.slice(0, 100) ?? undefined;
          record.operationType = operation.operation;
        },
        async willSendResponse({ response, operation, operationName }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const codes = (result.errors ?? []).map((e) => e.extensions?.code);
          // A retryable answer: the database was unavailable, or a change's outcome is unknown (retry it with its idempotencyKey).
          if (codes.includes('SERVICE_UNAVAILABLE') || codes.includes('OUTCOME_UNKNOWN')) {
            response.http.status = 503;
            response.http.headers.set('retry-after', '1');
          }
          const labels = {
            operation: metrics.operationLabel(operationName, Boolean(operation)),
            type: operation?.operation ?? UNKNOWN_OPERATION,
          };
          metrics.operations.inc({ ...labels, outcome: codes.length ? 'error' : 'ok' });
          metrics.operationDuration.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
        },
      };
    },
  };
}
