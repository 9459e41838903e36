import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { SellerStatus } from './seller.entity.js';

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
export class UpdateSellerStatusInput {
  @Field(() => ID)
  sellerId!: string;

  @Field(() => SellerStatus)
  status!: SellerStatus;

  @Field()
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}
