import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** Operation label of requests that never resolved to an operation (unparsable, invalid). */
export const UNKNOWN_OPERATION = 'unknown';
/** Operation label of operations sent without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** Operation label of named operations beyond the first MAX_OPERATION_NAMES seen. */
export const OTHER_OPERATION = 'other';
/**
 * Operation names are chosen by clients, so they are an unbounded label set: every distinct label is a
 * time series kept for ever by the process and Prometheus. The first names seen are kept, the rest
 * collapse into "other".
 */
export const MAX_OPERATION_NAMES = 100;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The Prometheus metrics of one app, in a registry of its own (several apps may share a process in tests). */
export class Metrics {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();

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

  constructor(dataSource: DataSource) {
    // Process metrics: CPU, resident memory, heap, GC, handles, and event loop lag (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    const pool = () => (dataSource.isInitialized ? (dataSource.driver as unknown as { master?: Pool }).master : undefined);
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

  /** The metric label for an operation name, with bounded cardinality. */
  operationLabel(name: string | null | undefined, resolved: boolean): string {
    if (!resolved) return UNKNOWN_OPERATION;
    if (!name) return ANONYMOUS_OPERATION;
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES || name.length > 64) return OTHER_OPERATION;
    this.operationNames.add(name);
    return name;
  }

  /** The route label of a path: the known routes, anything else as "other" (scanners must not add series). */
  static route(path: string): string {
    if (['/graphql', '/healthz', '/readyz', '/metrics'].includes(path)) return path;
    if (path.startsWith('/graphql/ide/')) return '/graphql/ide';
    return 'other';
  }
}
