import type { EntityManager } from 'typeorm';
import { refuse, UserErrorCode } from './user-error.js';

/**
 * The most items a plain list of entities (not a connection) may hold, one constant per list: the service
 * that writes the list refuses a write beyond it, the cost model (src/http/query-limits.ts, LIST_BOUNDS)
 * prices the list at it, and the field's description states it. A list that can grow without limit is a
 * connection instead.
 */
export const MAX_REFERRALS_PER_INVESTIGATION = 20;
export const MAX_EVIDENCE_PER_INVESTIGATION = 100;
export const MAX_FINDINGS_PER_INVESTIGATION = 50;
export const MAX_OUTCOMES_PER_REFERRAL = 50;
export const MAX_FEEDBACK_PER_REFERRAL = 20;
export const MAX_ESCALATIONS_PER_REFERRAL = 5;
export const MAX_CUSTODY_TRANSFERS_PER_EVIDENCE = 20;
export const MAX_IDENTIFIERS_PER_SELLER = 50;
export const MAX_OUTCOMES_PER_JOINT_OPERATION = 200;

/**
 * Refuses (INVALID, nothing changed) a write that would take a list past its bound: `held` items are there
 * (counted with the parent locked, so that two writes cannot both take the last place), `adding` more are
 * asked for. The message names the parent (`subject`), the bound and the items, e.g.
 * "Investigation INV-2026-000001 holds at most 20 referrals: it has 20 already."
 */
export function refuseBeyondBound(
  subject: string,
  items: string,
  held: number,
  adding: number,
  max: number,
  field: string[],
): void {
  if (held + adding <= max) return;
  const asked = adding > 1 ? `, and ${adding} more were given` : '';
  refuse(UserErrorCode.INVALID, `${subject} holds at most ${max} ${items}: it has ${held} already${asked}.`, field);
}

/** How many rows of `table` belong to one parent, as the caller sees them (every writer of these lists sees them all). */
export async function countChildren(
  db: EntityManager,
  table: string,
  parentColumn: string,
  parentId: string,
): Promise<number> {
  const [row] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${parentColumn} = $1`, [parentId]);
  return row.n;
}
