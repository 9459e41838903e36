import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Money } from '../../shared/money/money.js';
import { Node } from '../../shared/relay/node.js';

export enum ListingStatus {
  LIVE = 'LIVE',
  TAKEN_DOWN = 'TAKEN_DOWN',
  REINSTATED = 'REINSTATED',
}
registerEnumType(ListingStatus, {
  name: 'ListingStatus',
  valuesConfig: {
    LIVE: { description: 'Up, as found.' },
    REINSTATED: { description: 'Up again after a take-down was reversed.' },
    TAKEN_DOWN: { description: 'Taken down (takeDownListings).' },
  },
  description: 'Whether a listing is up on the marketplace.',
});

@ObjectType({ implements: Node, description: 'One product offer on the marketplace.' })
@Entity('listing')
export class Listing extends Node {
  @Column({ name: 'seller_id', type: 'bigint' })
  sellerId!: string;

  /** The brand the listing claims to be (not necessarily genuine). */
  @Column({ name: 'brand_id', type: 'bigint' })
  brandId!: string;

  @Field({ description: "The listing's title as found." })
  @Column({ type: 'text' })
  title!: string;

  @Field({ description: "The listing's address on the marketplace." })
  @Column({ type: 'text' })
  url!: string;

  @Column({ name: 'price_amount', type: 'bigint' })
  priceAmount!: string;

  @Column({ name: 'price_currency', type: 'char', length: 3 })
  priceCurrency!: string;

  @Field(() => ListingStatus, { description: 'Whether it is up on the marketplace.' })
  @Column({ type: 'text' })
  status!: ListingStatus;

  @Field(() => Date, { nullable: true, description: 'When the listing was last taken down.' })
  @Column({ name: 'taken_down_at', type: 'timestamptz', nullable: true })
  takenDownAt!: Date | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;

  @Field(() => Money, { description: 'Asking price.' })
  get price(): Money {
    return Money.of(this.priceAmount, this.priceCurrency)!;
  }
}
