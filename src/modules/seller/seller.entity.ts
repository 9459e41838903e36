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
registerEnumType(SellerStatus, {
  name: 'SellerStatus',
  valuesConfig: {
    ACTIVE: { description: 'Trading normally.' },
    CLOSED: { description: 'Shop closed for good.' },
    RESTRICTED: { description: 'Trading limited by the marketplace.' },
    SUSPENDED: { description: 'Trading stopped for now.' },
    WARNED: { description: 'Warned; still trading.' },
  },
  description: 'What the marketplace has done to a seller, from ACTIVE to CLOSED.',
});

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
