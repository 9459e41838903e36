import pino, { Logger } from 'pino';
import { Config } from './config.js';

/** Structured JSON logs. Tokens and raw identifiers must never be passed in; headers are redacted anyway. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'enforcement-api' },
    redact: { paths: ['req.headers.authorization', '*.token', 'token'], censor: '[redacted]' },
  });
}
