import { EntityMetadata, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { refuse, UserErrorCode } from '../user-error.js';
import { RequestContext } from '../context.js';
import { brandLeadLink, scopeParameters, visibilityPredicate } from './visibility.js';

/**
 * How the application starts a read: a query builder over `entity` (alias `t` unless told otherwise, e.g.
 * for a subquery) already restricted to the rows the caller may see. The one other start, scopedBrandLeads
 * below, applies the same rule of visibility.ts written as a join.
 */
export function scopedQuery<T extends ObjectLiteral>(
  ctx: RequestContext,
  entity: EntityTarget<T>,
  alias = 't',
): SelectQueryBuilder<T> {
  const qb = ctx.db.createQueryBuilder(entity, alias);
  const predicate = visibilityPredicate(qb.expressionMap.mainAlias!.metadata.tableName, ctx.scope, alias);
  if (predicate) qb.where(`(${predicate})`, scopeParameters(ctx.scope, ctx.principal.rowId));
  return qb;
}

/**
 * A brand partner's leads (alias `t`), each joined to the `lead_brand` row (alias `link`) that makes it
 * visible: the same rule as scopedQuery's, written as a join so that a page can be read in the order of
 * the brand's own index (lead_brand_recent_idx) and stop after one page. Not both: with the rule twice,
 * PostgreSQL counts the same condition twice, expects one row and sorts every lead of the brand instead.
 */
export function scopedBrandLeads<T extends ObjectLiteral>(
  ctx: RequestContext,
  lead: EntityTarget<T>,
  link: string,
): SelectQueryBuilder<T> {
  if (ctx.scope.kind !== 'BRAND') throw new Error('scopedBrandLeads is for brand partners');
  return ctx.db
    .createQueryBuilder(lead, 't')
    .innerJoin('lead_brand', link, brandLeadLink(link, 't.id'))
    .setParameters(scopeParameters(ctx.scope, ctx.principal.rowId));
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

/** Turns a row selected as `t_<column>` (TypeORM's default selection of alias `t`) into an entity. */
export function hydrate<T extends ObjectLiteral>(metadata: EntityMetadata, row: Record<string, unknown>): T {
  const instance = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) instance[column.propertyName] = row[`t_${column.databaseName}`];
  return instance as T;
}

/**
 * The entities of a query over alias `t` whose joins are one-to-one, without TypeORM's general-purpose
 * row transformer (it groups rows by key and converts every value by type: a tenth of a long list's CPU,
 * while pg already returns this schema's types as the entities hold them).
 */
export async function readEntities<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T[]> {
  const metadata = qb.expressionMap.mainAlias!.metadata;
  const rows: Record<string, unknown>[] = await qb.getRawMany();
  return rows.map((row) => hydrate<T>(metadata, row));
}

/** Loads rows by primary key through the caller's scope, batched per request; misses are null. */
export function loadById<T extends ObjectLiteral & { rowId: string }>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  rowId: string,
): Promise<T | null> {
  return ctx.loaders
    .get<string, T | null>(`${entity.name}.byId`, async (ids) => {
      const rows = await readEntities(scopedQuery(ctx, entity).andWhere('t.id = ANY(:ids)', { ids }));
      const byId = new Map(rows.map((row) => [row.rowId, row]));
      return ids.map((id) => byId.get(id) ?? null);
    })
    .load(rowId);
}

/** How child rows point at a parent: a column of the child table, or a link table (many-to-many). */
export type ParentLink = { column: string } | { through: string; childColumn: string; parentColumn: string };

export function linkKey(link: ParentLink): string {
  return 'column' in link ? link.column : `${link.through}.${link.parentColumn}`;
}

/** SQL that holds when row `t` is a child of the parent id expression `parent`. */
export function linkCondition(link: ParentLink, parent: string): string {
  return 'column' in link
    ? `t.${link.column} = ${parent}`
    : `EXISTS (SELECT 1 FROM ${link.through} j WHERE j.${link.childColumn} = t.id AND j.${link.parentColumn} = ${parent})`;
}

export function groupByParent<T>(parentIds: readonly string[], rows: { parent: string; item: T }[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const { parent, item } of rows) {
    const group = groups.get(parent);
    if (group) group.push(item);
    else groups.set(parent, [item]);
  }
  return parentIds.map((id) => groups.get(id) ?? []);
}

/**
 * Loads every child of a parent that the caller may see (e.g. a brand's trademarks, a lead's brands),
 * batched per request, in id order. For short lists; long ones are connections (loadChildPage).
 */
export function loadChildren<T extends ObjectLiteral & { rowId: string }>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  link: ParentLink,
  parentId: string,
): Promise<T[]> {
  return ctx.loaders
    .get<string, T[]>(`${entity.name}.children.${linkKey(link)}`, async (parentIds) => {
      const qb = scopedQuery(ctx, entity);
      const parentColumn = 'column' in link ? `t.${link.column}` : `j.${link.parentColumn}`;
      if (!('column' in link)) qb.innerJoin(link.through, 'j', `j.${link.childColumn} = t.id`);
      const rows: Record<string, unknown>[] = await qb
        .addSelect(`${parentColumn}::text`, 'link_parent')
        .andWhere(`${parentColumn} = ANY(:parentIds)`, { parentIds })
        .orderBy('t.id', 'ASC')
        .getRawMany();
      const metadata = qb.expressionMap.mainAlias!.metadata;
      return groupByParent(
        parentIds,
        rows.map((row) => ({ parent: String(row.link_parent), item: hydrate<T>(metadata, row) })),
      );
    })
    .load(parentId);
}

/** The refusal of an id that is missing or out of scope (the two are one answer). */
const notFoundMessage = (entity: { name: string }) =>
  `No ${entity.name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} has this id.`;

/**
 * Reads one row for a change: through the caller's scope (a row out of scope is NOT_FOUND, as if it
 * did not exist) and locked FOR UPDATE until the transaction ends, so that concurrent changes of the
 * same row run one after the other and the second sees the first's result. With `expectedVersion`,
 * a row changed since the caller read it is refused as STALE_VERSION.
 */
export async function lockForChange<T extends ObjectLiteral & { version: number }>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  rowId: string,
  expectedVersion: number | null | undefined,
  field: string[],
): Promise<T> {
  const row = await scopedQuery(ctx, entity)
    .andWhere('t.id = :lockId', { lockId: rowId })
    .setLock('pessimistic_write', undefined, ['t'])
    .getOne();
  if (!row) refuse(UserErrorCode.NOT_FOUND, notFoundMessage(entity), field);
  if (expectedVersion !== null && expectedVersion !== undefined && row.version !== expectedVersion) {
    refuse(
      UserErrorCode.STALE_VERSION,
      `This ${entity.name} was changed by someone else (version ${row.version}, you expected ${expectedVersion}): reload it and try again.`,
      ['input', 'expectedVersion'],
    );
  }
  return row;
}

/**
 * Reads rows for a change, like lockForChange, in one statement that locks them in id order (the lock
 * order of README, "API conventions": two changes of overlapping sets cannot deadlock). Any id out of
 * scope or missing is NOT_FOUND. Answers the rows in id order.
 */
export async function lockAllForChange<T extends ObjectLiteral & { rowId: string; version: number }>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  rowIds: string[],
  field: string[],
): Promise<T[]> {
  const ids = [...new Set(rowIds)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const rows = await scopedQuery(ctx, entity)
    .andWhere('t.id = ANY(:lockIds)', { lockIds: ids })
    .orderBy('t.id')
    .setLock('pessimistic_write', undefined, ['t'])
    .getMany();
  if (rows.length !== ids.length) refuse(UserErrorCode.NOT_FOUND, notFoundMessage(entity), field);
  return rows;
}

/**
 * Writes changes to a row read with lockForChange and bumps its version. The WHERE clause checks the
 * version itself (TypeORM's save() does not), so a lost update is impossible even without the lock.
 */
export async function updateVersioned<T extends ObjectLiteral & { rowId: string; version: number }>(
  ctx: RequestContext,
  entity: { new (): T; name: string },
  row: T,
  changes: Partial<T>,
): Promise<T> {
  const result = await ctx.db
    .createQueryBuilder()
    .update(entity)
    .set({ ...changes, version: row.version + 1 } as never)
    .where('id = :id AND version = :version', { id: row.rowId, version: row.version })
    .execute();
  if (result.affected !== 1)
    refuse(UserErrorCode.STALE_VERSION, `This ${entity.name} was changed by someone else: reload it and try again.`, [
      'input',
    ]);
  return Object.assign(row, changes, { version: row.version + 1 });
}
