import { ArrayMaxSize, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { IdentifierKind } from './seller-identifier.entity.js';
import { SellerStatus } from './seller.entity.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'Narrows a list of sellers; every field given must match.' })
export class SellerFilter {
  @Field(() => [SellerStatus], { nullable: true, description: 'Sellers in any of these statuses.' })
  status?: SellerStatus[];

  @Field(() => [String], { nullable: true, description: 'ISO 3166-2 regions, e.g. ["CN-ZJ", "CN-GD"].' })
  region?: string[];

  @Field(() => [String], { nullable: true, description: 'Sellers on any of these platforms (e.g. TAOBAO).' })
  platform?: string[];

  @Field(() => [ID], { nullable: true, description: 'Sellers with listings claiming any of these brands.' })
  brandIds?: string[];

  @Field(() => DateRangeInput, { nullable: true, description: 'Sellers recorded in this range.' })
  createdAt?: DateRangeInput;
}

export enum SellerOrderField {
  CREATED_AT = 'CREATED_AT',
  STRIKE_COUNT = 'STRIKE_COUNT',
  DISPLAY_NAME = 'DISPLAY_NAME',
}
registerEnumType(SellerOrderField, {
  name: 'SellerOrderField',
  valuesConfig: {
    CREATED_AT: { description: 'When the seller was recorded.' },
    DISPLAY_NAME: { description: "The shop's name." },
    STRIKE_COUNT: { description: 'Its strikes.' },
  },
  description: 'What a list of sellers is sorted by.',
});

export const sellerSortColumns: Record<SellerOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
  STRIKE_COUNT: { column: 'strike_count', property: 'strikeCount' },
  DISPLAY_NAME: { column: 'display_name', property: 'displayName' },
};
export const SELLER_DEFAULT_ORDER = { field: SellerOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const SellerOrder = OrderByInput('SellerOrder', SellerOrderField, SELLER_DEFAULT_ORDER.field);
export type SellerOrder = InstanceType<typeof SellerOrder>;

@InputType({ description: "Change a seller's status (updateSellerStatus)." })
export class UpdateSellerStatusInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the seller.' })
  sellerId!: string;

  @Field(() => SellerStatus, {
    description:
      'A sanction (up, steps may be skipped) or a lift (down by one step or more, e.g. RESTRICTED -> WARNED). CLOSED is final.',
  })
  status!: SellerStatus;

  @Field({
    description: 'Why: recorded with the rule (e.g. "investigator lift RESTRICTED -> WARNED") in the audit trail.',
  })
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: a seller changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({
  description: 'A raw identifier value: kept as a keyed hash (for linking) and encrypted (for a purpose-bound reveal).',
})
export class SellerIdentifierValueInput {
  @Field(() => IdentifierKind, { description: 'What kind of identifier the value is.' })
  kind!: IdentifierKind;

  @Field({ description: 'The raw value as found (e.g. a phone number in any spelling); normalised before hashing.' })
  @MinLength(1)
  @MaxLength(500)
  value!: string;
}

@InputType({ description: 'One more identifier of a seller (addSellerIdentifier).' })
export class AddSellerIdentifierInput extends SellerIdentifierValueInput {
  @Field(() => ID, { description: 'Global id of the seller.' })
  sellerId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second identifier.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'A seller (shop) to record, with its first identifiers (createSeller).' })
export class CreateSellerInput {
  @Field({ description: 'e.g. "TAOBAO".' })
  @MinLength(1)
  @MaxLength(50)
  platform!: string;

  @Field({ description: "The platform's own id of the shop." })
  @MinLength(1)
  @MaxLength(200)
  externalId!: string;

  @Field({ description: "The shop's name as shown on the platform." })
  @MinLength(1)
  @MaxLength(300)
  displayName!: string;

  @Field({ description: 'ISO 3166-2 subdivision (e.g. "CN-ZJ") or ISO 3166-1 country code.' })
  region!: string;

  @Field(() => [SellerIdentifierValueInput], { nullable: true, description: 'What the shop is known by (at most 20).' })
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  identifiers?: SellerIdentifierValueInput[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second seller.',
  })
  idempotencyKey?: string | null;
}

@InputType({
  description: "Read a seller's identifiers in clear, for a stated purpose (revealSellerIdentifiers); audited.",
})
export class RevealSellerIdentifiersInput {
  @Field(() => ID, { description: 'Global id of the seller.' })
  sellerId!: string;

  @Field({
    description:
      'Why the raw values are needed, e.g. "Raid warrant application, case 2026-0412". Recorded with every value revealed.',
  })
  @MinLength(10)
  @MaxLength(2000)
  purpose!: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'The legal basis: a referral whose leads name the seller. Required of an agency (a referral sent to it, not declined); optional for investigators.',
  })
  referralId?: string | null;

  @Field(() => [IdentifierKind], { nullable: true, description: 'Only identifiers of these kinds (default: all).' })
  kinds?: IdentifierKind[] | null;
}
