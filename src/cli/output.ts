/**
 * The command line's output rules, shared by every command (light: loaded for `--help` too).
 *
 * stdout carries only what a script captures (a token, a list, an export, a verification result);
 * progress, confirmations and errors go to stderr. Exit status: 0 done, 1 failed, 2 wrong usage.
 */

/** A failure the command explains itself: its message is printed as it is. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Text for a person on stderr. */
export function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Data on stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Rows as aligned columns with a header, or as JSON lines. */
export function printRows(rows: Record<string, unknown>[], columns: string[], format: 'table' | 'jsonl'): void {
  if (format === 'jsonl') {
    if (rows.length)
      print(rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))).join('\n'));
    return;
  }
  const cell = (value: unknown) =>
    value === null || value === undefined ? '-' : value instanceof Date ? value.toISOString() : String(value);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => cell(row[c]).length)));
  const line = (values: string[]) =>
    values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  print([line(columns), ...rows.map((row) => line(columns.map((c) => cell(row[c]))))].join('\n'));
}
