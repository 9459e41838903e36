import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import type { ImportKind } from '../import/import-run.js';
import type { ImportFormat } from '../import/import-source.js';
import type { ImportProgress } from '../import/import.js';
import { CliError, say } from './output.js';

interface ImportCommandOptions {
  format?: ImportFormat;
  as?: string;
  brand?: string;
  restart?: boolean;
  chunkSize?: string;
}

const COLUMNS: Record<ImportKind, string> = {
  sellers: 'platform, external_id, display_name, region, identifiers (KIND:value;KIND:value)',
  listings: 'seller_platform, seller_external_id, brand (slug), title, url, price_amount (minor unit), price_currency',
  leads:
    "description, brands (slugs; default --brand or the partner's), sellers (PLATFORM/external_id;...), listings (global ids), source, risk_score, reporter_priority",
};

/** `import sellers|listings|leads FILE`: streamed, row by row through the services, resumable. */
export function addImportCommands(program: Command): void {
  const importCommand = program
    .command('import')
    .description('import sellers, listings or leads from a CSV or JSON lines file (streamed, resumable)');
  for (const kind of ['sellers', 'listings', 'leads'] as const) {
    const command = importCommand
      .command(kind)
      .argument('<FILE>', 'a CSV file with a header line, or JSON lines (one object per line)')
      .description(
        `import ${kind} from FILE; rejected rows go to FILE.rejected.csv (or .jsonl) with line, field, reason`,
      )
      .addOption(
        new Option('--format <format>', 'csv or jsonl (default: from the file name ending)').choices(['csv', 'jsonl']),
      )
      .option(
        '--as <KEY_ID>',
        'act as the principal of this API key (see: list keys): its role, scope and name in the audit trail',
      )
      .option(
        '--restart',
        'start over instead of resuming an unfinished import of the same file (or import a finished one again)',
      )
      .option('--chunk-size <N>', 'rows per transaction', '1000')
      .addHelpText(
        'after',
        `
Columns: ${COLUMNS[kind]}
Without --as the rows are written by the command line's administrator ("cli" in the audit trail).
An interrupted import resumes where its last committed chunk ended when run again on the same file (known
by its SHA-256), as the same principal; no row is written twice.

Example:
  npm run --silent cli -- import ${kind} ${kind}.csv${kind === 'leads' ? ' --as 12 --brand alpha' : ''}`,
      );
    if (kind === 'leads') command.option('--brand <SLUG>', 'the brand of rows that name none (see: list brands)');
    command.action((file: string, options: ImportCommandOptions) => runImport(kind, file, options));
  }
}

async function runImport(kind: ImportKind, file: string, options: ImportCommandOptions): Promise<void> {
  const format = options.format ?? (/\.csv$/i.test(file) ? 'csv' : /\.jsonl$/i.test(file) ? 'jsonl' : undefined);
  if (!format) throw new CliError('give --format csv or --format jsonl (the file name ends in neither)', 2);
  const chunkSize = Number(options.chunkSize);
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 10_000)
    throw new CliError('--chunk-size takes a whole number from 1 to 10000', 2);
  if (options.as !== undefined && !/^[0-9]+$/.test(options.as))
    throw new CliError('--as takes the id of an API key (see: list keys)', 2);
  const [{ withDatabase }, { importFile }, { actingAs }] = await Promise.all([
    import('./session.js'),
    import('../import/import.js'),
    import('../import/import-principal.js'),
  ]);
  await withDatabase(async ({ ctx }) => {
    const actor = options.as ? await actingAs(ctx, options.as) : ctx;
    const progress = progressOutput(path.basename(file));
    try {
      const result = await importFile(actor, {
        kind,
        file,
        format,
        chunkSize,
        restart: options.restart,
        brand: options.brand,
        onProgress: progress.update,
        say,
      });
      progress.stop();
      if (result.alreadyFinished) return;
      const rate = result.seconds > 0 ? Math.round(result.imported / result.seconds) : result.imported;
      say(
        `imported ${result.imported} ${kind}, rejected ${result.rejected}, skipped ${result.skipped} already imported, ` +
          `in ${result.seconds.toFixed(1)} s (${rate} rows/s); run ${result.runId} finished as ${actor.principal.name}`,
      );
      if (result.reportEntries) say(`rejected rows (line, field, reason): ${result.reportPath}`);
    } finally {
      progress.stop();
    }
  });
}

/** A progress bar on a terminal; elsewhere (CI, a pipe) a plain line every two seconds at most. */
function progressOutput(name: string) {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${name} [{bar}] {percentage}% | line {value}/{total} | {imported} imported, {rejected} rejected`,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p: ImportProgress) => {
        if (!started) bar.start(p.totalLines, 0, { imported: 0, rejected: 0 });
        started = true;
        bar.update(p.linesDone, { imported: p.imported, rejected: p.rejected });
      },
      stop: () => {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let last = 0;
  let lastLine = -1;
  return {
    update: (p: ImportProgress) => {
      if (p.linesDone === lastLine || (Date.now() - last < 2000 && p.linesDone < p.totalLines)) return;
      last = Date.now();
      lastLine = p.linesDone;
      say(`${name}: line ${p.linesDone} of ${p.totalLines}, ${p.imported} imported, ${p.rejected} rejected`);
    },
    stop: () => undefined,
  };
}
