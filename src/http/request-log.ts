import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Metrics } from './metrics.js';

/** What is known of one request, filled in as it is processed and logged as one line when it ends. */
export interface RequestRecord {
  requestId: string;
  startedAt: bigint;
  /** The GraphQL operation's name as the client sent it, and its type, once resolved. */
  operation?: string;
  operationType?: string;
  /** Who called: the principal's global id and role (never the token, never the name). */
  principal?: { id: string; role: string };
  /** `extensions.code` of every error returned. */
  errorCodes: string[];
  /** Calculated cost of the operation (cost-plugin.ts), once priced. */
  cost?: number;
}

const scope = new AsyncLocalStorage<RequestRecord>();

/** The record of the request being processed, anywhere below `enterRequestScope` (Apollo's hooks, formatError). */
export const currentRequest = (): RequestRecord | undefined => scope.getStore();

export const recordOf = (res: Response): RequestRecord => res.locals.record;

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * First middleware: gives the request its id (a well-formed incoming `x-request-id` is kept, so that a
 * client or proxy can follow its request through), returns it in a header, and when the answer is done
 * (or the client went away) writes one log line and the HTTP metrics.
 */
export function observeRequests(logger: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9._-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    const record: RequestRecord = { requestId, startedAt: process.hrtime.bigint(), errorCodes: [] };
    res.locals.requestId = requestId;
    res.locals.record = record;
    res.set('x-request-id', requestId);
    metrics.httpInFlight.inc();
    res.once('close', () => {
      metrics.httpInFlight.dec();
      const seconds = Number(process.hrtime.bigint() - record.startedAt) / 1e9;
      // The path only: a query string may carry GraphQL variables.
      const path = req.originalUrl.split('?')[0];
      const route = Metrics.route(path);
      const finished = res.writableFinished;
      metrics.httpRequests.inc({ route, method: req.method, status: finished ? String(res.statusCode) : 'aborted' });
      metrics.httpDuration.observe({ route }, seconds);
      for (const code of record.errorCodes) metrics.errors.inc({ code });
      const failed = record.errorCodes.length > 0 || res.statusCode >= 400;
      const line = {
        requestId,
        method: req.method,
        path,
        status: finished ? res.statusCode : undefined,
        durationMs: Math.round(seconds * 10_000) / 10,
        operation: record.operation,
        operationType: record.operationType,
        principal: record.principal,
        cost: record.cost,
        outcome: !finished ? 'aborted' : failed ? 'error' : 'ok',
        errorCodes: record.errorCodes.length ? [...new Set(record.errorCodes)] : undefined,
      };
      // Probes and scrapes at debug, but not a refused one (a /metrics request without its token).
      const level =
        !finished || res.statusCode >= 500 ? 'warn' : QUIET_PATHS.has(path) && res.statusCode < 400 ? 'debug' : 'info';
      logger[level](line, 'request');
    });
    next();
  };
}

/**
 * Runs the rest of the request inside its record's async scope. Placed after body parsing on purpose:
 * the parser resumes from stream callbacks, which run outside any scope entered before them.
 */
export function enterRequestScope(_req: Request, res: Response, next: NextFunction): void {
  scope.run(recordOf(res), next);
}
