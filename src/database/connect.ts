import { DataSource } from 'typeorm';
import { Config } from '../config.js';
import { createDataSource, migrate } from './data-source.js';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded.js';

export interface Database {
  dataSource: DataSource;
  embedded: EmbeddedDatabase | null;
  close(): Promise<void>;
}

/** `DATABASE_URL` when set; otherwise an embedded PostgreSQL whose data lives under DATA_DIR. */
export async function connectDatabase(config: Config, { runMigrations = true } = {}): Promise<Database> {
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir);
  const dataSource = createDataSource({ url: config.databaseUrl ?? embedded!.url, poolSize: config.poolSize });
  try {
    await dataSource.initialize();
    if (runMigrations) await migrate(dataSource);
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
