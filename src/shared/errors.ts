import { GraphQLError } from 'graphql';

// The closed set of errors that reach a client as GraphQL errors. Expected business failures are
// not here: they are `userErrors` in mutation payloads (see user-error.ts).
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'SERVICE_UNAVAILABLE'
  | 'OUTCOME_UNKNOWN'
  | 'INTERNAL_SERVER_ERROR';

function error(code: ErrorCode, message: string, httpStatus?: number, extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, {
    extensions: { code, ...extra, ...(httpStatus ? { http: { status: httpStatus } } : {}) },
  });
}

export const unauthenticated = (message = 'A valid API key is required: send "Authorization: Bearer <token>".') =>
  error('UNAUTHENTICATED', message, 401);

export const REVOKED_OR_UNKNOWN = 'The API key is unknown or revoked.';

export const forbidden = (message = 'Your role may not perform this operation.') => error('FORBIDDEN', message);

/** Input that cannot be interpreted at all (a malformed id or cursor, a page size out of range). */
export const badInput = (message: string, argument?: string) =>
  error('BAD_USER_INPUT', message, undefined, argument ? { argument } : {});

export const serviceUnavailable = () =>
  error('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly.', 503);
