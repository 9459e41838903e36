import { createHash } from 'node:crypto';
import { Field, InputType } from 'type-graphql';
import { EntityTarget } from 'typeorm';
import { canonicalJson } from './audit/audit-chain.js';
import { RequestContext } from './context.js';
import { refuse, UserErrorCode } from './user-error.js';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * Runs a create-style operation at most once per (caller, key). Must run inside the transaction that
 * creates the record: the key row is inserted first, so a concurrent retry with the same key waits on
 * its unique index until the first commits, then finds the first result. Returns the id of the record
 * created now, or of the one created by the first request with this key.
 */
export async function onceForKey(
  ctx: RequestContext,
  operation: string,
  key: string | null | undefined,
  input: object,
  create: () => Promise<string>,
): Promise<{ id: string; replayed: boolean }> {
  if (!key) return { id: await create(), replayed: false };
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    refuse(UserErrorCode.INVALID, `idempotencyKey must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, [
      'input',
      'idempotencyKey',
    ]);
  }
  const { idempotencyKey: _key, ...request } = input as Record<string, unknown>;
  const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
  const inserted = await ctx.db.query(
    `INSERT INTO idempotency_key (principal_id, key, operation, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (principal_id, key) DO NOTHING RETURNING key`,
    [ctx.principal.rowId, key, operation, requestHash],
  );
  if (inserted.length === 0) {
    const [first] = await ctx.db.query(
      `SELECT operation, request_hash, result_id FROM idempotency_key WHERE principal_id = $1 AND key = $2`,
      [ctx.principal.rowId, key],
    );
    if (first.operation !== operation || first.request_hash !== requestHash) {
      refuse(
        UserErrorCode.IDEMPOTENCY_CONFLICT,
        `This idempotencyKey was already used for a different request (${first.operation}); use a new key for a new request.`,
        ['input', 'idempotencyKey'],
      );
    }
    return { id: String(first.result_id), replayed: true };
  }
  const id = await create();
  await ctx.db.query(`UPDATE idempotency_key SET result_id = $3 WHERE principal_id = $1 AND key = $2`, [
    ctx.principal.rowId,
    key,
    id,
  ]);
  return { id, replayed: false };
}

// The class of the advisory locks on keys (the two-number form: apart from the audit chain's one-number lock).
const KEY_LOCK_CLASS = 72_100_002;

/**
 * For a change that uses several keys (a chunk of reportLeads): takes a transaction lock on each of the caller's
 * keys, in one order, before any of them is used. Two changes sharing keys then wait for each other whole, instead
 * of each taking some keys in its own order and deadlocking on the rest (which a retry repeats while the other is
 * still under way). One statement; a key's row itself is taken as before, by onceForKey.
 */
export async function lockKeys(ctx: RequestContext, keys: readonly (string | null | undefined)[]): Promise<void> {
  const given = [...new Set(keys.filter((key): key is string => Boolean(key)))];
  if (given.length < 2) return;
  await ctx.db.query(
    `SELECT count(pg_advisory_xact_lock($1::int, h)) FROM (SELECT DISTINCT hashtext($2::text || ':' || k) AS h FROM unnest($3::text[]) k ORDER BY 1 OFFSET 0) ordered`,
    [KEY_LOCK_CLASS, ctx.principal.rowId ?? '', given],
  );
}

/**
 * A change that a client may retry safely: the first run with a key does the work; a retry with the same
 * key and input (after an OUTCOME_UNKNOWN, a timeout, a lost answer) answers the record it changed or
 * created, as it is now, instead of a STALE_VERSION or INVALID_TRANSITION refusal or a second record.
 */
export async function once<T extends { rowId: string }>(
  ctx: RequestContext,
  operation: string,
  input: { idempotencyKey?: string | null },
  entity: EntityTarget<T>,
  work: () => Promise<T>,
): Promise<T> {
  return (await onceWithOutcome(ctx, operation, input, entity, work)).record;
}

/** As `once`, saying whether the record was made now or answered again for a key used before (bulk results). */
export async function onceWithOutcome<T extends { rowId: string }>(
  ctx: RequestContext,
  operation: string,
  input: { idempotencyKey?: string | null },
  entity: EntityTarget<T>,
  work: () => Promise<T>,
): Promise<{ record: T; replayed: boolean }> {
  let done: T | undefined;
  const { id, replayed } = await onceForKey(
    ctx,
    operation,
    input.idempotencyKey,
    input,
    async () => (done = await work()).rowId,
  );
  const record = replayed || !done ? await ctx.db.findOneByOrFail(entity, { rowId: id } as never) : done;
  return { record, replayed };
}

/** The `idempotencyKey` of every input that creates or moves a record. */
@InputType()
export abstract class IdempotentInput {
  @Field(() => String, {
    nullable: true,
    description: `Retrying with the same key (at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, per caller) answers the first result instead of doing the change twice; the same key with another input is IDEMPOTENCY_CONFLICT.`,
  })
  idempotencyKey?: string | null;
}
