// The cursors of one list: bound to the list, its ordering and the caller (cursorCallerOf), typed by the
// ordering's columns (COLUMN_KINDS), and the `after`/`before` bounds of a page decoded with them.
import { EntityMetadata } from 'typeorm';
import { RequestContext } from '../context.js';
import { ConnectionArgs, Ordering, PRIMARY_KEY } from './connection.js';
import { CursorBinding, CursorKeys, CursorPosition, CursorValueKind, decodeCursor, encodeCursor } from './cursor.js';

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
