import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Money } from '../../shared/money/money.js';
import { Node } from '../../shared/relay/node.js';

export enum ListingStatus {
  LIVE = 'LIVE',
  TAKEN_DOWN = 'TAKEN_DOWN',
  REINSTATED = 'REINSTATED',
}
registerEnumType(ListingStatus, { name: 'ListingStatus' });

@ObjectType({ implements: Node, description: 'One product offer on the marketplace.' })
@Entity('listing')
export class Listing extends Node {
  @Column({ name: 'seller_id', type: 'bigint' })
  sellerId!: string;

  /** The brand the listing claims to be (not necessarily genuine). */
  @Column({ name: 'brand_id', type: 'bigint' })
  brandId!: string;

  @Field()
  @Column({ type: 'text' })
  title!: string;

  @Field()
  @Column({ type: 'text' })
  url!: string;

  @Column({ name: 'price_amount', type: 'bigint' })
  priceAmount!: string;

  @Column({ name: 'price_currency', type: 'char', length: 3 })
  priceCurrency!: string;

  @Field(() => ListingStatus)
  @Column({ type: 'text' })
  status!: ListingStatus;

  @Field(() => Date, { nullable: true, description: 'When the listing was last taken down.' })
  @Column({ name: 'taken_down_at', type: 'timestamptz', nullable: true })
  takenDownAt!: Date | null;

  @Field()
  @VersionColumn()
  version!: number;

  @Field(() => Money, { description: 'Asking price.' })
  get price(): Money {
    return Money.of(this.priceAmount, this.priceCurrency)!;
  }
}
