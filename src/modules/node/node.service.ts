import { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { decodeGlobalId } from '../../shared/relay/global-id.js';
import { Node } from '../../shared/relay/node.js';
import { entities } from '../../entities.js';

/** GraphQL type name -> entity class, for every entity that is a Node. */
const nodeTypes = new Map(
  entities.filter((entity) => entity.prototype instanceof Node).map((entity) => [entity.name, entity as unknown as { new (): Node; name: string }]),
);

/** Any record by global id through the caller's scope; null when missing or out of scope (the same). */
export function loadNode(ctx: RequestContext, globalId: string, argument: string): Promise<Node | null> {
  const { typeName, rowId } = decodeGlobalId(globalId, argument);
  const entity = nodeTypes.get(typeName);
  // An unknown type reads like a record that does not exist.
  return entity ? loadById(ctx, entity, rowId) : Promise.resolve(null);
}
