import { inspect } from 'node:util';
import { DataSource } from 'typeorm';
import { Config, ConfigError, loadConfig } from '../config.js';
import { connectDatabase, Database } from '../database/connect.js';
import { migrate } from '../database/data-source.js';
import { EmbeddedPostgresError } from '../database/embedded.js';
import { EnvFileError } from '../env-file.js';
import { ExportError } from '../export/export.js';
import { RequestContext, systemContext } from '../shared/context.js';
import { SettingsError } from '../shared/settings.js';
import { UserErrorException } from '../shared/user-error.js';
import { CliError } from './output.js';

/**
 * What every command that uses the database shares: the session, and the wording of failures. Loaded by
 * the commands' actions only (it brings TypeORM and the services), so that `--help` answers at once.
 */

export interface Session {
  config: Config;
  dataSource: DataSource;
  /** An administrator's context, for the services that record who did what ("cli"). */
  ctx: RequestContext;
}

/** Where the database is, for messages: never the password. */
export function databaseLabel(config: Pick<Config, 'databaseUrl' | 'dataDir'> | null): string {
  if (!config) return 'PostgreSQL';
  if (!config.databaseUrl) return `the embedded PostgreSQL under ${config.dataDir} (DATA_DIR)`;
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname} (DATABASE_URL)`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

let lastConfig: Config | null = null;

/**
 * Opens the database (DATABASE_URL, or the embedded one of DATA_DIR: the running cluster of `npm start`
 * if there is one, or one started for this command), applies pending migrations unless told not to, runs
 * `work`, and closes everything, also when `work` fails.
 */
export async function withDatabase<T>(work: (session: Session) => Promise<T>, { runMigrations = true } = {}): Promise<T> {
  const config = loadConfig();
  lastConfig = config;
  const database: Database = await connectDatabase(config, { runMigrations: false });
  try {
    if (runMigrations) await migrateExclusively(database.dataSource);
    return await work({ config, dataSource: database.dataSource, ctx: systemContext(database.dataSource, config, 'cli') });
  } finally {
    await database.close();
  }
}

/** Key of the advisory lock held while migrating ("eca-migrate"). */
const MIGRATION_LOCK = 0x6563616d;

/**
 * Applies the pending migrations one process at a time: two commands started together on a new database
 * would otherwise both create the same tables, and the second fail. The second waits, then finds none
 * pending. Returns the names of the migrations applied.
 */
export async function migrateExclusively(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      return await migrate(dataSource);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}

// ---------------------------------------------------------------------------------------------------
// Failures, worded: what is wrong and what to do. Never "undefined".

interface PostgresLike {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  errno?: number;
  address?: string;
  port?: number;
}

/** The PostgreSQL or network error behind a TypeORM or pg error, if there is one. */
function causeOf(error: unknown): PostgresLike | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as PostgresLike & { driverError?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === 'string') return candidate;
    // Node's "connect" to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with an
    // AggregateError whose own message is empty.
    current = candidate.driverError ?? candidate.cause ?? (Array.isArray(candidate.errors) ? candidate.errors[0] : undefined);
  }
  return null;
}

const ADVICE: Record<string, (where: string, cause: PostgresLike) => string> = {
  ECONNREFUSED: (where) => `cannot reach ${where}: nothing answers there. Start that PostgreSQL, or correct DATABASE_URL (unset it to use the embedded one).`,
  ENOTFOUND: (where) => `cannot reach ${where}: the host name is unknown. Correct DATABASE_URL.`,
  EAI_AGAIN: (where) => `cannot reach ${where}: the host name could not be looked up now. Check the network and DATABASE_URL.`,
  ETIMEDOUT: (where) => `cannot reach ${where}: the connection timed out. Check the host, port and firewall in DATABASE_URL.`,
  EHOSTUNREACH: (where) => `cannot reach ${where}: no route to the host. Check the network and DATABASE_URL.`,
  '28P01': (where) => `${where} refused the user name or password. Correct them in DATABASE_URL.`,
  '28000': (where, c) => `${where} refused the login: ${c.message}. Correct the user in DATABASE_URL, or allow it in pg_hba.conf.`,
  '3D000': (where, c) => `${where}: ${c.message}. Create it first (createdb, or CREATE DATABASE ... OWNER <login>), or correct the database name in DATABASE_URL.`,
  '53300': (where) => `${where} has no free connection left (too many clients). Close other clients or raise max_connections.`,
  '57P03': (where) => `${where} is starting up or shutting down. Try again in a moment.`,
  '42501': (where, c) => /role/i.test(c.message ?? '')
    ? `${where}: ${c.message}. The RowLevelSecurity migration runs CREATE ROLE eca_app and GRANT eca_app TO CURRENT_USER: `
      + 'the login in DATABASE_URL needs CREATEROLE for it (PostgreSQL asks for it even when eca_app exists), and on PostgreSQL 16 '
      + 'and later, when another login created eca_app, also ADMIN OPTION on it (an administrator runs: GRANT eca_app TO <login> '
      + 'WITH ADMIN OPTION). CREATEROLE may be taken back once migrated. README, "Command line".'
    : `${where}: ${c.message}. The login in DATABASE_URL lacks a privilege: it should own the database (README, "Command line").`,
  '40001': (where, c) => `${where}: ${c.message}. Another session changed the same rows; run the command again.`,
  '40P01': (where, c) => `${where}: ${c.message}. Run the command again.`,
  '57014': (where, c) => `${where}: ${c.message} (a statement timeout or a cancel).`,
};

/** One or two lines for stderr; `debug` adds the stack of an error nobody expected. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof UserErrorException) return error.userError.message;
  if (error instanceof CliError || error instanceof ConfigError || error instanceof SettingsError
    || error instanceof EmbeddedPostgresError || error instanceof EnvFileError || error instanceof ExportError) return error.message;
  const cause = causeOf(error);
  if (cause?.code) {
    const where = databaseLabel(lastConfig);
    const advice = ADVICE[cause.code];
    if (advice) return advice(where, cause);
    if (/^[0-9A-Z]{5}$/.test(cause.code)) {
      const extra = [cause.detail, cause.hint].filter(Boolean).join(' ');
      return `${where} answered: ${cause.message || 'an error'} (SQLSTATE ${cause.code})${extra ? `. ${extra}` : ''}`;
    }
  }
  if (error instanceof Error) {
    const message = error.message || (cause?.message ?? '') || '(no message)';
    const text = `unexpected ${error.name}: ${message}${cause?.code ? ` (${cause.code})` : ''}`;
    return debug && error.stack ? `${text}\n${error.stack}` : `${text}\n(run again with --debug to see where it happened)`;
  }
  return `unexpected failure, not an Error: ${error === undefined ? 'undefined (no reason given)' : inspect(error, { depth: 2 })}`;
}
