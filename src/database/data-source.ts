import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { entities } from '../entities.js';
import { prepareParameterisedStatements } from './prepared-statements.js';
import { StatementCounter } from './statement-counter.js';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /** Role every connection runs as (the API's `eca_app`, subject to row-level security); the login role if unset. */
  role?: string;
}

/** The role of the API's connections: no BYPASSRLS, not the owner (see the RowLevelSecurity migration). */
export const APP_ROLE = 'eca_app';

// Never `synchronize`: the schema is whatever migrations/ says, reviewed by hand.
export function createDataSource({ url, poolSize = 10, applicationName = 'enforcement-api', role }: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize,
    applicationName,
    extra: {
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      // The API's connections: the role, and prepared statements (the hot request paths repeat a few dozen texts).
      ...(role ? { options: `-c role=${role}`, onConnect: prepareParameterisedStatements } : {}),
    },
    logger: new StatementCounter(),
  });
}

export async function migrate(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}
