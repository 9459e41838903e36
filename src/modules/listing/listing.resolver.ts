import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { Brand } from '../brand/brand.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { Listing } from './listing.entity.js';
import {
  ListingFilter,
  ListingOrder,
  MAX_TAKEDOWN_LISTINGS,
  ReinstateListingInput,
  TakeDownListingsInput,
} from './listing.inputs.js';
import { listingsOf, listListings, reinstateListing, takeDownListings } from './listing.service.js';
import { MutationPayload, Payload, payload, UserError } from '../../shared/user-error.js';

const ListingConnection = Connection(Listing);
const ReinstateListingPayload = Payload('ReinstateListingPayload', 'listing', Listing);

@ObjectType({
  description: 'What `takeDownListings` answers: the listings taken down, or the user error that refused them all.',
})
class TakeDownListingsPayload {
  @Field(() => [Listing], {
    nullable: true,
    description: `The listings taken down (at most ${MAX_TAKEDOWN_LISTINGS}: the input takes at most ${MAX_TAKEDOWN_LISTINGS} ids, the marketplace's batch size); null when refused.`,
  })
  listings!: Listing[] | null;

  @Field(() => [UserError], { description: 'Why the mutation was refused; empty on success.' })
  userErrors!: UserError[];
}

@Resolver(() => Listing)
export class ListingResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => ListingConnection, {
    nullable: true,
    description: 'Listings you may see (a brand partner: those claiming its brand).',
  })
  listings(
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
    return listListings(ctx, filter, orderBy, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => TakeDownListingsPayload, {
    nullable: true,
    description: `LIVE | REINSTATED -> TAKEN_DOWN for up to ${MAX_TAKEDOWN_LISTINGS} listings (the marketplace's batch size), all or none; one strike per listing (the same listing again within the policy window counts once), sellers escalated by their active strikes (docs/enforcement-policy.md).`,
  })
  async takeDownListings(
    @Arg('input', { description: 'The arguments of `takeDownListings` in one object (TakeDownListingsInput).' })
    input: TakeDownListingsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TakeDownListingsPayload> {
    const { result, userErrors } = await payload(() => takeDownListings(ctx, input));
    return { listings: result, userErrors };
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => ReinstateListingPayload, {
    nullable: true,
    description:
      "TAKEN_DOWN -> REINSTATED. A reversed takedown (counter-notice upheld, the default; or in error) removes its strike, and the seller's status follows its strikes down when it rested on them.",
  })
  reinstateListing(
    @Arg('input', { description: 'The arguments of `reinstateListing` in one object (ReinstateListingInput).' })
    input: ReinstateListingInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Listing>> {
    return payload(() => reinstateListing(ctx, input));
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

/** `Brand.listings`: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Brand)
export class BrandListingResolver {
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

/** `Seller.listings`, beside `Listing.seller`. */
@Resolver(() => Seller)
export class SellerListingResolver {
  @FieldResolver(() => ListingConnection, { description: 'Listings of this seller that you may see.' })
  listings(
    @Root() seller: Seller,
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
    return listingsOf(ctx, { column: 'seller_id' }, seller.rowId, filter, orderBy, args);
  }
}
