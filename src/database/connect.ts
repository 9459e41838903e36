import type { ClientBase, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { Config } from '../config.js';
import { APP_ROLE, createDataSource, migrate } from './data-source.js';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded.js';

export interface Database {
  dataSource: DataSource;
  embedded: EmbeddedDatabase | null;
  close(): Promise<void>;
}

export interface ConnectOptions {
  runMigrations?: boolean;
  /**
   * The API server's limits on its connections: a statement timeout, so that one slow query cannot hold
   * a pooled connection for ever. Off for the command line, whose seeding runs long statements on purpose.
   */
  requestLimits?: boolean;
  /**
   * Connect as the API role (`eca_app`), to which row-level security applies: the server does; the
   * command line, seeding and migrations work as the owner.
   */
  apiRole?: boolean;
  /** Work to do as the owner once migrations are current, before the pool opens (e.g. demo data). */
  prepare?: (owner: DataSource) => Promise<void>;
}

/** `DATABASE_URL` when set; otherwise an embedded PostgreSQL whose data lives under DATA_DIR. */
export async function connectDatabase(
  config: Config,
  { runMigrations = true, requestLimits = false, apiRole = false, prepare }: ConnectOptions = {},
): Promise<Database> {
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir);
  const url = config.databaseUrl ?? embedded!.url;
  const dataSource = createDataSource({ url, poolSize: config.poolSize, role: apiRole ? APP_ROLE : undefined });
  const limits = {
    ...(requestLimits && config.statementTimeoutMs > 0
      ? { statement_timeout: config.statementTimeoutMs, idle_in_transaction_session_timeout: config.statementTimeoutMs }
      : {}),
    // Client side: a database that stops answering (frozen, or its host gone) fails the statement after this.
    ...(requestLimits ? { query_timeout: config.queryTimeoutMs } : {}),
  };
  dataSource.setOptions({
    extra: {
      ...(dataSource.options.extra as object),
      // Bounds both opening a connection and waiting for a free pooled one: with the database gone,
      // requests fail within this time instead of queueing for ever.
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      // TCP keep-alive notices, within about a minute, a database host that vanished without closing its sockets.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...limits,
    },
  });
  try {
    // Migrations run on a connection of their own, as the owner and without the request limits: a long
    // migration is legitimate.
    if (runMigrations || prepare) await asOwner(url, async (owner) => {
      if (runMigrations) await migrate(owner);
      await prepare?.(owner);
    });
    await dataSource.initialize();
    guardClientErrors(dataSource);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

async function asOwner(url: string, work: (owner: DataSource) => Promise<void>): Promise<void> {
  const owner = createDataSource({ url, poolSize: 1, applicationName: 'enforcement-api-migrate' });
  await owner.initialize();
  try {
    await work(owner);
  } finally {
    await owner.destroy();
  }
}

/**
 * A pg client emits 'error' when its connection breaks outside a query (the server shutting down). The
 * pool listens while the client is idle and TypeORM while it is checked out, but not in between: when a
 * connection is made and broken in one network read, the event had no listener and crashed the process.
 * A listener of its own on every client closes that gap; the query that follows reports the failure.
 */
function guardClientErrors(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const guarded = new WeakSet<ClientBase>();
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', () => undefined);
  });
}
