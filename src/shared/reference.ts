import { RequestContext } from './context.js';

export type ReferencePrefix = 'LD' | 'INV' | 'REF' | 'OP';

/**
 * The next human-readable reference, e.g. LD-2026-000123. The counter row of the prefix and year is
 * incremented under its row lock inside the caller's transaction: concurrent creations wait for each
 * other, and a rolled-back creation gives its number back.
 */
export async function nextReference(ctx: RequestContext, prefix: ReferencePrefix, at = new Date()): Promise<string> {
  const year = at.getUTCFullYear();
  const [{ last_value: value }] = await ctx.db.query(
    `INSERT INTO reference_counter (prefix, year, last_value) VALUES ($1, $2, 1)
     ON CONFLICT (prefix, year) DO UPDATE SET last_value = reference_counter.last_value + 1
     RETURNING last_value`,
    [prefix, year],
  );
  return `${prefix}-${year}-${String(value).padStart(6, '0')}`;
}
