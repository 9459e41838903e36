import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { entities } from './entities.js';
import { withPreCreatedRoles } from './pre-created-roles.js';
import { prepareParameterisedStatements } from './prepared-statements.js';
import { StatementCounter } from './statement-counter.js';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /**
   * The API's pool: its connections prepare the statements they repeat. Its URL is the API's own login
   * (API_LOGIN), never the owner's: see src/database/logins.ts.
   */
  api?: boolean;
}

/** The role that holds the API's privileges: no BYPASSRLS, not the owner, no login (the RowLevelSecurity migration). */
export const APP_ROLE = 'eca_app';
/**
 * The API's login: a member of eca_app that inherits its privileges and has nothing else (the ApiLogin
 * migration makes it where it may; README, "On a hosted PostgreSQL"). Another login name works as well,
 * if it passes the same check at start (src/database/logins.ts).
 */
export const API_LOGIN = 'eca_api';

// Never `synchronize`: the schema is whatever migrations/ says, reviewed by hand.
export function createDataSource({
  url,
  poolSize = 10,
  applicationName = 'enforcement-api',
  api = false,
}: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: withPreCreatedRoles(migrations),
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize,
    applicationName,
    extra: {
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      // The API's connections: prepared statements (the hot request paths repeat a few dozen texts), each
      // planned for its values: a generic plan under row-level security is blind to the caller's scope (a
      // brand's case list: 10-15 ms a statement against 0.3 ms), so parsing is saved and planning is not.
      ...(api ? { onConnect: prepareParameterisedStatements, options: '-c plan_cache_mode=force_custom_plan' } : {}),
    },
    logger: new StatementCounter(),
  });
}

export async function migrate(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** Key of the advisory lock held while migrating ("eca-migrate"). */
const MIGRATION_LOCK = 0x6563616d;

/**
 * Applies the pending migrations one process at a time: two processes started together on a new database
 * (the server and a command, two commands) would otherwise both create the same tables, and the second
 * fail. The second waits, then finds none pending. Needs two connections of the data source's pool (the
 * lock's and the migrations'). Returns the names of the migrations applied.
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

/** The names of the migrations this database has not applied; all of them when it has never been migrated. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const [{ exists }] = await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [table]);
  const applied = new Set<string>(
    exists ? (await dataSource.query(`SELECT name FROM ${table}`)).map((row: { name: string }) => row.name) : [],
  );
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}
