import { EntityManager } from 'typeorm';

/**
 * Multi-row insert through `unnest` of one array per column: one statement and one round trip per
 * batch, whatever the batch size. Returns the generated ids in row order.
 */
export async function bulkInsert(
  db: EntityManager,
  table: string,
  columns: Record<string, string>,
  rows: unknown[][],
  batchSize = 5000,
  onProgress?: (inserted: number) => void,
): Promise<string[]> {
  const names = Object.keys(columns);
  const types = Object.values(columns);
  const ids: string[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const arrays = names.map((_, column) => batch.map((row) => row[column]));
    // Array-typed columns travel as text literals ('{1,2}'): unnest would flatten a 2-D array.
    const isArray = types.map((type) => type.endsWith('[]'));
    const result: { id: string }[] = await db.query(
      `INSERT INTO ${table} (${names.join(', ')})
       SELECT ${names.map((_, i) => (isArray[i] ? `c${i}::${types[i]}` : `c${i}`)).join(', ')}
       FROM unnest(${types.map((type, i) => `$${i + 1}::${isArray[i] ? 'text' : type}[]`).join(', ')}) AS u(${names.map((_, i) => `c${i}`).join(', ')})
       RETURNING id`,
      arrays.map((values, i) => (isArray[i] ? values.map((v) => `{${(v as unknown[]).join(',')}}`) : values)),
    );
    ids.push(...result.map((r) => String(r.id)));
    onProgress?.(batch.length);
  }
  return ids;
}
