import {
  FieldNode,
  getArgumentValues,
  getNamedType,
  GraphQLField,
  GraphQLObjectType,
  GraphQLResolveInfo,
  isObjectType,
  SelectionSetNode,
} from 'graphql';
import { EntityMetadata, ObjectLiteral } from 'typeorm';
import { RequestContext } from '../context.js';
import { ConnectionArgs, MAX_PAGE_SIZE, Ordering, OrderDirection, PRIMARY_KEY } from '../relay/connection.js';
import { pageRequest } from '../relay/connection.js';
import { COMPILED, COMPILED_TYPE } from './compiled-object.js';
import { ParentLink } from './scoped-query.js';
import {
  collectFields,
  columnSql,
  columnTypeName,
  decline,
  linkSql,
  literal,
  plainFieldOf,
  subSelections,
} from './selection-sql-parts.js';
import { scopeParameters, visibilityPredicate } from './visibility.js';

/*
 * A read's selection compiled into ONE SQL statement per root field: PostgreSQL builds each node's JSON
 * (json_build_object, json_agg in correlated subqueries), so that a case list of leads, their sellers,
 * investigation, referrals, agencies and outcomes is one round trip instead of one per DataLoader batch.
 *
 * The single sources stay single: columns come from the TypeORM entity metadata, field names and
 * arguments from the GraphQL schema, the rows each table shows from visibility.ts (every table the
 * statement reads carries its predicate, and the row-level security policies apply as for any statement),
 * and the links between records from the same descriptors the resolvers load them with (`compilable`,
 * registered next to each resolver). A cursor is made by the relay code (the same AES-GCM format).
 *
 * The compiler declines (the resolvers run, as before) as soon as the selection holds anything it cannot
 * express exactly: a field computed by a resolver (role-dependent masks such as internal notes, money,
 * deadlines), a field with roles or middlewares, a directive, an unknown link, a nested list's cursors,
 * `after`/`before`/`last` or filter on a nested list, `totalCount`. Declining costs nothing: it is decided
 * from the query document before any SQL runs.
 */

export type EntityClass = { new (): ObjectLiteral; name: string };

/** How a field of an entity reads other records: the descriptors its resolver loads them with. */
export type Relation =
  /** loadById(entity, parent[property]): one record or null. */
  | { kind: 'one'; entity: EntityClass; property: string }
  /** loadChildren(entity, link, parent.rowId): every visible child, in id order. */
  | { kind: 'many'; entity: EntityClass; link: ParentLink }
  /** loadChildPage(entity, link, ...): a connection, whose ordering the field's arguments give (null: decline). */
  | {
      kind: 'page';
      entity: EntityClass;
      link: ParentLink;
      ordering: (args: Record<string, unknown>) => Ordering | null;
    };

const relations = new Map<Function, Map<string, Relation>>();

/** Declares the links of an entity's fields that the compiler may follow (next to the resolvers that load them). */
export function compilable(entity: Function, fields: Record<string, Relation>): void {
  const known = relations.get(entity) ?? new Map<string, Relation>();
  for (const [name, relation] of Object.entries(fields)) known.set(name, relation);
  relations.set(entity, known);
}

export type Raw = Record<string, unknown>;
export type Params = Record<string, unknown>;

/** A compiled object selection: its SQL over a row alias, and how its JSON becomes the answer's object. */
interface ObjectPlan {
  sql(alias: string, params: Params): string;
  build(raw: Raw): Raw;
}

/** Distinct aliases within one statement (s1, s2, ...), so that visibility's inner aliases never collide. */
class Aliases {
  private next = 0;
  take(): string {
    this.next += 1;
    return `s${this.next}`;
  }
}

export class Planner {
  private readonly aliases = new Aliases();

  constructor(
    private readonly ctx: RequestContext,
    private readonly info: GraphQLResolveInfo,
  ) {}

  private metadata(entity: EntityClass): EntityMetadata {
    return this.ctx.dataSource.getMetadata(entity);
  }

  /** The rows of `entity` (alias `a`) the caller may see: visibility.ts's predicate, or nothing to add. */
  private visible(entity: EntityClass, a: string, params: Params): string {
    const predicate = visibilityPredicate(this.metadata(entity).tableName, this.ctx.scope, a);
    if (predicate === null) return 'TRUE';
    Object.assign(params, scopeParameters(this.ctx.scope, this.ctx.principal.rowId));
    return `(${predicate})`;
  }

  /** An object of `entity` (GraphQL type `type`) with the fields selected under `nodes`. */
  object(entity: EntityClass, type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]): ObjectPlan {
    const metadata = this.metadata(entity);
    const fields = collectFields(this.info, type, selectionSets);
    const parts: ((a: string, params: Params) => string)[] = [];
    const builders: [string, (raw: unknown) => unknown][] = [];
    for (const [key, nodes] of fields) {
      const name = nodes[0].name.value;
      const definition = type.getFields()[name];
      if (name === '__typename') {
        parts.push(() => `${literal(key)}, ${literal(type.name)}`);
        continue;
      }
      if (!definition) decline(`unknown field ${name}`);
      const relation = relations.get(entity)?.get(name);
      if (relation) {
        const plan = this.relation(metadata, relation, definition, nodes);
        parts.push((a, params) => `${literal(key)}, ${plan.sql(a, params)}`);
        builders.push([key, plan.build]);
        continue;
      }
      if (nodes[0].arguments?.length || nodes[0].selectionSet) decline(`field ${name} with arguments or a selection`);
      if (name === 'id' && type.getInterfaces().some((i) => i.name === 'Node')) {
        // toGlobalId: base64url of "Type:rowId".
        parts.push(
          (a) =>
            `${literal(key)}, translate(encode(convert_to(${literal(`${type.name}:`)} || ${a}.id, 'UTF8'), 'base64'), E'+/=\\n', '-_')`,
        );
        continue;
      }
      const property = plainFieldOf(entity, name) ?? decline(`field ${type.name}.${name} has a resolver or a rule`);
      const column =
        metadata.findColumnWithPropertyName(property) ?? decline(`field ${type.name}.${name} is not a column`);
      const sql =
        columnSql(columnTypeName(column.type), `__a.${column.databaseName}`) ??
        decline(`column type of ${type.name}.${name}`);
      parts.push((a) => `${literal(key)}, ${sql.replace(/__a\./g, `${a}.`)}`);
    }
    // json_build_object takes at most 100 arguments.
    if (parts.length > 50) decline('more than 50 fields');
    const typeName = type.name;
    return {
      sql: (a, params) => `json_build_object(${parts.map((part) => part(a, params)).join(', ')})`,
      build: (raw) => {
        const object = raw as Record<string | symbol, unknown>;
        object[COMPILED] = true;
        object[COMPILED_TYPE] = typeName;
        for (const [key, build] of builders) object[key] = build(object[key]);
        return object as Raw;
      },
    };
  }

  private relation(
    parentMetadata: EntityMetadata,
    relation: Relation,
    definition: GraphQLField<unknown, unknown>,
    nodes: FieldNode[],
  ): { sql(parent: string, params: Params): string; build(raw: unknown): unknown } {
    const named = getNamedType(definition.type);
    if (!isObjectType(named)) decline('abstract relation');
    const args = getArgumentValues(definition, nodes[0], this.info.variableValues);
    const table = this.metadata(relation.entity).tableName;
    const a = this.aliases.take();
    if (relation.kind === 'one') {
      if (Object.keys(args).length) decline('arguments');
      const item = this.object(relation.entity, named as GraphQLObjectType, subSelections(nodes));
      // The parent's column named by the relation's property (e.g. Lead.investigationId -> investigation_id).
      const parentColumn =
        parentMetadata.findColumnWithPropertyName(relation.property)?.databaseName ??
        decline(`unknown property ${relation.property}`);
      return {
        sql: (parent, params) => {
          return `(SELECT ${item.sql(a, params)} FROM ${table} ${a} WHERE ${a}.id = ${parent}.${parentColumn} AND ${this.visible(relation.entity, a, params)})`;
        },
        build: (raw) => (raw === null ? null : item.build(raw as Raw)),
      };
    }
    if (relation.kind === 'many') {
      if (Object.keys(args).length) decline('arguments');
      const item = this.object(relation.entity, named as GraphQLObjectType, subSelections(nodes));
      return {
        sql: (parent, params) => {
          const link = linkSql(relation.link, a, parent);
          return `COALESCE((SELECT json_agg(${item.sql(a, params)} ORDER BY ${a}.id) FROM ${table} ${a}${link.join} WHERE ${link.where} AND ${this.visible(relation.entity, a, params)}), '[]'::json)`;
        },
        build: (raw) => (raw as Raw[]).map((row) => item.build(row)),
      };
    }
    // A nested connection: its first page only (`first`, `orderBy`), without cursors or a count.
    const { first, orderBy, ...rest } = args as { first?: number | null; orderBy?: unknown };
    if (Object.values(rest).some((value) => value !== undefined && value !== null)) decline('nested list arguments');
    const ordering = relation.ordering({ orderBy }) ?? decline('ordering');
    if ((ordering.source ?? 't') !== 't') decline('ordering source');
    // A size out of range is the nested field's own error (the resolvers answer it, the rest of the page with it).
    if (first !== undefined && first !== null && !(Number.isInteger(first) && first >= 1 && first <= MAX_PAGE_SIZE))
      decline('page size');
    const size = pageRequest({ first } as ConnectionArgs).size;
    const connection = this.connection(relation.entity, named as GraphQLObjectType, nodes, false);
    const direction = ordering.direction === OrderDirection.ASC ? 'ASC' : 'DESC';
    const tie = (ordering.tieBreaker ?? PRIMARY_KEY).column;
    const order = `${a}.${ordering.column} ${direction}, ${a}.${tie} ${direction}`;
    return {
      sql: (parent, params) => {
        const link = linkSql(relation.link, a, parent);
        return `(SELECT json_build_object('rows', COALESCE(json_agg(${a}_p.j ORDER BY ${a}_p.o) FILTER (WHERE ${a}_p.o <= ${size}), '[]'::json), 'more', count(*) > ${size})
          FROM (SELECT ${connection.row(a, params)} AS j, row_number() OVER (ORDER BY ${order}) AS o FROM ${table} ${a}${link.join}
                WHERE ${link.where} AND ${this.visible(relation.entity, a, params)} ORDER BY ${order} LIMIT ${size + 1}) ${a}_p)`;
      },
      build: (raw) => {
        const { rows, more } = raw as { rows: Raw[]; more: boolean };
        return connection.build(
          rows.map((row) => ({ row })),
          { hasNextPage: more, hasPreviousPage: false },
        );
      },
    };
  }

  /**
   * A connection (`XConnection`) over `entity`: each row's JSON holds one object per distinct node selection
   * (`edges.node`, `nodes`), keyed n0, n1; build assembles edges, nodes and pageInfo. Cursors only at the root.
   */
  connection(entity: EntityClass, connectionType: GraphQLObjectType, nodes: FieldNode[], root: boolean) {
    const itemType = getNamedType(connectionType.getFields().nodes?.type);
    if (!isObjectType(itemType)) return decline('not a connection');
    const items: ObjectPlan[] = [];
    type Shape = (page: { rows: { row: Raw; cursor?: () => string }[]; pageInfo: Record<string, boolean> }) => unknown;
    const shape: [string, Shape][] = [];
    const wantsCursor = { any: false };
    const itemOf = (sets: readonly SelectionSetNode[]) => {
      items.push(this.object(entity, itemType, sets));
      return `n${items.length - 1}`;
    };
    const fields = collectFields(this.info, connectionType, subSelections(nodes));
    for (const [key, fieldNodes] of fields) {
      const name = fieldNodes[0].name.value;
      if (name === '__typename') {
        shape.push([key, () => connectionType.name]);
      } else if (name === 'nodes') {
        const n = itemOf(subSelections(fieldNodes));
        shape.push([key, ({ rows }) => rows.map(({ row }) => row[n])]);
      } else if (name === 'edges') {
        const edgeType = getNamedType(connectionType.getFields().edges.type) as GraphQLObjectType;
        const edgeFields = collectFields(this.info, edgeType, subSelections(fieldNodes));
        const edgeShape: [string, (row: { row: Raw; cursor?: () => string }) => unknown][] = [];
        for (const [edgeKey, edgeNodes] of edgeFields) {
          const edgeName = edgeNodes[0].name.value;
          if (edgeName === '__typename') edgeShape.push([edgeKey, () => edgeType.name]);
          else if (edgeName === 'node') {
            const n = itemOf(subSelections(edgeNodes));
            edgeShape.push([edgeKey, ({ row }) => row[n]]);
          } else if (edgeName === 'cursor' && root) {
            wantsCursor.any = true;
            edgeShape.push([edgeKey, ({ cursor }) => cursor!()]);
          } else decline(`edge field ${edgeName}`);
        }
        shape.push([
          key,
          ({ rows }) => rows.map((row) => compiled(Object.fromEntries(edgeShape.map(([k, get]) => [k, get(row)])))),
        ]);
      } else if (name === 'pageInfo') {
        const infoFields = collectFields(
          this.info,
          getNamedType(connectionType.getFields().pageInfo.type) as GraphQLObjectType,
          subSelections(fieldNodes),
        );
        const infoShape: [string, Shape][] = [];
        for (const [infoKey, infoNodes] of infoFields) {
          const infoName = infoNodes[0].name.value;
          if (infoName === '__typename') infoShape.push([infoKey, () => 'PageInfo']);
          else if (infoName === 'hasNextPage' || infoName === 'hasPreviousPage')
            infoShape.push([infoKey, ({ pageInfo }) => pageInfo[infoName]]);
          else if ((infoName === 'startCursor' || infoName === 'endCursor') && root) {
            wantsCursor.any = true;
            infoShape.push([
              infoKey,
              ({ rows }) => (infoName === 'startCursor' ? rows[0] : rows.at(-1))?.cursor!() ?? null,
            ]);
          } else decline(`pageInfo field ${infoName}`);
        }
        shape.push([key, (page) => compiled(Object.fromEntries(infoShape.map(([k, get]) => [k, get(page)])))]);
      } else decline(`connection field ${name}`);
    }
    return {
      wantsCursor: wantsCursor.any,
      row: (a: string, params: Params) =>
        `json_build_object(${items.map((item, i) => `'n${i}', ${item.sql(a, params)}`).join(', ') || "'n', NULL"})`,
      build: (rows: { row: Raw; cursor?: () => string }[], pageInfo: Record<string, boolean>) => {
        for (const { row } of rows) items.forEach((item, i) => item.build(row[`n${i}`] as Raw));
        return compiled(Object.fromEntries(shape.map(([key, get]) => [key, get({ rows, pageInfo })])));
      },
    };
  }
}

export function compiled(object: Raw): Raw {
  (object as Record<symbol, unknown>)[COMPILED] = true;
  return object;
}
