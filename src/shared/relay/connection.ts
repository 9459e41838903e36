// The GraphQL side of a list: its arguments (ConnectionArgs), the page size limits, OrderDirection, the
// Ordering a list is sorted by, and the Page and XConnection/XEdge types. The keyset paging that fills a
// Page is in keyset-paging.ts, its cursors in list-cursors.ts.
import { ArgsType, ClassType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { badInput } from '../errors.js';

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
