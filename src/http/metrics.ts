import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** Operation label of requests that never resolved to an operation (unparsable, invalid). */
export const UNKNOWN_OPERATION = 'unknown';
/** Operation label of operations sent without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** Operation label of named operations that are not among the server's known operation names. */
export const OTHER_OPERATION = 'other';
/**
 * Operation names chosen by the server's own clients: the README's, the examples', the load script's and
 * the benchmark's. With the PascalCase names of the root fields (`ReportLead`, `Listings`), the only
 * names used as labels: a name a client chose for itself would tell whoever reads the metrics about that
 * client (and is an unbounded label set), so every other name counts as `other`.
 */
export const CANONICAL_OPERATION_NAMES = [
  'PortalListings',
  'PortalLeads',
  'AgencySync',
  'AgencyReferrals',
  'TopSellers',
  'ReferralFunnel',
  'SellersById',
  'Queue',
  'CaseList',
  'Node',
  'Takedowns',
  'Funnel',
  'Report',
];

/** The operation names used as labels: the canonical ones, and `ReportLead` for the root field `reportLead`, and so on. */
export function knownOperationNames(schema: GraphQLSchema): Set<string> {
  const rootFields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
    Object.keys(type?.getFields() ?? {}),
  );
  return new Set([...CANONICAL_OPERATION_NAMES, ...rootFields.map((name) => name[0].toUpperCase() + name.slice(1))]);
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The Prometheus metrics of one app, in a registry of its own (several apps may share a process in tests). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to the end of its answer, by route.',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly httpInFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being processed now.',
    registers: [this.registry],
  });
  readonly operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations executed, by operation name, type and outcome (ok, or error when any error was returned).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly operationDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time from receiving a GraphQL request to its answer (authentication included), by operation name and type.',
    labelNames: ['operation', 'type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'graphql_errors_total',
    help: 'Errors returned to clients, by extensions.code (authentication failures included).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor(
    dataSource: DataSource,
    private readonly operationNames: ReadonlySet<string> = new Set(CANONICAL_OPERATION_NAMES),
  ) {
    // Process metrics: CPU, resident memory, heap, GC, handles, and event loop lag (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    const pool = () =>
      dataSource.isInitialized ? (dataSource.driver as unknown as { master?: Pool }).master : undefined;
    new Gauge({
      name: 'db_pool_connections',
      help: 'Connections of the database pool: total, idle, and in use by a request.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: 'total' }, p.totalCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'in_use' }, p.totalCount - p.idleCount);
      },
    });
    new Gauge({
      name: 'db_pool_waiting_requests',
      help: 'Queries waiting for a free connection of the pool (above zero for long: the pool is too small or the database too slow).',
      registers: [this.registry],
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'Size limit of the database pool (DATABASE_POOL_SIZE).',
      registers: [this.registry],
      collect() {
        this.set(pool()?.options.max ?? 0);
      },
    });
  }

  /** The metric label for an operation name: a known name, `other`, `anonymous`, or `unknown` (never resolved). */
  operationLabel(name: string | null | undefined, resolved: boolean): string {
    if (!resolved) return UNKNOWN_OPERATION;
    if (!name) return ANONYMOUS_OPERATION;
    return this.operationNames.has(name) ? name : OTHER_OPERATION;
  }

  /** The route label of a path: the known routes, anything else as "other" (scanners must not add series). */
  static route(path: string): string {
    if (['/graphql', '/healthz', '/readyz', '/metrics'].includes(path)) return path;
    if (path.startsWith('/graphql/ide/')) return '/graphql/ide';
    return 'other';
  }
}

/**
 * `GET /metrics`: with a METRICS_TOKEN, only to a request that carries it (`Authorization: Bearer <token>`),
 * 401 otherwise; without one, only in development (the demo, `npm run load`), and not at all (404) in
 * production and test. Prometheus: `authorization: { credentials_file: ... }` in the scrape config.
 */
export function metricsEndpoint(
  metrics: Metrics,
  { metricsToken, nodeEnv }: { metricsToken?: string; nodeEnv: string },
): RequestHandler {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = metricsToken === undefined ? null : digest(metricsToken);
  return async (req, res, next) => {
    if (!expected) {
      if (nodeEnv !== 'development') return next();
    } else {
      const presented = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      // Compared as digests, in constant time: the token's length and content are not timed.
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        res
          .status(401)
          .set('www-authenticate', 'Bearer realm="metrics"')
          .type('text/plain')
          .send('A bearer token is required (METRICS_TOKEN).\n');
        return;
      }
    }
    res.set('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
