import { EntityManager } from 'typeorm';
import { RequestContext } from './context.js';

export type ReferencePrefix = 'LD' | 'INV' | 'REF' | 'OP';

/** The sequence that numbers a prefix's references (migrations/*-ReferenceSequences.ts). */
export const referenceSequence = (prefix: ReferencePrefix) => `reference_${prefix.toLowerCase()}_seq`;

/** The number padded to six digits, never cut when it has more. referenceSql says the same in SQL. */
export const formatReference = (prefix: ReferencePrefix, year: number, value: number | string) =>
  `${prefix}-${year}-${String(value).padStart(6, '0')}`;

/**
 * formatReference as an SQL expression, for a statement that numbers its row itself instead of asking
 * nextReference first (one round trip fewer): by default the next number of the prefix's sequence, drawn once
 * per row, and the UTC year of the transaction's start (its rows' created_at). `value` and `year` are SQL.
 * test/foundation/reference.test.ts holds the two formats to each other.
 */
export const referenceSql = (
  prefix: ReferencePrefix,
  value = `nextval('${referenceSequence(prefix)}')`,
  year = `extract(year FROM now() AT TIME ZONE 'UTC')::int`,
) =>
  // Padded by prefixing zeros and dropping those beyond six digits: the value is named once, so evaluated once.
  `('${prefix}-' || ${year} || '-' || regexp_replace('00000' || ${value}, '^0*(\\d{6,})$', '\\1'))`;

/**
 * The next human-readable reference, e.g. LD-2026-000123: the creation year and the next number of the
 * prefix's sequence. A sequence takes no lock that lasts to COMMIT, so concurrent creations do not wait
 * for each other; a rolled-back creation leaves a gap, and a number is never given twice.
 */
export async function nextReference(
  ctx: RequestContext | { db: EntityManager },
  prefix: ReferencePrefix,
  at = new Date(),
): Promise<string> {
  const [{ value }] = await ctx.db.query(`SELECT nextval('${referenceSequence(prefix)}') AS value`);
  return formatReference(prefix, at.getUTCFullYear(), value);
}
