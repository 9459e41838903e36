import { ArgsType, ClassType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { EntityMetadata, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../context.js';
import { badInput } from '../errors.js';
import {
  groupByParent,
  hydrate,
  linkCondition,
  linkKey,
  ParentLink,
  readEntities,
  scopedQuery,
} from '../data-access/scoped-query.js';
import {
  CursorBinding,
  CursorKeys,
  CursorPosition,
  CursorValueKind,
  decodeCursor,
  encodeCursor,
  SortValue,
} from './cursor.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  valuesConfig: {
    ASC: { description: 'Smallest (or oldest) first.' },
    DESC: { description: 'Largest (or newest) first.' },
  },
  description: 'Sort order.',
});

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    nullable: true,
    description: `How many items to return: 1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}.`,
  })
  first?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Return the items after this cursor (an `endCursor` or edge `cursor`).',
  })
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: `Page backward: return the last items (1 to ${MAX_PAGE_SIZE}) before \`before\`, or at the end of the list without it, in the list's order. Not with \`first\`.`,
  })
  last?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Return the items before this cursor (a `startCursor` or edge `cursor`).',
  })
  before?: string | null;
}

@ObjectType({ description: 'Where a page stands in its list.' })
export class PageInfo {
  @Field({
    description:
      'Paging forward (`first`, or neither `first` nor `last`): true when more items follow this page (before `before` if given). Paging backward (`last`): true when the page was requested with `before`.',
  })
  hasNextPage!: boolean;

  @Field({
    description:
      'Paging backward (`last`): true when more items precede this page (after `after` if given). Paging forward: true when the page was requested with `after`.',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'Cursor of the first item of the page (pass it as `before` to read back); null when the page is empty.',
  })
  startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last item of the page (pass it as `after` to read on); null when the page is empty.',
  })
  endCursor!: string | null;
}

/** How a list is sorted: one column of the table, then the primary key to break ties. */
export interface Ordering {
  /** Name the cursors are bound to (with the direction), so that a cursor of one ordering is refused by another. */
  key: string;
  /** Column of alias `source` (default `t`). Must be NOT NULL. */
  column: string;
  /** Alias of the table holding `column` and the tie breaker: `t`, or a table joined to it one-to-one. */
  source?: string;
  /** Entity property holding the column's value; its column's type (TypeORM metadata) says what a cursor may hold. */
  property: string;
  direction: OrderDirection;
  /** Unique column that breaks ties; the primary key `id` (property `rowId`) unless told otherwise. */
  tieBreaker?: { column: string; property: string };
}

export const PRIMARY_KEY = { column: 'id', property: 'rowId' };

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
    @Field({ description: 'Opaque cursor of this edge: pass it as `after` to read on, or as `before` to read back.' })
    cursor!: string;

    @Field(() => Item, { description: `The ${name} at this position of the list.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items.` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: 'The items of this page with their cursors, in the order of the list.' })
    edges!: EdgeType[];

    @Field(() => [Item], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes!: T[];

    @Field(() => PageInfo, {
      description: 'Where this page stands in the list: whether more items follow or precede it, and its end cursors.',
    })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'How many items the whole list holds (counted only when asked for).' })
    totalCount!: number;
  }

  connectionTypes.set(name, ConnectionType);
  return ConnectionType as unknown as ClassType<Page<T>>;
}

export function pageSize(first: number | null | undefined, argument: 'first' | 'last' = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`"${argument}" must be between 1 and ${MAX_PAGE_SIZE}, got ${first}.`, argument);
  }
  return first;
}

/** How one page is asked for: its size, and whether it is read backward (`last`) from its end. */
export interface PageRequest {
  size: number;
  backward: boolean;
}

/**
 * The page `args` ask for (Relay's cursor connections): `first` (default 20) pages forward, `last` backward;
 * both at once are refused, as GitHub does, before any SQL runs.
 */
export function pageRequest(args: ConnectionArgs): PageRequest {
  const hasFirst = args.first !== null && args.first !== undefined;
  const hasLast = args.last !== null && args.last !== undefined;
  if (hasFirst && hasLast) throw badInput('Pass "first" to page forward or "last" to page backward, not both.', 'last');
  return hasLast
    ? { size: pageSize(args.last, 'last'), backward: true }
    : { size: pageSize(args.first, 'first'), backward: false };
}

/** The positions a page is bounded by: `after` and `before`, decoded (and so checked) before any SQL runs. */
export interface PageBounds {
  after: CursorPosition | null;
  before: CursorPosition | null;
}

export function pageBounds(cursors: ListCursors, args: ConnectionArgs): PageBounds {
  return {
    after: args.after ? cursors.decode(args.after, 'after') : null,
    before: args.before ? cursors.decode(args.before, 'before') : null,
  };
}

/**
 * Whose a cursor is (CursorBinding.caller). Partners and agencies: their tenant, the brand or agency whose
 * rows they see, not their principal nor their key, so that an agency's stored sync cursor survives the
 * agency rotating its API key (or a second tool of the same agency). Internal roles see every tenant: their
 * cursors are bound to the principal, which keeps its row id across key rotations; the server's own work
 * (no principal row) to "system". A cursor of one brand is refused for another brand alike.
 */
function cursorCallerOf(ctx: RequestContext): string {
  switch (ctx.scope.kind) {
    case 'BRAND':
      return `brand:${ctx.scope.brandId}`;
    case 'AGENCY':
      return `agency:${ctx.scope.agencyId}`;
    case 'ALL':
      return `principal:${ctx.principal.rowId ?? 'system'}`;
  }
}

const cursorKeysOf = (ctx: RequestContext): CursorKeys => ({
  current: ctx.config.cursorKey,
  old: ctx.config.cursorOldKeys,
});

const kindsByEntity = new WeakMap<EntityMetadata, Map<string, CursorValueKind>>();

/** The kind of value a cursor holds for `property`, after its column's type in the TypeORM metadata. */
function cursorKindOf(metadata: EntityMetadata, property: string): CursorValueKind {
  let kinds = kindsByEntity.get(metadata);
  if (!kinds) kindsByEntity.set(metadata, (kinds = new Map()));
  let kind = kinds.get(property);
  if (!kind) {
    const column = metadata.findColumnWithPropertyName(property);
    // A type given as a constructor (`@Column() name: string` without a type) is named after it: Date, Number, String.
    const type = column && (typeof column.type === 'function' ? column.type.name : String(column.type).toLowerCase());
    kind = type ? COLUMN_KINDS[type] : undefined;
    // A programming error, found by the first test that pages the list: an ordering on a column cursors cannot check.
    if (!kind)
      throw new Error(
        `No cursor check for ${metadata.name}.${property} (column type ${type ?? 'unknown'}): add its type to COLUMN_KINDS`,
      );
    kinds.set(property, kind);
  }
  return kind;
}

const COLUMN_KINDS: Record<string, CursorValueKind> = {
  timestamptz: 'timestamp',
  'timestamp with time zone': 'timestamp',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  Date: 'timestamp',
  int: 'integer',
  integer: 'integer',
  int4: 'integer',
  smallint: 'integer',
  int2: 'integer',
  Number: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  numeric: 'numeric',
  decimal: 'numeric',
  real: 'float',
  float4: 'float',
  float: 'float',
  'double precision': 'float',
  float8: 'float',
  text: 'text',
  varchar: 'text',
  'character varying': 'text',
  citext: 'text',
  String: 'text',
};

/** How one list reads and writes its cursors: bound to the list, the ordering and the caller, typed by the columns. */
export interface ListCursors {
  decode(cursor: string, argument: 'after' | 'before'): CursorPosition;
  encode(position: CursorPosition): string;
}

export function listCursors(
  ctx: RequestContext,
  list: string,
  metadata: EntityMetadata,
  ordering: Ordering,
): ListCursors {
  const keys = cursorKeysOf(ctx);
  const binding: CursorBinding = {
    list,
    ordering: ordering.key,
    direction: ordering.direction,
    caller: cursorCallerOf(ctx),
  };
  const kinds = {
    value: cursorKindOf(metadata, ordering.property),
    rowId: cursorKindOf(metadata, (ordering.tieBreaker ?? PRIMARY_KEY).property),
  };
  return {
    decode: (cursor, argument) => decodeCursor(keys, binding, cursor, kinds, argument),
    encode: (position) => encodeCursor(keys, binding, position),
  };
}

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
