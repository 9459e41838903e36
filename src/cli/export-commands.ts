import { Command, Option } from 'commander';
import type { ExportKind } from '../export/export.js';
import type { ExportFormat } from '../export/export-format.js';
import { CliError, say } from './output.js';

interface ExportCommandOptions {
  format: ExportFormat;
  bom?: boolean;
  agency?: string;
  brand?: string;
}

/** `export referrals|leads`: CSV or JSON lines on stdout, for spreadsheets and scripts. */
export function addExportCommands(program: Command): void {
  const exportCommand = program
    .command('export')
    .description('stream referrals or leads to stdout as CSV or JSON lines (one consistent snapshot, any size)');

  const common = (command: Command) =>
    command
      .addOption(
        new Option('--format <format>', 'csv (a header line, CRLF line ends) or jsonl (one JSON object per line)')
          .choices(['csv', 'jsonl'])
          .makeOptionMandatory(),
      )
      .option(
        '--bom',
        'CSV only: start with a UTF-8 byte order mark, so that Excel shows Chinese and other non-Latin text correctly',
      )
      .addHelpText(
        'after',
        `
stdout carries the data alone; the count goes to stderr. A reader that stops early (| head) ends the
export quietly with exit status 0.`,
      );

  common(
    exportCommand
      .command('referrals')
      .description(
        "referrals with their outcomes added up: every one (drafts included), or what one agency's liaison sees",
      )
      .option(
        '--agency <CODE>',
        "only what this agency's liaison may see: its referrals, never drafts (see: list agencies)",
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  npm run --silent cli -- export referrals --agency PSB-ZJ-YW --format csv --bom > referrals.csv
  npx eca export referrals --format jsonl | head -3`,
    )
    .action((options: ExportCommandOptions) => runExport('referrals', options));

  common(
    exportCommand
      .command('leads')
      .description("leads with their brands, sellers and investigation: every one, or what one brand's partner sees")
      .option(
        '--brand <SLUG>',
        "only what this brand's partner may see: its leads, other brands on them left out (see: list brands)",
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  npm run --silent cli -- export leads --format csv --bom > leads.csv`,
    )
    .action((options: ExportCommandOptions) => runExport('leads', options));
}

async function runExport(kind: ExportKind, options: ExportCommandOptions): Promise<void> {
  if (options.bom && options.format !== 'csv')
    throw new CliError('--bom is for --format csv only: JSON lines are read as UTF-8 without a byte order mark', 2);
  const [{ withDatabase }, { exportRows, OutputClosedError }] = await Promise.all([
    import('./session.js'),
    import('../export/export.js'),
  ]);
  await withDatabase(async ({ dataSource, config }) => {
    try {
      const rows = await exportRows(
        dataSource,
        config,
        { kind, format: options.format, bom: options.bom, agencyCode: options.agency, brandSlug: options.brand },
        process.stdout,
      );
      say(`exported ${rows} ${kind}`);
    } catch (error) {
      // The reader has what it wanted (| head): a normal, quiet end.
      if (error instanceof OutputClosedError) return;
      throw error;
    }
  });
}
