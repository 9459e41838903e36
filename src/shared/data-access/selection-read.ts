import {
  defaultFieldResolver,
  getNamedType,
  GraphQLObjectType,
  GraphQLResolveInfo,
  GraphQLSchema,
  isObjectType,
} from 'graphql';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../context.js';
import { ConnectionArgs, Ordering, Page, pageRequest, PRIMARY_KEY } from '../relay/connection.js';
import { applyKeyset, paginate } from '../relay/keyset-paging.js';
import { listCursors, ListCursors, pageBounds } from '../relay/list-cursors.js';
import { COMPILED } from './compiled-object.js';
import { Decline, subSelections } from './selection-sql-parts.js';
import { EntityClass, Params, Planner, Raw } from './selection-sql.js';
import { inlineScope, scopeParameters, visibilityPredicate } from './visibility.js';

/*
 * Where a read meets the selection compiler (selection-sql.ts): a root list's page or one record, compiled
 * when the selection allows it (else the caller's resolver path runs), and the schema's fields answering a
 * compiled object's values as they are.
 */

/**
 * Makes every field of the schema answer a compiled object's value by its response key, without its
 * resolver (which would read again what the statement already read). Other values go to the resolver.
 */
export function serveCompiled(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      field.resolve = (source, args, context, info) =>
        source !== null && typeof source === 'object' && (source as Record<symbol, unknown>)[COMPILED]
          ? (source as Record<string, unknown>)[info.path.key as string]
          : (resolve ?? defaultFieldResolver)(source, args, context, info);
    }
  }
  return schema;
}

/**
 * Runs a compiled statement: the scope written in (inlineScope), other values bound; a values array always, so
 * that it is prepared. A root field's statement is the last of a query of that field alone (finalRead).
 */
function run(ctx: RequestContext, info: GraphQLResolveInfo, sql: string, params: Params): Promise<Raw[]> {
  const [inlined, rest] = inlineScope(sql, params, ctx.scope, ctx.principal.rowId);
  const [text, values] = ctx.dataSource.driver.escapeQueryWithParameters(inlined, rest);
  if (info.path.prev === undefined && ctx.connection?.finalRead) return ctx.connection.finalRead(text, values);
  return ctx.db.query(text, values);
}

/** Plans with `work`, or null when the selection holds something the compiler declines. */
function plan<T>(ctx: RequestContext, info: GraphQLResolveInfo | undefined, work: (planner: Planner) => T): T | null {
  if (!info || !ctx.config.compileSelections) return null;
  try {
    return work(new Planner(ctx, info));
  } catch (error) {
    if (error instanceof Decline) return null;
    throw error;
  }
}

/**
 * A root list's page (as `paginate`), compiled into one statement when the selection allows it: the
 * root's own scoped, filtered query (`qb`, alias `t`) with its keyset, selecting each row's JSON.
 */
export async function paginateSelection<T extends ObjectLiteral>(
  ctx: RequestContext,
  info: GraphQLResolveInfo | undefined,
  list: string,
  qb: SelectQueryBuilder<T>,
  ordering: Ordering,
  args: ConnectionArgs,
): Promise<Page<T>> {
  const entity = qb.expressionMap.mainAlias!.metadata.target as EntityClass;
  const connection = plan(ctx, info, (planner) =>
    planner.connection(entity, getNamedType(info!.returnType) as GraphQLObjectType, [...info!.fieldNodes], true),
  );
  if (!connection) return paginate(ctx, list, qb, ordering, args);
  const request = pageRequest(args);
  const cursors: ListCursors = listCursors(ctx, list, qb.expressionMap.mainAlias!.metadata, ordering);
  const bounds = pageBounds(cursors, args);
  const params: Params = {};
  const row = connection.row('t', params);
  const source = ordering.source ?? 't';
  applyKeyset(qb, ordering, bounds, request).select(row, 'j');
  if (connection.wantsCursor)
    qb.addSelect(`${source}.${ordering.column}`, 'cursor_value').addSelect(
      `${source}.${(ordering.tieBreaker ?? PRIMARY_KEY).column}`,
      'cursor_id',
    );
  const read: Raw[] = await run(ctx, info!, qb.getQuery(), { ...qb.getParameters(), ...params });
  const more = read.length > request.size;
  const rows = (request.backward ? read.slice(0, request.size).reverse() : read.slice(0, request.size)).map((r) => {
    let cursor: string | undefined;
    return {
      row: r.j as Raw,
      cursor: () => (cursor ??= cursors.encode({ value: r.cursor_value as Date, rowId: String(r.cursor_id) })),
    };
  });
  return connection.build(rows, {
    hasNextPage: request.backward ? Boolean(args.before) : more,
    hasPreviousPage: request.backward ? more : Boolean(args.after),
  }) as unknown as Page<T>;
}

/** One record by row id through the caller's scope (as loadById), compiled when the selection allows it. */
export async function loadSelection(
  ctx: RequestContext,
  info: GraphQLResolveInfo | undefined,
  entity: EntityClass,
  rowId: string,
): Promise<Raw | null | undefined> {
  const type = info?.schema.getType(entity.name);
  if (!type || !isObjectType(type)) return undefined;
  const params: Params = { compiledRowId: rowId };
  const sql = plan(ctx, info, (planner) => {
    const object = planner.object(entity, type, subSelections([...info!.fieldNodes]));
    const table = ctx.dataSource.getMetadata(entity).tableName;
    const where = visibilityPredicate(table, ctx.scope, 't');
    if (where !== null) Object.assign(params, scopeParameters(ctx.scope, ctx.principal.rowId));
    return {
      object,
      text: `SELECT ${object.sql('t', params)} AS j FROM ${table} t WHERE t.id = :compiledRowId${where === null ? '' : ` AND (${where})`}`,
    };
  });
  if (!sql) return undefined;
  const rows = (await run(ctx, info!, sql.text, params)) as { j: Raw }[];
  return rows.length ? sql.object.build(rows[0].j) : null;
}
