import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { Lead } from '../lead/lead.entity.js';
import { LeadFilter, LeadOrder } from '../lead/lead.inputs.js';
import { leadsOf } from '../lead/lead.service.js';
import { ListingFilter, ListingOrder } from '../listing/listing.inputs.js';
import { Listing } from '../listing/listing.entity.js';
import { listingsOf } from '../listing/listing.service.js';
import { Brand } from './brand.entity.js';
import { BrandFilter, BrandOrder } from './brand.inputs.js';
import { listBrands } from './brand.service.js';
import { Trademark } from './trademark.entity.js';

export const BrandConnection = Connection(Brand);
const ListingConnection = Connection(Listing);
const LeadConnection = Connection(Lead);

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

  @FieldResolver(() => LeadConnection, { description: 'Leads naming this brand that you may see.' })
  leads(
    @Root() brand: Brand,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => LeadFilter, { nullable: true, description: 'Only the leads matching every field given.' })
    filter: LeadFilter | undefined,
    @Arg('orderBy', () => LeadOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: LeadOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Lead>> {
    return leadsOf(
      ctx,
      { through: 'lead_brand', childColumn: 'lead_id', parentColumn: 'brand_id' },
      brand.rowId,
      filter,
      orderBy,
      args,
    );
  }

  @FieldResolver(() => ListingConnection, { description: 'Listings that claim this brand.' })
  listings(
    @Root() brand: Brand,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ListingFilter, {
      nullable: true,
      description: 'Only the listings matching every field given.',
    })
    filter: ListingFilter | undefined,
    @Arg('orderBy', () => ListingOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: ListingOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Listing>> {
    return listingsOf(ctx, { column: 'brand_id' }, brand.rowId, filter, orderBy, args);
  }
}
