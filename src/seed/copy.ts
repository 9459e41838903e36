import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EntityManager } from 'typeorm';

/**
 * COPY ... FROM STDIN of rows produced one at a time: the rows are encoded in COPY's text format and sent
 * in chunks of about 64 KB as PostgreSQL takes them (stream back-pressure), so that a table of millions of
 * rows is never held in memory, on either side. Runs on the connection of `db`'s transaction. The rows come
 * one by one, or in batches made asynchronously (signed by other threads: seed-audit.ts).
 * Values: null/undefined (NULL), strings, numbers, booleans, Dates (timestamptz) and arrays of numbers.
 */
export async function copyRows(
  db: EntityManager,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly unknown[]> | AsyncIterable<readonly (readonly unknown[])[]>,
  onProgress?: (copied: number) => void,
): Promise<number> {
  let copied = 0;
  let chunk = '';
  let inChunk = 0;
  /** Adds a row; answers a chunk when one is full. */
  const add = (row: readonly unknown[]): string | null => {
    chunk += `${row.map(field).join('\t')}\n`;
    inChunk += 1;
    return chunk.length >= 65_536 ? flush() : null;
  };
  const flush = (): string | null => {
    if (inChunk === 0) return null;
    const full = chunk;
    copied += inChunk;
    onProgress?.(inChunk);
    chunk = '';
    inChunk = 0;
    return full;
  };
  function* chunks(source: Iterable<readonly unknown[]>): Generator<string> {
    for (const row of source) {
      const full = add(row);
      if (full !== null) yield full;
    }
    const last = flush();
    if (last !== null) yield last;
  }
  async function* batchedChunks(source: AsyncIterable<readonly (readonly unknown[])[]>): AsyncGenerator<string> {
    for await (const batch of source) yield* chunks(batch);
  }
  const client = (await db.queryRunner!.connect()) as PoolClient;
  // PostgreSQL refuses COPY FROM into a table whose row-level security applies to the session: forced, to an
  // owner that is neither a superuser nor BYPASSRLS (a hosted database's). Lifted for the COPY, in the seed's
  // transaction, and put back (src/shared/data-access/policies.sql.ts).
  const [{ lift }] = await db.query(
    `SELECT c.relforcerowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls AS lift FROM pg_class c, pg_roles r
     WHERE c.oid = $1::regclass AND r.rolname = current_user`,
    [table],
  );
  if (lift) await db.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
  await pipeline(
    Readable.from(Symbol.asyncIterator in rows ? batchedChunks(rows) : chunks(rows), { objectMode: false }),
    client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
  );
  if (lift) await db.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  return copied;
}

/**
 * Takes `count` consecutive values of the identity sequence of `table`.`column` (id) and answers the first: the
 * rows are then copied with their ids, known beforehand, as they would have been numbered one by one.
 */
export async function reserveIds(db: EntityManager, table: string, count: number, column = 'id'): Promise<number> {
  if (count === 0) return 0;
  const [{ first }] = await db.query(`SELECT nextval(pg_get_serial_sequence($1, $2))::float8 AS first`, [
    table,
    column,
  ]);
  if (count > 1)
    await db.query(`SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint)`, [table, column, first + count - 1]);
  return first;
}

// COPY's text format: backslash, tab, newline and carriage return escaped; \N is NULL.
const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.join(',')}}`;
  return String(value);
}
