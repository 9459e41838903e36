import { EntityManager } from 'typeorm';
import { RequestContext } from './context.js';

export type ReferencePrefix = 'LD' | 'INV' | 'REF' | 'OP';

/** The sequence that numbers a prefix's references (migrations/*-ReferenceSequences.ts). */
export const referenceSequence = (prefix: ReferencePrefix) => `reference_${prefix.toLowerCase()}_seq`;

export const formatReference = (prefix: ReferencePrefix, year: number, value: number | string) =>
  `${prefix}-${year}-${String(value).padStart(6, '0')}`;

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
