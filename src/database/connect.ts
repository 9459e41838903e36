import type { ClientBase, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { API_LOGIN, createDataSource, migrateExclusively, pendingMigrations } from './data-source.js';
import { embeddedApiUrl } from './embedded-api-login.js';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded.js';
import { apiLoginRefusal, apiLoginProblems, describeLogin, isOwnerLogin } from './logins.js';

/**
 * Two logins (src/database/logins.ts):
 * - the server's pool logs in as the API's own login (DATABASE_URL; eca_api on the embedded cluster), a
 *   member of eca_app with nothing more: no statement on an API connection runs with the owner's rights;
 * - migrations, the demo data and the command line log in as the owner (MIGRATION_DATABASE_URL; postgres
 *   on the embedded cluster). The server uses the owner only at start, and only outside production: in
 *   production migrations are a step of their own (`eca migrate`) and the server holds no owner credential.
 */
export interface Database {
  dataSource: DataSource;
  embedded: EmbeddedDatabase | null;
  close(): Promise<void>;
}

/** A database set-up that cannot work, worded for the person who configured it: what is wrong, what to do. */
export class DatabaseLoginError extends Error {
  override name = 'DatabaseLoginError';
}

export interface ApiConnectOptions {
  /**
   * The API server's limits on its connections: a statement timeout, so that one slow query cannot hold a
   * pooled connection for ever, and a client-side bound on each answer.
   */
  requestLimits?: boolean;
  /** Apply pending migrations at start when the owner's login is at hand (embedded, or MIGRATION_DATABASE_URL). */
  runMigrations?: boolean;
  /** Work to do as the owner once migrations are current, before the pool opens (the demo data); skipped without the owner. */
  prepare?: (owner: DataSource) => Promise<void>;
  /** Told what the server did not do for want of the owner's login (migrations pending, no demo data). */
  onNotice?: (message: string) => void;
}

/**
 * The server's database: its pool logs in as the API's login, checked before the first request (the server
 * refuses to start on the owner's login, a superuser or any login that can reach them). Pending migrations
 * are applied first as the owner, when the owner's login is known.
 */
export async function connectApi(
  config: Config,
  { requestLimits = true, runMigrations = true, prepare, onNotice = () => undefined }: ApiConnectOptions = {},
): Promise<Database> {
  if (config.migrationDatabaseUrl && config.nodeEnv === 'production') {
    throw new DatabaseLoginError(
      'MIGRATION_DATABASE_URL is set for the server: in production the server holds no owner credential and does not migrate. ' +
        'Run the migrations as a step of their own before the new version starts (`npx eca migrate`, or `node dist/src/cli.js migrate`, ' +
        'with MIGRATION_DATABASE_URL), and give the server DATABASE_URL alone (the API\'s login). README, "Operating it".',
    );
  }
  if (config.migrationDatabaseUrl && !config.databaseUrl) {
    throw new DatabaseLoginError(
      "MIGRATION_DATABASE_URL is set but DATABASE_URL is not: the server logs in with DATABASE_URL (the API's login, e.g. eca_api) and " +
        "migrates with MIGRATION_DATABASE_URL (the owner's). Set both, or neither for the embedded PostgreSQL under DATA_DIR.",
    );
  }
  // The server stops the cluster itself, last of its graceful shutdown (main.ts).
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, { stopOnSignals: false });
  const ownerUrl = embedded?.url ?? config.migrationDatabaseUrl;
  let dataSource: DataSource | null = null;
  try {
    if (ownerUrl && (runMigrations || prepare)) {
      // On a connection of their own, as the owner and without the request limits: a long migration is legitimate.
      await asOwner(ownerUrl, async (owner) => {
        if (runMigrations) await migrateExclusively(owner);
        await prepare?.(owner);
      });
    }
    const url = embedded ? await embeddedApiUrl(embedded, API_LOGIN) : config.databaseUrl!;
    dataSource = createDataSource({ url, poolSize: config.poolSize, api: true });
    applyConnectionLimits(dataSource, config, requestLimits);
    await dataSource.initialize();
    guardClientErrors(dataSource);

    const login = await describeLogin(dataSource);
    if (apiLoginProblems(login).length) throw new DatabaseLoginError(apiLoginRefusal(login));
    if (!ownerUrl) {
      const pending = await pendingMigrations(dataSource);
      if (pending.length) {
        onNotice(
          `${pending.length} migration${pending.length === 1 ? ' is' : 's are'} pending (${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ', ...' : ''}): ` +
            "the server migrates only with MIGRATION_DATABASE_URL (outside production). Run `npx eca migrate` with the owner's login in " +
            'MIGRATION_DATABASE_URL; /readyz answers 503 until then.',
        );
      }
      if (prepare)
        onNotice(
          "no demo data or demo keys: they are made with the owner's login (MIGRATION_DATABASE_URL), which is not set",
        );
    }
  } catch (error) {
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
  return closable(dataSource, embedded);
}

/**
 * The owner's database, for the command line: MIGRATION_DATABASE_URL; when unset, DATABASE_URL (said so
 * through `onNotice`), which must then be an owner's login; otherwise the embedded PostgreSQL's superuser.
 * A login that owns nothing (the API's) is refused: row-level security would hide every row from it.
 */
export async function connectOwner(
  config: Config,
  { onNotice = () => undefined }: { onNotice?: (message: string) => void } = {},
): Promise<Database> {
  const variable = ownerVariable(config);
  if (variable === 'DATABASE_URL') {
    onNotice(
      "note: MIGRATION_DATABASE_URL is unset: the command line logs in with DATABASE_URL, which must then be the owner's login " +
        '(README, "Configuration")',
    );
  }
  const embedded = variable ? null : await startEmbeddedPostgres(config.dataDir);
  const url = embedded?.url ?? config.migrationDatabaseUrl ?? config.databaseUrl!;
  // At least two connections: migrations take one and hold the migration lock on the other.
  const dataSource = createDataSource({ url, poolSize: Math.max(2, config.poolSize), applicationName: 'eca-cli' });
  applyConnectionLimits(dataSource, config, false);
  try {
    await dataSource.initialize();
    guardClientErrors(dataSource);
    const login = await describeLogin(dataSource);
    if (!isOwnerLogin(login)) {
      throw new DatabaseLoginError(
        `${variable} logs in as ${login.login}, which owns neither this database nor its tables${login.appPrivileges ? " (it is the API's login)" : ''}: ` +
          "the command line, migrations and seeding need the owner's login, to which row-level security does not apply. " +
          'Set MIGRATION_DATABASE_URL to it (README, "Configuration").',
      );
    }
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
  return closable(dataSource, embedded);
}

/** The variable the command line takes its login from; null for the embedded PostgreSQL. */
export function ownerVariable(
  config: Pick<Config, 'databaseUrl' | 'migrationDatabaseUrl'>,
): 'MIGRATION_DATABASE_URL' | 'DATABASE_URL' | null {
  if (config.migrationDatabaseUrl) return 'MIGRATION_DATABASE_URL';
  return config.databaseUrl ? 'DATABASE_URL' : null;
}

function closable(dataSource: DataSource, embedded: EmbeddedDatabase | null): Database {
  return {
    dataSource,
    embedded,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

function applyConnectionLimits(dataSource: DataSource, config: Config, requestLimits: boolean): void {
  dataSource.setOptions({
    extra: {
      ...(dataSource.options.extra as object),
      // Bounds both opening a connection and waiting for a free pooled one: with the database gone,
      // requests fail within this time instead of queueing for ever.
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      // TCP keep-alive notices, within about a minute, a database host that vanished without closing its sockets.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(requestLimits && config.statementTimeoutMs > 0
        ? {
            statement_timeout: config.statementTimeoutMs,
            idle_in_transaction_session_timeout: config.statementTimeoutMs,
          }
        : {}),
      // Client side: a database that stops answering (frozen, or its host gone) fails the statement after this.
      ...(requestLimits ? { query_timeout: config.queryTimeoutMs } : {}),
    },
  });
}

async function asOwner(url: string, work: (owner: DataSource) => Promise<void>): Promise<void> {
  // Two connections: migrations take one and hold the migration lock on the other.
  const owner = createDataSource({ url, poolSize: 2, applicationName: 'enforcement-api-migrate' });
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
