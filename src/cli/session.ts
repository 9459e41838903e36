import { inspect } from 'node:util';
import { DataSource } from 'typeorm';
import { Config, ConfigError, loadConfig } from '../shared/config.js';
import { connectOwner, Database, DatabaseLoginError, ownerVariable } from '../database/connect.js';
import { migrateExclusively } from '../database/data-source.js';
import { EmbeddedPostgresError } from '../database/embedded.js';
import { EnvFileError } from '../shared/env-file.js';
import { ExportError } from '../export/export.js';
import { ImportError } from '../import/import-error.js';
import { RequestContext, systemContext } from '../shared/context.js';
import { SettingsError } from '../shared/settings.js';
import { UserErrorException } from '../shared/user-error.js';
import { CliError, say } from './output.js';

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

/** Where the database is, for messages: never the password. The command line's login is the owner's. */
export function databaseLabel(config: Pick<Config, 'databaseUrl' | 'migrationDatabaseUrl' | 'dataDir'> | null): string {
  if (!config) return 'PostgreSQL';
  const variable = ownerVariable(config);
  if (!variable) return `the embedded PostgreSQL under ${config.dataDir} (DATA_DIR)`;
  try {
    const url = new URL(config[variable === 'DATABASE_URL' ? 'databaseUrl' : 'migrationDatabaseUrl']!);
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname} (${variable})`;
  } catch {
    return `PostgreSQL (${variable})`;
  }
}

let lastConfig: Config | null = null;

/**
 * Opens the database as the owner (MIGRATION_DATABASE_URL; DATABASE_URL when unset, with a note; or the
 * embedded one of DATA_DIR: the running cluster of `npm start` if there is one, or one started for this
 * command), applies pending migrations unless told not to, runs `work`, and closes everything, also when
 * `work` fails.
 */
export async function withDatabase<T>(
  work: (session: Session) => Promise<T>,
  { runMigrations = true } = {},
): Promise<T> {
  const config = loadConfig();
  lastConfig = config;
  const database: Database = await connectOwner(config, { onNotice: say });
  try {
    if (runMigrations) await migrateExclusively(database.dataSource);
    return await work({
      config,
      dataSource: database.dataSource,
      ctx: systemContext(database.dataSource, config, 'cli'),
    });
  } finally {
    await database.close();
  }
}

export { migrateExclusively };

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
    current =
      candidate.driverError ?? candidate.cause ?? (Array.isArray(candidate.errors) ? candidate.errors[0] : undefined);
  }
  return null;
}

const ADVICE: Record<string, (where: string, cause: PostgresLike, variable: string) => string> = {
  ECONNREFUSED: (where, _c, v) =>
    `cannot reach ${where}: nothing answers there. Start that PostgreSQL, or correct ${v} (unset it to use the embedded one).`,
  ENOTFOUND: (where, _c, v) => `cannot reach ${where}: the host name is unknown. Correct ${v}.`,
  EAI_AGAIN: (where, _c, v) =>
    `cannot reach ${where}: the host name could not be looked up now. Check the network and ${v}.`,
  ETIMEDOUT: (where, _c, v) =>
    `cannot reach ${where}: the connection timed out. Check the host, port and firewall in ${v}.`,
  EHOSTUNREACH: (where, _c, v) => `cannot reach ${where}: no route to the host. Check the network and ${v}.`,
  '28P01': (where, _c, v) => `${where} refused the user name or password. Correct them in ${v}.`,
  '28000': (where, c, v) =>
    `${where} refused the login: ${c.message}. Correct the user in ${v}, or allow it in pg_hba.conf.`,
  '3D000': (where, c, v) =>
    `${where}: ${c.message}. Create it first (createdb, or CREATE DATABASE ... OWNER <login>), or correct the database name in ${v}.`,
  '53300': (where) =>
    `${where} has no free connection left (too many clients). Close other clients or raise max_connections.`,
  '57P03': (where) => `${where} is starting up or shutting down. Try again in a moment.`,
  '42501': (where, c, v) =>
    /role/i.test(c.message ?? '')
      ? `${where}: ${c.message}. The migrations create the roles eca_app and eca_api where they are missing: the login in ${v} needs ` +
        'CREATEROLE for that, or an administrator creates both roles beforehand (then the owner needs no CREATEROLE). ' +
        'README, "On a hosted PostgreSQL".'
      : `${where}: ${c.message}. The login in ${v} lacks a privilege: it should own the database (README, "On a hosted PostgreSQL").`,
  '40001': (where, c) => `${where}: ${c.message}. Another session changed the same rows; run the command again.`,
  '40P01': (where, c) => `${where}: ${c.message}. Run the command again.`,
  '57014': (where, c) => `${where}: ${c.message} (a statement timeout or a cancel).`,
};

/** One or two lines for stderr; `debug` adds the stack of an error nobody expected. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof UserErrorException) return error.userError.message;
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof SettingsError ||
    error instanceof EmbeddedPostgresError ||
    error instanceof EnvFileError ||
    error instanceof ExportError ||
    error instanceof ImportError ||
    error instanceof DatabaseLoginError
  )
    return error.message;
  const cause = causeOf(error);
  if (cause?.code) {
    const where = databaseLabel(lastConfig);
    const advice = ADVICE[cause.code];
    if (advice) return advice(where, cause, (lastConfig && ownerVariable(lastConfig)) ?? 'DATABASE_URL');
    if (/^[0-9A-Z]{5}$/.test(cause.code)) {
      const extra = [cause.detail, cause.hint].filter(Boolean).join(' ');
      return `${where} answered: ${cause.message || 'an error'} (SQLSTATE ${cause.code})${extra ? `. ${extra}` : ''}`;
    }
  }
  if (error instanceof Error) {
    const message = error.message || (cause?.message ?? '') || '(no message)';
    const text = `unexpected ${error.name}: ${message}${cause?.code ? ` (${cause.code})` : ''}`;
    return debug && error.stack
      ? `${text}\n${error.stack}`
      : `${text}\n(run again with --debug to see where it happened)`;
  }
  return `unexpected failure, not an Error: ${error === undefined ? 'undefined (no reason given)' : inspect(error, { depth: 2 })}`;
}
