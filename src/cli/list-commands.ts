import { Command, Option } from 'commander';
import { printRows } from './output.js';

type Format = 'table' | 'jsonl';
const formatOption = () =>
  new Option('--format <format>', 'aligned columns for reading, or one JSON object per line for scripts')
    .choices(['table', 'jsonl'])
    .default('table');

/** `list brands|agencies|keys`: the slugs, codes and ids that other commands take. */
export function addListCommands(program: Command): void {
  const list = program
    .command('list')
    .description('list brands (slugs), agencies (codes) or API keys (ids), as other commands take them');

  list
    .command('brands')
    .description('every brand: its slug (for --brand), name and status')
    .addOption(formatOption())
    .action(async (options: { format: Format }) => {
      const { withDatabase } = await import('./session.js');
      await withDatabase(async ({ dataSource }) => {
        const rows = await dataSource.query('SELECT slug, name, status FROM brand ORDER BY slug');
        printRows(rows, ['slug', 'name', 'status'], options.format);
      });
    });

  list
    .command('agencies')
    .description('every agency: its code (for --agency), kind, jurisdiction and name')
    .addOption(formatOption())
    .action(async (options: { format: Format }) => {
      const { withDatabase } = await import('./session.js');
      await withDatabase(async ({ dataSource }) => {
        const rows = await dataSource.query('SELECT code, kind, jurisdiction, name FROM agency ORDER BY code');
        printRows(rows, ['code', 'kind', 'jurisdiction', 'name'], options.format);
      });
    });

  list
    .command('keys')
    .description(
      'every API key: its id (for apikey revoke), principal, role, brand or agency, created and revoked; never the token',
    )
    .addOption(formatOption())
    .option('--active', 'only the keys not revoked')
    .action(async (options: { format: Format; active?: boolean }) => {
      const [{ withDatabase }, { toGlobalId }] = await Promise.all([
        import('./session.js'),
        import('../shared/relay/global-id.js'),
      ]);
      await withDatabase(async ({ dataSource }) => {
        const rows: Record<string, unknown>[] = await dataSource.query(`
          SELECT k.id, k.token_prefix AS prefix, p.name AS principal, p.role, b.slug AS brand, a.code AS agency,
                 k.created_at AS created, k.revoked_at AS revoked
          FROM api_key k JOIN principal p ON p.id = k.principal_id
          LEFT JOIN brand b ON b.id = p.brand_id LEFT JOIN agency a ON a.id = p.agency_id
          ${options.active ? 'WHERE k.revoked_at IS NULL' : ''}
          ORDER BY k.id`);
        const shown = rows.map((row) => ({
          ...row,
          id: toGlobalId('ApiKey', String(row.id)),
          created: (row.created as Date).toISOString(),
          revoked: row.revoked ? (row.revoked as Date).toISOString() : null,
        }));
        printRows(
          shown,
          ['id', 'prefix', 'principal', 'role', 'brand', 'agency', 'created', 'revoked'],
          options.format,
        );
      });
    });
}
