import { EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../context.js';
import { scopeParameters, visibilityPredicate } from './visibility.js';

/**
 * The only way the application starts a read: a query builder over `entity` (alias `t` unless told
 * otherwise, e.g. for a subquery) already restricted to the rows the caller may see.
 */
export function scopedQuery<T extends ObjectLiteral>(ctx: RequestContext, entity: EntityTarget<T>, alias = 't'): SelectQueryBuilder<T> {
  const qb = ctx.db.createQueryBuilder(entity, alias);
  const predicate = visibilityPredicate(qb.expressionMap.mainAlias!.metadata.tableName, ctx.scope, alias);
  if (predicate) qb.where(`(${predicate})`, scopeParameters(ctx.scope, ctx.principal.rowId));
  return qb;
}

/**
 * `EXISTS (<scoped subquery>)` for filters that look at another table (e.g. sellers with listings of a
 * brand): the subquery sees only what the caller may see, so a filter cannot reveal hidden rows.
 */
export function whereExists<T extends ObjectLiteral, S extends ObjectLiteral>(
  ctx: RequestContext,
  qb: SelectQueryBuilder<T>,
  entity: EntityTarget<S>,
  alias: string,
  build: (sub: SelectQueryBuilder<S>) => SelectQueryBuilder<S>,
): SelectQueryBuilder<T> {
  const sub = build(scopedQuery(ctx, entity, alias).select('1'));
  return qb.andWhere(`EXISTS (${sub.getQuery()})`, sub.getParameters());
}

/** Loads rows by primary key through the caller's scope, batched per request; misses are null. */
export function loadById<T extends ObjectLiteral & { rowId: string }>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  rowId: string,
): Promise<T | null> {
  return ctx.loaders
    .get<string, T | null>(`${entity.name}.byId`, async (ids) => {
      const rows = await scopedQuery(ctx, entity).andWhere('t.id IN (:...ids)', { ids }).getMany();
      const byId = new Map(rows.map((row) => [row.rowId, row]));
      return ids.map((id) => byId.get(id) ?? null);
    })
    .load(rowId);
}

/** Loads the rows whose `column` points at `parentId` (e.g. a brand's trademarks), batched per request. */
export function loadChildren<T extends ObjectLiteral>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  column: string,
  parentId: string,
): Promise<T[]> {
  const property = ctx.dataSource.getMetadata(entity).columns.find((c) => c.databaseName === column)!.propertyName;
  return ctx.loaders
    .get<string, T[]>(`${entity.name}.by.${column}`, async (parentIds) => {
      const rows = await scopedQuery(ctx, entity)
        .andWhere(`t.${column} IN (:...parentIds)`, { parentIds })
        .orderBy('t.id', 'ASC')
        .getMany();
      const groups = new Map<string, T[]>();
      for (const row of rows) {
        const key = String(row[property]);
        const group = groups.get(key);
        if (group) group.push(row);
        else groups.set(key, [row]);
      }
      return parentIds.map((id) => groups.get(id) ?? []);
    })
    .load(parentId);
}
