import { Command, InvalidArgumentError } from 'commander';
import type { DataSource } from 'typeorm';
import { CliError, say } from './output.js';

/** `migrate` and `seed`: the database's schema and its generated dataset. */
export function addDatabaseCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply the pending migrations and say how many were applied')
    .addHelpText(
      'after',
      `
Runs as the owner (MIGRATION_DATABASE_URL). Every other command applies pending migrations by itself
first; the server does at start outside production when it has MIGRATION_DATABASE_URL, never in
production (run this as a release step there). The migrations create the roles eca_app and eca_api
where they are missing (CREATEROLE needed), or use those an administrator created beforehand: see
README, "On a hosted PostgreSQL".`,
    )
    .action(async () => {
      const { withDatabase, migrateExclusively } = await import('./session.js');
      await withDatabase(
        async ({ dataSource }) => {
          const applied = await migrateExclusively(dataSource);
          const [{ total }] = await dataSource.query(
            `SELECT count(*)::int AS total FROM ${migrationsTable(dataSource)}`,
          );
          if (applied.length === 0) say(`no pending migrations: the database is current (${total} applied before)`);
          else
            say(
              `applied ${applied.length} migration${applied.length === 1 ? '' : 's'} (${total} in all):\n  ${applied.join('\n  ')}`,
            );
        },
        { runMigrations: false },
      );
    });

  program
    .command('seed')
    .description('load a generated, deterministic dataset into an empty database')
    .option(
      '--scale <F>',
      'size of the dataset: 1 is 1,000 brands, 50,000 sellers, 200,000 listings and ~9,000 leads; above 0, at most 100',
      parseScale,
      0.01,
    )
    .option(
      '--reset',
      'first empty every data table (brands, cases, principals, API keys, the audit trail); the migrations history stays',
    )
    .addHelpText(
      'after',
      `
Examples:
  seed --scale 0.01           the demo's size (a few seconds)
  seed --scale 1 --reset      replace whatever the database holds by the scale-1 dataset`,
    )
    .action(async (options: { scale: number; reset?: boolean }) => {
      const [{ withDatabase }, { seedDataset }] = await Promise.all([
        import('./session.js'),
        import('../seed/seed.js'),
      ]);
      await withDatabase(async ({ config, dataSource }) => {
        if (options.reset) say(`emptied ${await resetData(dataSource)} tables`);
        else await refuseWhenFilled(dataSource);
        const started = Date.now();
        const counts = await seedDataset(dataSource, {
          scale: options.scale,
          identifierHashKey: config.identifierHashKey,
          showProgress: process.stderr.isTTY,
        });
        say(
          `seeded scale ${options.scale} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`,
        );
      });
    });
}

function parseScale(raw: string): number {
  const scale = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(scale > 0 && scale <= 100))
    throw new InvalidArgumentError('Give a number above 0 and at most 100, e.g. 0.01, 0.1, 1 or 10.');
  return scale;
}

function migrationsTable(dataSource: DataSource): string {
  return dataSource.options.migrationsTableName ?? 'migrations';
}

/** The seeder writes fixed agency codes and numbered references: on top of data it would collide. */
async function refuseWhenFilled(dataSource: DataSource): Promise<void> {
  const [counts] =
    await dataSource.query(`SELECT (SELECT count(*)::int FROM agency) AS agencies, (SELECT count(*)::int FROM brand) AS brands,
    (SELECT count(*)::int FROM seller) AS sellers, (SELECT count(*)::int FROM lead) AS leads`);
  const held = Object.entries(counts as Record<string, number>)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`);
  if (held.length === 0) return;
  throw new CliError(
    `the database already holds data (${held.join(', ')}): a second dataset cannot go on top of it.\n` +
      'Add --reset to empty the data tables first (brands, cases, principals, API keys and the audit trail all go), ' +
      'or seed another database (MIGRATION_DATABASE_URL, or DATA_DIR for the embedded one).',
  );
}

/**
 * Empties every table of the schema but the migrations history, in one statement (TRUNCATE ... RESTART
 * IDENTITY CASCADE): ids start again from 1. Returns the number of tables emptied.
 */
export async function resetData(dataSource: DataSource): Promise<number> {
  const tables: { name: string }[] = await dataSource.query(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
     WHERE schemaname = current_schema() AND tablename <> $1 ORDER BY tablename`,
    [migrationsTable(dataSource)],
  );
  if (tables.length)
    await dataSource.query(`TRUNCATE ${tables.map((t) => t.name).join(', ')} RESTART IDENTITY CASCADE`);
  return tables.length;
}
