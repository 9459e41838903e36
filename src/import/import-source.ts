import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';

export type ImportFormat = 'csv' | 'jsonl';

/** One record of the file: its fields by column name, or why it could not be read at all. */
export type SourceRecord =
  | { line: number; fields: Record<string, unknown>; unreadable?: undefined }
  | { line: number; fields?: undefined; unreadable: string };

/**
 * The records of a file, streamed (memory stays bounded whatever its size), numbered by the line of the file
 * where each starts (a CSV header is line 1, its first record line 2; a JSON line is its own line). CSV: a
 * header line names the columns; a record whose quoting or column count is wrong is reported, not fatal.
 * JSON lines: one object per line, blank lines skipped.
 */
export async function* readRecords(file: string, format: ImportFormat): AsyncGenerator<SourceRecord> {
  if (format === 'jsonl') {
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    let line = 0;
    for await (const read of lines) {
      line += 1;
      const text = line === 1 ? read.replace(/^\uFEFF/, '') : read;
      if (!text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        yield { line, unreadable: `not JSON: ${(error as Error).message}` };
        continue;
      }
      if (!value || typeof value !== 'object' || Array.isArray(value))
        yield { line, unreadable: 'each line must be one JSON object' };
      else yield { line, fields: value as Record<string, unknown> };
    }
    return;
  }
  const parser = fs.createReadStream(file).pipe(
    parse({
      columns: (header: string[]) => header.map((name) => name.trim()),
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      skip_records_with_error: false,
      relax_column_count: true,
      trim: false,
    }),
  );
  for await (const { record, raw, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    raw: string;
    info: { lines: number; columns: unknown[] | boolean; error?: { code: string } };
  }>) {
    const line = firstLineOf(info.lines, raw);
    const columns = Array.isArray(info.columns) ? info.columns.length : 0;
    if (info.error) yield { line, unreadable: `expected ${columns} columns, as the header line names` };
    else yield { line, fields: record };
  }
}

function firstLineOf(lastLine: number, raw: string): number {
  // csv-parse tells the line where a record ends; a quoted field may span lines.
  return lastLine - (raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
}

/** A CSV file's header line: its column names, trimmed (read before the import starts, to check them). */
export async function csvHeader(file: string): Promise<string[]> {
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, to_line: 1, relax_column_count: true }));
  for await (const record of parser as AsyncIterable<string[]>) return record.map((name) => name.trim());
  return [];
}
