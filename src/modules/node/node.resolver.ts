import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Query, Resolver } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { badInput } from '../../shared/errors.js';
import { Node } from '../../shared/relay/node.js';
import { loadNode } from './node.service.js';

const MAX_NODES = 100;

@Resolver()
export class NodeResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Node, {
    nullable: true,
    description: 'Any object by its global id; null if it does not exist or is out of your scope.',
  })
  node(
    @Arg('id', () => ID, { description: 'A global id, as returned in `id`.' }) id: string,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Node | null> {
    return loadNode(ctx, id, 'id', info);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => [Node], {
    nullable: 'itemsAndList',
    description: `Objects by global id, one entry per id in order (null for a miss); at most ${MAX_NODES} ids.`,
  })
  nodes(
    @Arg('ids', () => [ID], {
      description: 'Global ids (at most 100); the answer keeps their order, null for each you may not see.',
    })
    ids: string[],
    @Ctx() ctx: RequestContext,
  ): Promise<(Node | null)[]> {
    if (ids.length > MAX_NODES) throw badInput(`"ids" takes at most ${MAX_NODES} ids, got ${ids.length}.`, 'ids');
    return Promise.all(ids.map((id, index) => loadNode(ctx, id, `ids[${index}]`)));
  }
}
