#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './cli/program.js';

// The command line's entry (package.json "bin": eca). The commands are in src/cli/.
// It exits once stdout has taken everything written to it (a pipe may still hold some), or has closed.
void runCli(process.argv.slice(2)).then((code) => {
  if (process.stdout.destroyed || process.stdout.writableLength === 0) process.exit(code);
  process.stdout.write('', () => process.exit(code));
});
