import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

const CLIENT_CODES = new Set([
  'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE', 'QUERY_LIMIT_EXCEEDED', 'RATE_LIMITED',
]);

/** PostgreSQL and driver errors that mean "the database is not reachable right now". */
function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006'].includes(e.code ?? '') ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message ?? '')
  );
}

/**
 * The one boundary where errors leave the server. Errors the API raises on purpose pass with their
 * code; anything else is logged in full under an error id and reaches the client as that id and a
 * generic message: no stack, SQL, table or column names.
 */
export function errorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, raw: unknown): GraphQLFormattedError => {
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
    logger.error({ errorId, err: original, path: formatted.path }, 'unexpected error');
    return { message: `Internal error (id ${errorId}).`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
}
