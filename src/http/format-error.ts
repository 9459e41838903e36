import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ArgumentValidationError } from 'type-graphql';
import { isInternal, Role } from '../shared/auth/role.js';
import { LimitName, limitMessage, QUERY_LIMIT_EXCEEDED, QueryLimitError, TOKEN_LIMIT_MESSAGE } from './query-limits.js';
import { currentRequest, RequestRecord } from './request-log.js';
import { isTransientConflict, NotKeptError, OutcomeUnknownError, sqlStateOf } from '../shared/transaction.js';

const CLIENT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'OUTCOME_UNKNOWN',
]);

/** PostgreSQL and driver errors that mean "the database is not reachable right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Follow wrappers: Apollo wraps errors thrown while building the context, TypeORM wraps driver errors,
  // graphql-js wraps values that fail its `instanceof Error` (as errors of Node's realm do under Jest).
  type Wrapped = {
    code?: string;
    message?: string;
    originalError?: unknown;
    driverError?: unknown;
    thrownValue?: unknown;
  };
  for (let e = error as Wrapped | null, depth = 0; e && depth < 5; depth += 1) {
    if (UNAVAILABLE_CODES.has(e.code ?? '') || UNAVAILABLE_MESSAGE.test(e.message ?? '')) return true;
    // TypeORM releases a query runner whose connection broke; the runner's next query fails with this.
    // (QueryRunnerProviderAlreadyReleasedError when the query goes through the runner's entity manager).
    if (['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError'].includes((e as Error).name))
      return true;
    e = (e.originalError ?? e.driverError ?? e.thrownValue ?? null) as Wrapped | null;
  }
  return false;
}

// SQLSTATE of a statement cancelled by statement_timeout (or by an operator).
const QUERY_CANCELED = '57014';
export const OUTCOME_UNKNOWN_MESSAGE =
  'The connection to the database failed while this change was being committed: it may or may not have been kept. Retry it with the same idempotencyKey (a change that was kept is answered again, not made twice), or read the record to see whether it was.';
export const NOT_KEPT_MESSAGE =
  'The change was not kept (it collided with concurrent changes, or the database refused to commit it); nothing of it was changed. Retry shortly.';
export const TOO_SLOW_MESSAGE =
  'The request took longer than the server allows and was stopped; nothing was changed. Ask for less (a shorter period, a narrower filter) or retry later.';

/**
 * PostgreSQL data exceptions raised by a value the caller sent (a NUL character, text where a date or a
 * number is expected, a number out of range), with the message for the client; null for anything else.
 */
function unreadableValue(error: unknown): string | null {
  switch (sqlStateOf(error)) {
    case '22021':
    case '22P05':
      return 'A text value holds a character that cannot be stored (such as U+0000).';
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
      return 'A value in the request (an argument, a filter or a cursor) could not be read as its type or is out of range.';
    default:
      return null;
  }
}

// Connection refused or reset, the server shutting down or starting up (57P0x), connection failures (08xxx).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
// pg reports a dropped connection or a pool wait that timed out with messages only, no code.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|Query read timeout|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection is not established/i;

/**
 * The one boundary where errors leave the server. Errors the API raises on purpose pass with their
 * code; anything else is logged in full under an error id and reaches the client as that id and a
 * generic message: no stack, SQL, table or column names. Every error carries the request id, which
 * is also in the `x-request-id` header and the request's log line.
 */
export function errorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, raw: unknown): GraphQLFormattedError => {
    const request = currentRequest();
    let error = format(logger, formatted, raw, request?.requestId);
    if (!callerIsInternal(request)) error = withoutSuggestions(error);
    if (!request) return error;
    request.errorCodes.push(String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    return { ...error, extensions: { ...error.extensions, requestId: request.requestId } };
  };
}

/**
 * "Did you mean ...?" hints name fields, types and enum values of the schema: only the marketplace's own
 * team gets them (Apollo's hideSchemaDetailsFromClientErrors is all or nothing). The caller is known here
 * through the request's record, filled in by the context function before any query is parsed.
 */
function callerIsInternal(request: RequestRecord | undefined): boolean {
  const role = request?.principal?.role;
  return role !== undefined && isInternal(role as Role);
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;
function withoutSuggestions(error: GraphQLFormattedError): GraphQLFormattedError {
  const message = error.message.replace(SUGGESTION, '');
  return message === error.message ? error : { ...error, message };
}

/** A document refused by a limit (graphql-armor's rules, graphql-js's token limit, the cost), or null. */
function limitErrorOf(raw: unknown, code: string | undefined): { limit: LimitName; detail: string } | null {
  for (let e = raw as { originalError?: unknown; message?: string } | null, depth = 0; e && depth < 4; depth += 1) {
    if (e instanceof QueryLimitError) return { limit: e.limit, detail: e.detail };
    e = (e.originalError ?? null) as typeof e;
  }
  const message = (raw as Error)?.message ?? '';
  if (code === 'GRAPHQL_PARSE_FAILED' && TOKEN_LIMIT_MESSAGE.test(message)) return { limit: 'tokens', detail: message };
  // Apollo's maxRecursiveSelections (fragment bombs); graphql-js's metering of field comparisons (floods of duplicate fields).
  if (code === 'GRAPHQL_VALIDATION_FAILED' && /recursively requests too many selections/.test(message))
    return { limit: 'selections', detail: message };
  if (code === 'GRAPHQL_VALIDATION_FAILED' && message === 'Validation aborted.')
    return { limit: 'selections', detail: 'field comparison budget of OverlappingFieldsCanBeMerged spent' };
  return null;
}

function format(
  logger: Logger,
  formatted: GraphQLFormattedError,
  raw: unknown,
  requestId: string | undefined,
): GraphQLFormattedError {
  const original = unwrapResolverError(raw);
  const code = formatted.extensions?.code as string | undefined;
  const limit = limitErrorOf(raw, code);
  if (limit) {
    // The client learns which limit, not its value nor what was counted; the log has both.
    logger.info({ requestId, limit: limit.limit, detail: limit.detail }, 'query refused by a limit');
    return { message: limitMessage(limit.limit), extensions: { code: QUERY_LIMIT_EXCEEDED, limit: limit.limit } };
  }
  // type-graphql's argument validation (class-validator) is a client error with useful detail.
  if (original instanceof ArgumentValidationError) {
    const failures = (
      (original as { extensions?: { validationErrors?: { property: string; constraints?: Record<string, string> }[] } })
        .extensions?.validationErrors ?? []
    ).map((v) => ({ property: v.property, problems: Object.values(v.constraints ?? {}) }));
    return {
      message: 'Invalid input: ' + failures.map((f) => `${f.property} (${f.problems.join('; ')})`).join(', '),
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', validation: failures },
    };
  }
  if (original instanceof GraphQLError && code && CLIENT_CODES.has(code)) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (original instanceof OutcomeUnknownError) {
    logger.warn({ requestId, err: original.cause, path: formatted.path }, 'the outcome of a commit is unknown');
    return { message: OUTCOME_UNKNOWN_MESSAGE, path: formatted.path, extensions: { code: 'OUTCOME_UNKNOWN' } };
  }
  if (original instanceof NotKeptError || isTransientConflict(original)) {
    // PostgreSQL undid the change (a deadlock or serialization failure retried until the bound, or a refused commit).
    logger.warn({ requestId, err: original, path: formatted.path }, 'a change was not kept');
    return { message: NOT_KEPT_MESSAGE, path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  const unreadable = unreadableValue(original);
  if (unreadable) {
    // Input that reached PostgreSQL and could not be read as its type: the caller's error, not a fault.
    // Logged (with the statement) because the API should have refused it itself, earlier and more clearly.
    logger.warn({ requestId, err: original, path: formatted.path }, 'a value refused by PostgreSQL as input');
    return { message: unreadable, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
  }
  if (isDatabaseUnavailable(original)) {
    return {
      message: 'The database is unavailable; retry shortly.',
      path: formatted.path,
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  if (sqlStateOf(original) === QUERY_CANCELED) {
    // DATABASE_STATEMENT_TIMEOUT_MS stopped a statement: the request asked for more than the server answers
    // in time, not a fault; logged so that the slow statement can be looked at.
    logger.warn(
      { requestId, err: original, path: formatted.path },
      'a statement was cancelled by the statement timeout',
    );
    return { message: TOO_SLOW_MESSAGE, path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  const errorId = randomUUID();
  logger.error({ errorId, requestId, err: original, path: formatted.path }, 'unexpected error');
  return {
    message: `Internal error (id ${errorId}).`,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
  };
}
