import pino, { DestinationStream, Logger } from 'pino';
import { Config } from './shared/config.js';

/**
 * Structured JSON logs, one object a line. Tokens, request bodies, variables and raw identifiers are
 * never passed in; the paths below are redacted anyway, as a second line of defence: the values a
 * failed query was run with (`parameters`). The text of a logged error is cleaned by `serializeError`.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'err.parameters',
  'err.driverError.parameters',
];

export const REDACTED = '[redacted]';

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'enforcement-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: readable without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      // Messages written by libraries (Apollo's "Unexpected error processing request: <error>") may quote an error.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactDatabaseText(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
    },
    // Synchronous writes: the last lines before an exit (a crash, "stopped") are never lost in a buffer.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * Words after which PostgreSQL quotes the name of a database object, which is kept. Every other quoted
 * text is taken for a value and redacted; over-redacting a name is the safe mistake.
 */
const OBJECT_NAME_BEFORE =
  /\b(?:relation|column|constraint|table|index|type|function|schema|sequence|view|trigger|policy|role|database|encoding|operator|extension|domain|collation|cursor|savepoint|tablespace|aggregate|procedure|routine|channel|parameter)\s$/i;

/**
 * PostgreSQL's messages quote the values they could not take, and those values are the caller's: a date
 * that is not one (`invalid input syntax for type timestamp with time zone: "VALUE"`), a duplicate key
 * (`Key (column)=(VALUE) already exists.`), a refused row (`Failing row contains (...)`), a bound
 * parameter (`unnamed portal parameter $1 = '...'`), a JSON token, a byte sequence. Every such value is
 * replaced by `[redacted]`; the shape of the message, the SQLSTATE and the names of tables, columns and
 * constraints stay, for whoever reads the log. A quoted value runs to the last quote of the text, since
 * PostgreSQL does not escape quotes inside it.
 */
export function redactDatabaseText(text: string): string {
  let out = text
    .replace(/\)=\(.*\)/s, `)=(${REDACTED})`)
    .replace(/(Failing row contains )\(.*\)/s, `$1(${REDACTED})`)
    .replace(/(\bline \d+: ).*/s, `$1${REDACTED}`)
    .replace(/0x[0-9a-f]{2}(?: 0x[0-9a-f]{2})*/gi, `0x${REDACTED}`);
  out = redactQuoted(out, '"');
  // Single quotes: a bound parameter's value (PostgreSQL doubles the quotes inside it); a lone apostrophe is prose.
  const single = out.indexOf("'");
  const last = out.lastIndexOf("'");
  if (last > single) out = `${out.slice(0, single)}'${REDACTED}'${out.slice(last + 1)}`;
  return out;
}

function redactQuoted(text: string, quote: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf(quote, from);
    if (open < 0) return out + text.slice(from);
    const close = text.indexOf(quote, open + 1);
    if (close > open && OBJECT_NAME_BEFORE.test(text.slice(0, open))) {
      out += text.slice(from, close + 1);
      from = close + 1;
      continue;
    }
    const last = text.lastIndexOf(quote);
    return out + text.slice(from, open) + quote + REDACTED + (last > open ? quote + text.slice(last + 1) : '');
  }
}

type ErrorLike = Error & { cause?: unknown; errors?: unknown[] } & Record<string, unknown>;
const isErrorLike = (value: unknown): value is ErrorLike =>
  typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';
/** Properties of a logged error kept as they are: PostgreSQL's names, codes and positions. */
const KEPT_AS_IS = new Set([
  'code',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
  'position',
  'name',
  'type',
]);
const NEVER_LOGGED = new Set(['parameters', 'raw']);
/** SQL text: kept, but for its string literals (the API's values are parameters; a literal could still be one). */
const SQL_TEXT = new Set(['query', 'internalQuery']);
const withoutLiterals = (sql: string) => sql.replace(/'(?:[^']|'')*'?/g, `'${REDACTED}'`);

/**
 * The `err` of a log line: pino's usual shape (`type`, `message`, `stack`, the error's own properties,
 * causes appended), with every text cleaned by `redactDatabaseText` (the stack's frames kept, its message
 * replaced), and the statement's `parameters` never written.
 */
export function serializeError(error: unknown): unknown {
  return isErrorLike(error) ? serializeErrorLike(error, new Set()) : cleanValue(error, new Set(), 0);
}

function serializeErrorLike(error: ErrorLike, seen: Set<unknown>): Record<string, unknown> {
  seen.add(error);
  const chain: ErrorLike[] = [error];
  for (let cause = error.cause; isErrorLike(cause) && !chain.includes(cause) && chain.length < 5; cause = cause.cause)
    chain.push(cause);
  const result: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message: chain.map((e) => redactDatabaseText(e.message)).join(': '),
    stack: chain.map(stackOf).join('\ncaused by: '),
  };
  if (Array.isArray(error.errors)) result.aggregateErrors = error.errors.map((e) => serializeError(e));
  for (const key of Object.keys(error)) {
    if (key in result || key === 'cause' || key === 'errors') continue;
    result[key] = cleanProperty(key, error[key], seen, 1);
  }
  return result;
}

/** The stack with its message cleaned; its frames as they are (from V8, not from the caller). */
function stackOf(error: ErrorLike): string {
  const stack = typeof error.stack === 'string' ? error.stack : '';
  const at = error.message ? stack.indexOf(error.message) : -1;
  if (at >= 0) return stack.slice(0, at) + redactDatabaseText(error.message) + stack.slice(at + error.message.length);
  // The message was changed after the stack was taken: the stack's own copy of it cannot be told apart.
  return `${error.name}: ${redactDatabaseText(error.message)} (stack omitted)`;
}

function cleanValue(value: unknown, seen: Set<unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactDatabaseText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value) || depth > 4) return '[omitted]';
  if (isErrorLike(value)) return serializeErrorLike(value, seen);
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => cleanValue(item, seen, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, cleanProperty(key, item, seen, depth + 1)]),
  );
}

function cleanProperty(key: string, value: unknown, seen: Set<unknown>, depth: number): unknown {
  if (NEVER_LOGGED.has(key)) return REDACTED;
  if (typeof value === 'string' && SQL_TEXT.has(key)) return withoutLiterals(value);
  if (typeof value !== 'object' && KEPT_AS_IS.has(key)) return value;
  return cleanValue(value, seen, depth);
}
