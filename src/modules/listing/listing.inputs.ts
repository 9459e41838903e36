import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { ListingStatus } from './listing.entity.js';
import { ReinstatementBasis } from './listing.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'Narrows a list of listings; every field given must match.' })
export class ListingFilter {
  @Field(() => [ListingStatus], { nullable: true, description: 'Listings in any of these statuses.' })
  status?: ListingStatus[];

  @Field(() => [ID], { nullable: true, description: 'Listings claiming any of these brands.' })
  brandIds?: string[];

  @Field(() => [ID], { nullable: true, description: 'Listings of any of these sellers.' })
  sellerIds?: string[];

  @Field(() => DateRangeInput, { nullable: true, description: 'Listings recorded in this range.' })
  createdAt?: DateRangeInput;
}

export enum ListingOrderField {
  CREATED_AT = 'CREATED_AT',
  PRICE = 'PRICE',
}
registerEnumType(ListingOrderField, {
  name: 'ListingOrderField',
  description: 'What a list of listings is sorted by.',
  valuesConfig: {
    CREATED_AT: { description: 'When the listing was recorded.' },
    PRICE: {
      description: "The listed price's amount, in the minor unit of its own currency (currencies are not converted).",
    },
  },
});

export const listingSortColumns: Record<ListingOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
  PRICE: { column: 'price_amount', property: 'priceAmount' },
};
export const LISTING_DEFAULT_ORDER = { field: ListingOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const ListingOrder = OrderByInput('ListingOrder', ListingOrderField, LISTING_DEFAULT_ORDER.field);
export type ListingOrder = InstanceType<typeof ListingOrder>;

/** Listings one takedown may name: the marketplace's batch size. */
export const MAX_TAKEDOWN_LISTINGS = 300;

@InputType({ description: 'Take listings down on the marketplace (takeDownListings).' })
export class TakeDownListingsInput extends IdempotentInput {
  @Field(() => [ID], {
    description: `Listings to take down (1-${MAX_TAKEDOWN_LISTINGS}, the marketplace's batch size): all or none.`,
  })
  listingIds!: string[];

  @Field({
    description:
      "Why they are taken down (1 to 2,000 characters), recorded in the audit trail and on the sellers' strikes.",
  })
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;
}

@InputType({ description: 'Put a taken-down listing back up (reinstateListing).' })
export class ReinstateListingInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the listing (TAKEN_DOWN).' })
  listingId!: string;

  @Field({ description: 'Why it is reinstated (1 to 2,000 characters), recorded in the audit trail.' })
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;

  @Field(() => ReinstatementBasis, {
    nullable: true,
    description:
      'Why it goes back up (default COUNTER_NOTICE_UPHELD): a reversed takedown removes the strike it gave; LISTING_CORRECTED keeps it.',
  })
  basis?: ReinstatementBasis | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: a listing changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}
