import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

export enum IdentifierKind {
  PAYMENT_ACCOUNT = 'PAYMENT_ACCOUNT',
  PHONE = 'PHONE',
  EMAIL = 'EMAIL',
  ADDRESS = 'ADDRESS',
  DEVICE = 'DEVICE',
  BUSINESS_LICENSE = 'BUSINESS_LICENSE',
  BANK_ACCOUNT = 'BANK_ACCOUNT',
}
registerEnumType(IdentifierKind, { name: 'IdentifierKind' });

/**
 * Something a seller is known by. Only a keyed hash of the normalised value is stored: enough to link
 * sellers that share it, useless to anyone without the key.
 */
@ObjectType({ implements: Node, description: 'Something a seller is known by, kept only as a keyed hash.' })
@Entity('seller_identifier')
export class SellerIdentifier extends Node {
  @Column({ name: 'seller_id', type: 'bigint' })
  sellerId!: string;

  @Field(() => IdentifierKind)
  @Column({ type: 'text' })
  kind!: IdentifierKind;

  /** Hex HMAC-SHA256 of the normalised value; exposed through a resolver that masks it for analysts. */
  @Column({ name: 'value_hash', type: 'text' })
  valueHash!: string;
}
