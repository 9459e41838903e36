import type { GraphQLResolveInfo } from 'graphql';
import type { DataSource } from 'typeorm';
import { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { loadSelection } from '../../shared/data-access/selection-read.js';
import { decodeGlobalId } from '../../shared/relay/global-id.js';
import { Node } from '../../shared/relay/node.js';

type NodeClass = { new (): Node; name: string };

/**
 * GraphQL type name -> entity class, for every entity of the data source that is a Node: read from the data
 * source (src/database/entities.ts feeds it), so that this module needs no other.
 */
const nodeTypesOf = new WeakMap<DataSource, Map<string, NodeClass>>();

function nodeTypes(dataSource: DataSource): Map<string, NodeClass> {
  let types = nodeTypesOf.get(dataSource);
  if (!types) {
    const classes = dataSource.entityMetadatas
      .map((metadata) => metadata.target)
      .filter((target): target is NodeClass => typeof target === 'function' && target.prototype instanceof Node);
    types = new Map(classes.map((entity) => [entity.name, entity]));
    nodeTypesOf.set(dataSource, types);
  }
  return types;
}

/**
 * Any record by global id through the caller's scope; null when missing or out of scope (the same). With
 * `info` (the `node` field), the selection is read in one statement when it can be (selection-sql.ts).
 */
export async function loadNode(
  ctx: RequestContext,
  globalId: string,
  argument: string,
  info?: GraphQLResolveInfo,
): Promise<Node | null> {
  const { typeName, rowId } = decodeGlobalId(globalId, argument);
  const entity = nodeTypes(ctx.dataSource).get(typeName);
  // An unknown type reads like a record that does not exist.
  if (!entity) return null;
  const compiled = await loadSelection(ctx, info, entity, rowId);
  return compiled === undefined ? loadById(ctx, entity, rowId) : (compiled as unknown as Node | null);
}
