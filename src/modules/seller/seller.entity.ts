import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { SellerStatus } from '../enforcement-policy/policy-terms.js';

// Decided by the enforcement policy (strikes), so declared beside it (policy-terms.ts); the seller's own from here.
export { SellerStatus };

@ObjectType({ implements: Node, description: 'A shop on the marketplace.' })
@Entity('seller')
@Index(['platform', 'externalId'], { unique: true })
export class Seller extends Node {
  @Field({ description: 'Marketplace platform the shop is on, e.g. "TAOBAO", "TMALL".' })
  @Column({ type: 'text' })
  platform!: string;

  @Field({ description: "The platform's own id of the shop." })
  @Column({ name: 'external_id', type: 'text' })
  externalId!: string;

  @Field({ description: "The shop's name as shown on the platform." })
  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Field({ description: 'ISO 3166-2 subdivision (e.g. "CN-ZJ") or ISO 3166-1 country code.' })
  @Column({ type: 'text' })
  region!: string;

  @Field(() => SellerStatus, { description: 'What the marketplace has done to it.' })
  @Column({ type: 'text' })
  status!: SellerStatus;

  @Field(() => Int, { description: 'Confirmed infringements counted against the shop.' })
  @Column({ name: 'strike_count', type: 'int', default: 0 })
  strikeCount!: number;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
