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
registerEnumType(IdentifierKind, {
  name: 'IdentifierKind',
  valuesConfig: {
    ADDRESS: { description: 'A postal, registered or shipping address.' },
    BANK_ACCOUNT: { description: 'A bank account number.' },
    BUSINESS_LICENSE: { description: 'A business licence or registration number.' },
    DEVICE: { description: 'A device fingerprint seen by the platform.' },
    EMAIL: { description: 'An e-mail address.' },
    PAYMENT_ACCOUNT: { description: 'An account with a payment service (e.g. Alipay).' },
    PHONE: { description: 'A phone number (normalised to E.164 before hashing).' },
  },
  description: 'What kind of value a seller identifier is.',
});

/**
 * Something a seller is known by: a keyed hash of the normalised value, enough to link sellers that share
 * it and useless to anyone without the key, and the raw value encrypted (identifier-cipher.ts), revealed
 * only for a stated purpose (revealSellerIdentifiers) and never exposed as a field.
 */
@ObjectType({
  implements: Node,
  description:
    'Something a seller is known by, kept as a keyed hash (for linking) and an encrypted value (revealed only for a stated purpose).',
})
@Entity('seller_identifier')
export class SellerIdentifier extends Node {
  @Column({ name: 'seller_id', type: 'bigint' })
  sellerId!: string;

  @Field(() => IdentifierKind, { description: 'What kind of identifier it is.' })
  @Column({ type: 'text' })
  kind!: IdentifierKind;

  /** Hex HMAC-SHA256 of the normalised value; exposed through a resolver that masks it for analysts. */
  @Column({ name: 'value_hash', type: 'text' })
  valueHash!: string;

  /** AES-256-GCM of the raw value (identifier-cipher.ts); null for identifiers recorded as a hash only. */
  @Column({ name: 'value_encrypted', type: 'text', nullable: true })
  valueEncrypted!: string | null;

  @Column({ name: 'encryption_key_id', type: 'text', nullable: true })
  encryptionKeyId!: string | null;

  @Field({ description: 'Whether the raw value is kept (encrypted) and can be revealed.' })
  get revealable(): boolean {
    return this.valueEncrypted !== null;
  }
}
