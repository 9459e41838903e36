import { FieldNode, GraphQLObjectType, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { ParentLink } from './scoped-query.js';

/** The pieces of the selection compiler (selection-sql.ts) that read the query document and the entities' metadata. */

/** Thrown while planning when the selection holds what the compiler does not express; caught by `plan`. */
export class Decline extends Error {}
export const decline = (why: string): never => {
  throw new Decline(why);
};

/** The fields of `selections` that apply to `type`, by response key (fragments expanded, same keys merged). */
export function collectFields(
  info: GraphQLResolveInfo,
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  into = new Map<string, FieldNode[]>(),
) {
  for (const set of selectionSets) {
    for (const selection of set.selections) {
      if (selection.directives?.length) decline('directive');
      if (selection.kind === 'Field') {
        const key = selection.alias?.value ?? selection.name.value;
        into.set(key, [...(into.get(key) ?? []), selection]);
      } else {
        const fragment = selection.kind === 'InlineFragment' ? selection : info.fragments[selection.name.value];
        if (!fragment) decline('unknown fragment');
        if (fragment.kind === 'FragmentDefinition' && fragment.directives?.length) decline('directive');
        const condition = fragment.typeCondition?.name.value;
        if (condition && condition !== type.name && !type.getInterfaces().some((i) => i.name === condition)) continue;
        collectFields(info, type, [fragment.selectionSet], into);
      }
    }
  }
  return into;
}

export const subSelections = (nodes: FieldNode[]) =>
  nodes.map((node) => node.selectionSet).filter((set): set is SelectionSetNode => Boolean(set));

export const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Column types whose JSON PostgreSQL writes exactly as the API answers them; others decline. */
export function columnSql(type: string, ref: string): string | null {
  switch (type) {
    case 'text':
    case 'varchar':
    case 'character varying':
    case 'String':
    case 'int':
    case 'integer':
    case 'int4':
    case 'smallint':
    case 'Number':
    case 'boolean':
    case 'bool':
    case 'Boolean':
      return ref;
    // As the DateTimeISO scalar writes a Date: milliseconds (pg reads microseconds and drops the rest), UTC.
    case 'timestamptz':
    case 'timestamp with time zone':
    case 'Date':
      return `to_char(${ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    default:
      return null;
  }
}

export const columnTypeName = (type: unknown) => (typeof type === 'function' ? type.name : String(type).toLowerCase());

const plainFields = new Map<Function, Map<string, string | null>>();

/**
 * The entity property behind a GraphQL field answered as stored, or null for a field computed by a resolver
 * or guarded by roles or middlewares (the compiler does not answer those). Read from type-graphql's
 * metadata once per field.
 */
export function plainFieldOf(entity: Function, name: string): string | null {
  let fields = plainFields.get(entity);
  if (!fields) plainFields.set(entity, (fields = new Map()));
  let property = fields.get(name);
  if (property === undefined) {
    const storage = getMetadataStorage();
    const field = storage.fields.find(
      (f) => f.schemaName === name && (f.target === entity || entity.prototype instanceof f.target),
    );
    const computed = storage.fieldResolvers.some((r) => r.schemaName === name && r.getObjectType?.() === entity);
    property = !field || computed || field.roles?.length || field.middlewares?.length ? null : field.name;
    fields.set(name, property);
  }
  return property;
}

/** Where a child row of alias `a` points at its parent row of alias `parent`: FROM/WHERE fragments. */
export function linkSql(link: ParentLink, a: string, parent: string): { join: string; where: string } {
  return 'column' in link
    ? { join: '', where: `${a}.${link.column} = ${parent}.id` }
    : {
        join: ` JOIN ${link.through} ${a}_j ON ${a}_j.${link.childColumn} = ${a}.id`,
        where: `${a}_j.${link.parentColumn} = ${parent}.id`,
      };
}
