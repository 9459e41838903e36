import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { currentRequest } from './request-log.js';

const CLIENT_CODES = new Set([
  'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE', 'QUERY_LIMIT_EXCEEDED', 'RATE_LIMITED',
]);

/** PostgreSQL and driver errors that mean "the database is not reachable right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Follow wrappers: Apollo wraps errors thrown while building the context, TypeORM wraps driver errors,
  // graphql-js wraps values that fail its `instanceof Error` (as errors of Node's realm do under Jest).
  type Wrapped = { code?: string; message?: string; originalError?: unknown; driverError?: unknown; thrownValue?: unknown };
  for (let e = error as Wrapped | null, depth = 0; e && depth < 5; depth += 1) {
    if (UNAVAILABLE_CODES.has(e.code ?? '') || UNAVAILABLE_MESSAGE.test(e.message ?? '')) return true;
    // TypeORM releases a query runner whose connection broke; the runner's next query fails with this.
    if ((e as Error).name === 'QueryRunnerAlreadyReleasedError') return true;
    e = (e.originalError ?? e.driverError ?? e.thrownValue ?? null) as Wrapped | null;
  }
  return false;
}

// Connection refused or reset, the server shutting down or starting up (57P0x), connection failures (08xxx).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006',
]);
// pg reports a dropped connection or a pool wait that timed out with messages only, no code.
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection is not established/i;

/**
 * The one boundary where errors leave the server. Errors the API raises on purpose pass with their
 * code; anything else is logged in full under an error id and reaches the client as that id and a
 * generic message: no stack, SQL, table or column names. Every error carries the request id, which
 * is also in the `x-request-id` header and the request's log line.
 */
export function errorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, raw: unknown): GraphQLFormattedError => {
    const request = currentRequest();
    const error = format(logger, formatted, raw, request?.requestId);
    if (!request) return error;
    request.errorCodes.push(String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    return { ...error, extensions: { ...error.extensions, requestId: request.requestId } };
  };
}

function format(logger: Logger, formatted: GraphQLFormattedError, raw: unknown, requestId: string | undefined): GraphQLFormattedError {
  const original = unwrapResolverError(raw);
  const code = formatted.extensions?.code as string | undefined;
  if (original instanceof GraphQLError && code && CLIENT_CODES.has(code)) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (isDatabaseUnavailable(original)) {
    return { message: 'The database is unavailable; retry shortly.', path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  // type-graphql's argument validation (class-validator) is a client error with useful detail.
  if ((original as Error)?.name === 'ArgumentValidationError') {
    const failures = ((original as { extensions?: { validationErrors?: { property: string; constraints?: Record<string, string> }[] } }).extensions?.validationErrors ?? [])
      .map((v) => ({ property: v.property, problems: Object.values(v.constraints ?? {}) }));
    return { message: 'Invalid input: ' + failures.map((f) => `${f.property} (${f.problems.join('; ')})`).join(', '), path: formatted.path, extensions: { code: 'BAD_USER_INPUT', validation: failures } };
  }
  const errorId = randomUUID();
  logger.error({ errorId, requestId, err: original, path: formatted.path }, 'unexpected error');
  return { message: `Internal error (id ${errorId}).`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
}
