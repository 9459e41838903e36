import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { Brand } from '../brand/brand.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { Listing } from './listing.entity.js';
import { ListingFilter, ListingOrder } from './listing.inputs.js';
import { listListings } from './listing.service.js';

const ListingConnection = Connection(Listing);

@Resolver(() => Listing)
export class ListingResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => ListingConnection, { description: 'Listings you may see (a brand partner: those claiming its brand).' })
  listings(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ListingFilter, { nullable: true }) filter: ListingFilter | undefined,
    @Arg('orderBy', () => ListingOrder, { nullable: true }) orderBy: ListingOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Listing>> {
    return listListings(ctx, filter, orderBy, args);
  }

  @FieldResolver(() => Seller, { nullable: true, description: 'The shop offering it (null if out of your scope).' })
  seller(@Root() listing: Listing, @Ctx() ctx: RequestContext): Promise<Seller | null> {
    return loadById(ctx, Seller, listing.sellerId);
  }

  @FieldResolver(() => Brand, { nullable: true, description: 'The brand it claims (null if out of your scope).' })
  brand(@Root() listing: Listing, @Ctx() ctx: RequestContext): Promise<Brand | null> {
    return loadById(ctx, Brand, listing.brandId);
  }
}
