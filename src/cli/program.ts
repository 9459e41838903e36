import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadEnvFile } from '../shared/env-file.js';
import { addApiKeyCommands } from './apikey-commands.js';
import { addAuditCommands } from './audit-commands.js';
import { addDatabaseCommands } from './database-commands.js';
import { addExportCommands } from './export-commands.js';
import { addImportCommands } from './import-commands.js';
import { addListCommands } from './list-commands.js';
import { addReferralPackageCommands } from './package-commands.js';
import { addRepeatOffenderCommands } from './repeat-offender-commands.js';
import { addWebhookCommands } from './webhook-commands.js';
import { CliError, say } from './output.js';

/**
 * The command line: `npm run --silent cli -- <command>`, or `npx eca <command>` after `npm run build`.
 * One file per command group beside this one; `session.ts` holds what they share.
 */
export function buildProgram(): Command {
  const program = new Command('eca')
    .description(
      'Enforcement-coordination API: database, API keys, audit trail, exports and imports from the command line.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (every command has its own: eca seed --help)')
    .option('--debug', 'on an unexpected failure, print where it happened (the stack)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help to see the commands and their options)')
    .addHelpText(
      'after',
      `
Run as: npm run --silent cli -- <command>   (--silent: only the command's output on stdout)
    or: npx eca <command>                    (after npm run build)

Database, as its owner: MIGRATION_DATABASE_URL (else DATABASE_URL, with a note), or the embedded
PostgreSQL under DATA_DIR (default .data): the one \`npm start\` runs if it is running, else one started
for the command. A .env file in the current folder is read.
stdout carries only data (a token, a list, an export); messages go to stderr.
Exit status: 0 done, 1 failed, 2 wrong usage.`,
    );

  addDatabaseCommands(program);
  addListCommands(program);
  addApiKeyCommands(program);
  addAuditCommands(program);
  addExportCommands(program);
  addImportCommands(program);
  addReferralPackageCommands(program);
  addRepeatOffenderCommands(program);
  addWebhookCommands(program);

  // Every command, groups included, exits through runCli instead of process.exit, and writes to stderr.
  const configure = (command: Command) => {
    if (command !== program) command.helpOption('-h, --help', 'show this help');
    command.exitOverride().configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

function packageVersion(): string {
  // dist/src/cli/program.js and src/cli/program.ts are both three folders below package.json... or two.
  for (const up of ['../../..', '../..']) {
    const file = path.resolve(__dirname, up, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  return 'unknown';
}

/** Runs the command line; resolves with the exit status (never rejects). */
export async function runCli(argv: string[]): Promise<number> {
  // A reader that goes away (`| head`) is not a failure: stop writing, end normally. Without a listener,
  // Node would end the process with "write EPIPE" and status 1.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') say(`cannot write to stdout: ${error.message}`);
  });
  const debug = argv.includes('--debug');
  try {
    loadEnvFile();
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version: 0. A command group without its subcommand shows its help: wrong usage, as is any
      // error of the arguments (commander has already printed it).
      return error.exitCode === 0 ? 0 : 2;
    }
    const { describeError } = await import('./session.js');
    say(`error: ${describeError(error, debug)}`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
