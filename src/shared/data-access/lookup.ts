import { ObjectLiteral } from 'typeorm';
import { RequestContext } from '../context.js';
import { badInput } from '../errors.js';
import { decodeIdOf } from '../relay/global-id.js';
import { refuse, UserErrorCode } from '../user-error.js';
import { loadById } from './scoped-query.js';

type NodeClass<T> = { new (): T; name: string };

const label = (entity: { name: string }) => entity.name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * A record named in a mutation's input, read through the caller's scope: one that does not exist and
 * one the caller may not see get the same NOT_FOUND user error.
 */
export async function requireVisible<T extends ObjectLiteral & { rowId: string }>(
  ctx: RequestContext,
  entity: NodeClass<T>,
  globalId: string,
  field: string[],
): Promise<T> {
  const row = await loadById(ctx, entity, decodeIdOf(entity.name, globalId, field.join('.')));
  return row ?? refuse(UserErrorCode.NOT_FOUND, `No ${label(entity)} has the id "${globalId}".`, field);
}

export async function requireAllVisible<T extends ObjectLiteral & { rowId: string }>(
  ctx: RequestContext,
  entity: NodeClass<T>,
  globalIds: readonly string[] | null | undefined,
  field: string[],
  max = 100,
): Promise<T[]> {
  const ids = [...new Set(globalIds ?? [])];
  if (ids.length > max)
    throw badInput(`${field.join('.')} takes at most ${max} ids, got ${ids.length}.`, field.join('.'));
  return Promise.all(ids.map((id, index) => requireVisible(ctx, entity, id, [...field, String(index)])));
}
