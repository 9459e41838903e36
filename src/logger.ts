import pino, { DestinationStream, Logger } from 'pino';
import { Config } from './config.js';

/**
 * Structured JSON logs, one object a line. Tokens, request bodies, variables and raw identifiers are
 * never passed in; the paths below are redacted anyway, as a second line of defence: the values a
 * failed query was run with (`parameters`) and PostgreSQL's `detail` (which quotes a duplicate key).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'err.parameters',
  'err.detail',
  'err.driverError.parameters',
  'err.driverError.detail',
];

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'enforcement-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: readable without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    // Synchronous writes: the last lines before an exit (a crash, "stopped") are never lost in a buffer.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
