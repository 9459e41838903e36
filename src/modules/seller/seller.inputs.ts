import { ArrayMaxSize, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { IdentifierKind } from './seller-identifier.entity.js';
import { SellerStatus } from './seller.entity.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType()
export class SellerFilter {
  @Field(() => [SellerStatus], { nullable: true })
  status?: SellerStatus[];

  @Field(() => [String], { nullable: true, description: 'ISO 3166-2 regions, e.g. ["CN-ZJ", "CN-GD"].' })
  region?: string[];

  @Field(() => [String], { nullable: true })
  platform?: string[];

  @Field(() => [ID], { nullable: true, description: 'Sellers with listings claiming any of these brands.' })
  brandIds?: string[];

  @Field(() => DateRangeInput, { nullable: true })
  createdAt?: DateRangeInput;
}

export enum SellerOrderField {
  CREATED_AT = 'CREATED_AT',
  STRIKE_COUNT = 'STRIKE_COUNT',
  DISPLAY_NAME = 'DISPLAY_NAME',
}
registerEnumType(SellerOrderField, { name: 'SellerOrderField' });

export const sellerSortColumns: Record<SellerOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
  STRIKE_COUNT: { column: 'strike_count', property: 'strikeCount' },
  DISPLAY_NAME: { column: 'display_name', property: 'displayName' },
};
export const SELLER_DEFAULT_ORDER = { field: SellerOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const SellerOrder = OrderByInput('SellerOrder', SellerOrderField, SELLER_DEFAULT_ORDER.field);
export type SellerOrder = InstanceType<typeof SellerOrder>;

@InputType()
export class UpdateSellerStatusInput extends IdempotentInput {
  @Field(() => ID)
  sellerId!: string;

  @Field(() => SellerStatus, { description: 'A sanction (up, steps may be skipped) or a lift (down by one step or more, e.g. RESTRICTED -> WARNED). CLOSED is final.' })
  status!: SellerStatus;

  @Field({ description: 'Why: recorded with the rule (e.g. "investigator lift RESTRICTED -> WARNED") in the audit trail.' })
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType({ description: 'A raw identifier value: kept as a keyed hash (for linking) and encrypted (for a purpose-bound reveal).' })
export class SellerIdentifierValueInput {
  @Field(() => IdentifierKind)
  kind!: IdentifierKind;

  @Field({ description: 'The raw value as found (e.g. a phone number in any spelling); normalised before hashing.' })
  @MinLength(1)
  @MaxLength(500)
  value!: string;
}

@InputType()
export class AddSellerIdentifierInput extends SellerIdentifierValueInput {
  @Field(() => ID)
  sellerId!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class CreateSellerInput {
  @Field({ description: 'e.g. "TAOBAO".' })
  @MinLength(1)
  @MaxLength(50)
  platform!: string;

  @Field({ description: "The platform's own id of the shop." })
  @MinLength(1)
  @MaxLength(200)
  externalId!: string;

  @Field()
  @MinLength(1)
  @MaxLength(300)
  displayName!: string;

  @Field({ description: 'ISO 3166-2 subdivision (e.g. "CN-ZJ") or ISO 3166-1 country code.' })
  region!: string;

  @Field(() => [SellerIdentifierValueInput], { nullable: true, description: 'What the shop is known by (at most 20).' })
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  identifiers?: SellerIdentifierValueInput[] | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class RevealSellerIdentifiersInput {
  @Field(() => ID)
  sellerId!: string;

  @Field({ description: 'Why the raw values are needed, e.g. "Raid warrant application, case 2026-0412". Recorded with every value revealed.' })
  @MinLength(10)
  @MaxLength(2000)
  purpose!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The legal basis: a referral whose leads name the seller. Required of an agency (a referral sent to it, not declined); optional for investigators.',
  })
  referralId?: string | null;

  @Field(() => [IdentifierKind], { nullable: true, description: 'Only identifiers of these kinds (default: all).' })
  kinds?: IdentifierKind[] | null;
}
