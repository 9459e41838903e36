import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { Brand } from './brand.entity.js';
import { BrandFilter, BrandOrder } from './brand.inputs.js';
import { listBrands } from './brand.service.js';
import { Trademark } from './trademark.entity.js';

export const BrandConnection = Connection(Brand);

@Resolver(() => Brand)
export class BrandResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => BrandConnection, { nullable: true, description: 'Brands you may see (a brand partner: its own).' })
  brands(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => BrandFilter, { nullable: true, description: 'Only the brands matching every field given.' })
    filter: BrandFilter | undefined,
    @Arg('orderBy', () => BrandOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: BrandOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Brand>> {
    return listBrands(ctx, filter, orderBy, args);
  }

  @FieldResolver(() => [Trademark], {
    description:
      'Its registered trademarks. Loaded by administrators (the API writes none); about 100 at most are expected.',
  })
  trademarks(@Root() brand: Brand, @Ctx() ctx: RequestContext): Promise<Trademark[]> {
    return loadChildren(ctx, Trademark, { column: 'brand_id' }, brand.rowId);
  }
}
