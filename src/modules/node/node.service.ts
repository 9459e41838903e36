import type { GraphQLResolveInfo } from 'graphql';
import { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { loadSelection } from '../../shared/data-access/selection-read.js';
import { decodeGlobalId } from '../../shared/relay/global-id.js';
import { Node } from '../../shared/relay/node.js';
import { entities } from '../../entities.js';

/** GraphQL type name -> entity class, for every entity that is a Node. */
const nodeTypes = new Map(
  entities
    .filter((entity) => entity.prototype instanceof Node)
    .map((entity) => [entity.name, entity as unknown as { new (): Node; name: string }]),
);

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
  const entity = nodeTypes.get(typeName);
  // An unknown type reads like a record that does not exist.
  if (!entity) return null;
  const compiled = await loadSelection(ctx, info, entity, rowId);
  return compiled === undefined ? loadById(ctx, entity, rowId) : (compiled as unknown as Node | null);
}
