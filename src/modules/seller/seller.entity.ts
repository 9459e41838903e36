import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

export enum SellerStatus {
  ACTIVE = 'ACTIVE',
  WARNED = 'WARNED',
  RESTRICTED = 'RESTRICTED',
  SUSPENDED = 'SUSPENDED',
  CLOSED = 'CLOSED',
}
registerEnumType(SellerStatus, { name: 'SellerStatus' });

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

  @Field()
  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Field({ description: 'ISO 3166-2 subdivision (e.g. "CN-ZJ") or ISO 3166-1 country code.' })
  @Column({ type: 'text' })
  region!: string;

  @Field(() => SellerStatus)
  @Column({ type: 'text' })
  status!: SellerStatus;

  @Field(() => Int, { description: 'Confirmed infringements counted against the shop.' })
  @Column({ name: 'strike_count', type: 'int', default: 0 })
  strikeCount!: number;

  @Field()
  @VersionColumn()
  version!: number;
}
