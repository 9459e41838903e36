// Keyset paging: the SQL condition and order of a page (applyKeyset), the Page made of the rows read
// (toPage), a root list's page (paginate) and the batched pages of a nested list (loadChildPage).
import { EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../context.js';
import {
  groupByParent,
  hydrate,
  linkCondition,
  linkKey,
  ParentLink,
  readEntities,
  scopedQuery,
} from '../data-access/scoped-query.js';
import { ConnectionArgs, Ordering, OrderDirection, Page, PageRequest, pageRequest, PRIMARY_KEY } from './connection.js';
import { CursorPosition, SortValue } from './cursor.js';
import { ListCursors, listCursors, PageBounds, pageBounds } from './list-cursors.js';

/**
 * The keyset page: rows after `after` and before `before` in the list's order; forward, the first
 * `size` + 1 in that order; backward, the last `size` + 1, read in the reverse order (so that the index
 * serves them from the end and the LIMIT stops early), and turned back into the list's order by toPage.
 */
export function applyKeyset<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  ordering: Ordering,
  bounds: PageBounds,
  request: PageRequest,
) {
  const source = ordering.source ?? 't';
  const column = `${source}.${ordering.column}`;
  const tie = `${source}.${(ordering.tieBreaker ?? PRIMARY_KEY).column}`;
  const ascending = ordering.direction === OrderDirection.ASC;
  if (bounds.after) {
    qb.andWhere(`(${column}, ${tie}) ${ascending ? '>' : '<'} (:cursorValue, :cursorId)`, {
      cursorValue: bounds.after.value,
      cursorId: bounds.after.rowId,
    });
  }
  if (bounds.before) {
    qb.andWhere(`(${column}, ${tie}) ${ascending ? '<' : '>'} (:beforeValue, :beforeId)`, {
      beforeValue: bounds.before.value,
      beforeId: bounds.before.rowId,
    });
  }
  const direction = request.backward === ascending ? OrderDirection.DESC : OrderDirection.ASC;
  return qb
    .orderBy(column, direction)
    .addOrderBy(tie, direction)
    .limit(request.size + 1);
}

/**
 * A page of the rows applyKeyset read. Forward, `hasNextPage` says whether more rows follow, and
 * `hasPreviousPage` is true when the page was asked for with `after` (rows precede it, unless that row has
 * since gone; the server does not look); backward, the other way round: `hasPreviousPage` says whether more
 * rows precede, `hasNextPage` is true when asked for with `before`. As the Relay specification allows.
 */
function toPage<T extends object>(
  read: T[],
  request: PageRequest,
  ordering: Ordering,
  cursors: ListCursors,
  args: ConnectionArgs,
  count: () => Promise<number>,
): Page<T> {
  const { size, backward } = request;
  const more = read.length > size;
  // Backward, the rows were read from the end of the page: the one beyond it (if any) is dropped and the rest reversed.
  const rows = backward ? read.slice(0, size).reverse() : read.slice(0, size);
  const tieProperty = (ordering.tieBreaker ?? PRIMARY_KEY).property;
  const cursorOf = (node: T) => {
    const values = node as Record<string, unknown>;
    return cursors.encode({ value: values[ordering.property] as SortValue, rowId: String(values[tieProperty]) });
  };
  // An edge's cursor is encoded only when asked for (most clients read `nodes`, or only `endCursor`), and
  // once: encryption draws a random IV, and `endCursor` must be the last edge's `cursor`, character for character.
  const edges = rows.map((node) => {
    let cursor: string | undefined;
    return {
      node,
      get cursor() {
        return (cursor ??= cursorOf(node));
      },
    };
  });
  return new Page(
    edges,
    {
      hasNextPage: backward ? Boolean(args.before) : more,
      hasPreviousPage: backward ? more : Boolean(args.after),
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
    count,
  );
}

/**
 * A root list: one keyset page of `qb` (a scoped, filtered query over alias `t`). `list` names the list
 * for its cursors (the query field, with the record it belongs to if any, e.g. `auditTrail:Lead:12`): a
 * cursor of another list, order, direction or caller is refused before any SQL runs.
 */
export async function paginate<T extends ObjectLiteral>(
  ctx: RequestContext,
  list: string,
  qb: SelectQueryBuilder<T>,
  ordering: Ordering,
  args: ConnectionArgs,
): Promise<Page<T>> {
  const request = pageRequest(args);
  const cursors = listCursors(ctx, list, qb.expressionMap.mainAlias!.metadata, ordering);
  const bounds = pageBounds(cursors, args);
  const countQuery = qb.clone();
  let total: Promise<number> | undefined;
  const rows = await readEntities(applyKeyset(qb, ordering, bounds, request));
  return toPage(rows, request, ordering, cursors, args, () => (total ??= countQuery.getCount()));
}

export interface ChildPageRequest<T extends ObjectLiteral> {
  entity: { new (): T; name: string } & EntityTarget<T>;
  /** How a child row points at its parent: a column of the child, or a link table. */
  link: ParentLink;
  parentId: string;
  ordering: Ordering;
  args: ConnectionArgs;
  /** Extra conditions (a nested field's filter) and a key that tells them apart in the loader cache. */
  filter?: { key: string; apply: (qb: SelectQueryBuilder<T>) => void };
}

/**
 * A nested list (e.g. `seller.listings`, `brand.leads`): the pages of every parent asked for in one
 * request are read with one statement, `unnest(parents) CROSS JOIN LATERAL (<scoped page query>)`, and
 * counted with one more only if `totalCount` is asked for.
 */
export function loadChildPage<T extends ObjectLiteral & { rowId: string }>(
  ctx: RequestContext,
  request: ChildPageRequest<T>,
): Promise<Page<T>> {
  const { entity, link, ordering, args, filter } = request;
  const page = pageRequest(args);
  const metadata = ctx.dataSource.getMetadata(entity);
  // A nested list is its parent's: a cursor of one parent is refused for another, checked here for each
  // parent, before the batch is formed, so that the batch holds only positions that decrypted for it.
  const cursors = listCursors(ctx, `${entity.name}.${linkKey(link)}:${request.parentId}`, metadata, ordering);
  const bounds = pageBounds(cursors, args);
  // Parents whose cursors stand at the same positions share one statement (one keyset condition each).
  const positionOf = (at: CursorPosition | null) =>
    at ? [at.value instanceof Date ? at.value.toISOString() : at.value, at.rowId] : null;
  const position =
    bounds.after || bounds.before ? JSON.stringify([positionOf(bounds.after), positionOf(bounds.before)]) : '';
  const baseKey = `${entity.name}.${linkKey(link)}.${filter?.key ?? ''}`;
  const baseQuery = () => {
    const qb = scopedQuery(ctx, entity);
    filter?.apply(qb);
    return qb;
  };
  const pages = ctx.loaders.get<string, T[]>(
    `page:${baseKey}:${ordering.key}:${ordering.direction}:${page.backward ? 'last' : 'first'}:${page.size}:${position}`,
    async (parentIds) => {
      const inner = applyKeyset(baseQuery().andWhere(linkCondition(link, 'parent.id')), ordering, bounds, page);
      const [sql, params] = inner.getQueryAndParameters();
      const rows: Record<string, unknown>[] = await ctx.db.query(
        `SELECT parent.id::text AS link_parent, page.* FROM unnest($${params.length + 1}::bigint[]) AS parent(id) CROSS JOIN LATERAL (${sql}) page`,
        [...params, parentIds],
      );
      return groupByParent(
        parentIds,
        rows.map((row) => ({ parent: String(row.link_parent), item: hydrate<T>(metadata, row) })),
      );
    },
  );
  const counts = ctx.loaders.get<string, number>(`count:${baseKey}`, async (parentIds) => {
    const qb = baseQuery();
    const parentColumn = 'column' in link ? `t.${link.column}` : `j.${link.parentColumn}`;
    if (!('column' in link)) qb.innerJoin(link.through, 'j', `j.${link.childColumn} = t.id`);
    const rows: { parent: string; total: string }[] = await qb
      .andWhere(`${parentColumn} = ANY(:parentIds)`, { parentIds })
      .select(parentColumn, 'parent')
      .addSelect('count(*)', 'total')
      .groupBy(parentColumn)
      .getRawMany();
    const byParent = new Map(rows.map((row) => [String(row.parent), Number(row.total)]));
    return parentIds.map((id) => byParent.get(id) ?? 0);
  });
  return pages
    .load(request.parentId)
    .then((rows) => toPage(rows, page, ordering, cursors, args, () => counts.load(request.parentId)));
}
