import { ArgsType, ClassType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../context.js';
import { badInput } from '../errors.js';
import { groupByParent, hydrate, linkCondition, linkKey, ParentLink, readEntities, scopedQuery } from '../data-access/scoped-query.js';
import { decodeCursor, encodeCursor, SortValue } from './cursor.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `How many items to return: 1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}.` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return the items after this cursor (an `endCursor` or edge `cursor`).' })
  after?: string | null;
}

@ObjectType({ description: 'Where a page stands in its list.' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field({ description: 'Only forward paging is supported: true when the page was requested with `after`.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** How a list is sorted: one column of the table, then the primary key to break ties. */
export interface Ordering {
  /** Name written into cursors, so that a cursor of one ordering is refused by another. */
  key: string;
  /** Column of alias `source` (default `t`). Must be NOT NULL. */
  column: string;
  /** Alias of the table holding `column` and the tie breaker: `t`, or a table joined to it one-to-one. */
  source?: string;
  /** Entity property holding the column's value. */
  property: string;
  direction: OrderDirection;
  /** Unique column that breaks ties; the primary key `id` (property `rowId`) unless told otherwise. */
  tieBreaker?: { column: string; property: string };
}

const PRIMARY_KEY = { column: 'id', property: 'rowId' };

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** One page of a connection. `totalCount` runs its count query only when a client asks for it. */
export class Page<T> {
  constructor(
    readonly edges: Edge<T>[],
    readonly pageInfo: PageInfo,
    private readonly count: () => Promise<number>,
  ) {}

  get nodes(): T[] {
    return this.edges.map((edge) => edge.node);
  }

  get totalCount(): Promise<number> {
    return this.count();
  }
}

const connectionTypes = new Map<string, ClassType>();

/** The GraphQL `XConnection` and `XEdge` types of an item type, created once. */
export function Connection<T extends object>(Item: ClassType<T>): ClassType<Page<T>> {
  const name = Item.name;
  const existing = connectionTypes.get(name);
  if (existing) return existing as ClassType<Page<T>>;

  @ObjectType(`${name}Edge`, { description: `An edge to a ${name}.` })
  class EdgeType {
    @Field({ description: 'Opaque cursor of this edge: pass it as `after` to read on.' })
    cursor!: string;

    @Field(() => Item)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items.` })
  class ConnectionType {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => [Item], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'How many items the whole list holds (counted only when asked for).' })
    totalCount!: number;
  }

  connectionTypes.set(name, ConnectionType);
  return ConnectionType as unknown as ClassType<Page<T>>;
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`"first" must be between 1 and ${MAX_PAGE_SIZE}, got ${first}.`, 'first');
  }
  return first;
}

function applyKeyset<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, ordering: Ordering, after: string | null | undefined, first: number) {
  const source = ordering.source ?? 't';
  const column = `${source}.${ordering.column}`;
  const tie = `${source}.${(ordering.tieBreaker ?? PRIMARY_KEY).column}`;
  if (after) {
    const cursor = decodeCursor(after, ordering.key);
    const op = ordering.direction === OrderDirection.ASC ? '>' : '<';
    qb.andWhere(`(${column}, ${tie}) ${op} (:cursorValue, :cursorId)`, { cursorValue: cursor.value, cursorId: cursor.rowId });
  }
  return qb.orderBy(column, ordering.direction).addOrderBy(tie, ordering.direction).limit(first + 1);
}

function toPage<T extends object>(
  rows: T[],
  first: number,
  ordering: Ordering,
  after: string | null | undefined,
  count: () => Promise<number>,
): Page<T> {
  const tieProperty = (ordering.tieBreaker ?? PRIMARY_KEY).property;
  const cursorOf = (node: T) => {
    const values = node as Record<string, unknown>;
    return encodeCursor(ordering.key, values[ordering.property] as SortValue, String(values[tieProperty]));
  };
  // An edge's cursor is encoded only when asked for: most clients read `nodes`, or only `endCursor`.
  const edges = rows.slice(0, first).map((node) => ({ node, get cursor() { return cursorOf(node); } }));
  return new Page(
    edges,
    {
      hasNextPage: rows.length > first,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    count,
  );
}

/** A root list: one keyset page of `qb` (a scoped, filtered query over alias `t`). */
export async function paginate<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  ordering: Ordering,
  args: ConnectionArgs,
): Promise<Page<T>> {
  const first = pageSize(args.first);
  const countQuery = qb.clone();
  let total: Promise<number> | undefined;
  const rows = await readEntities(applyKeyset(qb, ordering, args.after, first));
  return toPage(rows, first, ordering, args.after, () => (total ??= countQuery.getCount()));
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
export function loadChildPage<T extends ObjectLiteral & { rowId: string }>(ctx: RequestContext, request: ChildPageRequest<T>): Promise<Page<T>> {
  const { entity, link, ordering, args, filter } = request;
  const first = pageSize(args.first);
  const baseKey = `${entity.name}.${linkKey(link)}.${filter?.key ?? ''}`;
  const baseQuery = () => {
    const qb = scopedQuery(ctx, entity);
    filter?.apply(qb);
    return qb;
  };
  const pages = ctx.loaders.get<string, T[]>(`page:${baseKey}:${ordering.key}:${ordering.direction}:${first}:${args.after ?? ''}`, async (parentIds) => {
    const inner = applyKeyset(baseQuery().andWhere(linkCondition(link, 'parent.id')), ordering, args.after, first);
    const [sql, params] = inner.getQueryAndParameters();
    const rows: Record<string, unknown>[] = await ctx.db.query(
      `SELECT parent.id::text AS link_parent, page.* FROM unnest($${params.length + 1}::bigint[]) AS parent(id) CROSS JOIN LATERAL (${sql}) page`,
      [...params, parentIds],
    );
    const metadata = ctx.dataSource.getMetadata(entity);
    return groupByParent(parentIds, rows.map((row) => ({ parent: String(row.link_parent), item: hydrate<T>(metadata, row) })));
  });
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
  return pages.load(request.parentId).then((rows) => toPage(rows, first, ordering, args.after, () => counts.load(request.parentId)));
}
