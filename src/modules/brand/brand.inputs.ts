import { Field, InputType, registerEnumType } from 'type-graphql';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { BrandStatus } from './brand.entity.js';

@InputType({ description: 'Narrows a list of brands; every field given must match.' })
export class BrandFilter {
  @Field(() => [BrandStatus], { nullable: true, description: 'Brands in any of these statuses.' })
  status?: BrandStatus[];

  @Field(() => [String], { nullable: true, description: 'Exact slugs.' })
  slug?: string[];
}

export enum BrandOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(BrandOrderField, {
  name: 'BrandOrderField',
  valuesConfig: {
    CREATED_AT: { description: 'When the brand was recorded.' },
    NAME: { description: "The brand's name." },
  },
  description: 'What a list of brands is sorted by.',
});

export const brandSortColumns: Record<BrandOrderField, SortColumn> = {
  NAME: { column: 'name', property: 'name' },
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
};
export const BRAND_DEFAULT_ORDER = { field: BrandOrderField.NAME, direction: OrderDirection.ASC };
export const BrandOrder = OrderByInput(
  'BrandOrder',
  BrandOrderField,
  BRAND_DEFAULT_ORDER.field,
  BRAND_DEFAULT_ORDER.direction,
);
export type BrandOrder = InstanceType<typeof BrandOrder>;
