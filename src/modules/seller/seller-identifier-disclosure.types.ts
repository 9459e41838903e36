import { Field, ID, ObjectType } from 'type-graphql';
import { IdentifierKind } from './seller-identifier.entity.js';
import { MAX_IDENTIFIERS_PER_SELLER } from '../../shared/list-bounds.js';

@ObjectType({ description: 'One raw identifier value, revealed for a stated purpose.' })
export class RevealedSellerIdentifier {
  @Field(() => ID, {
    nullable: true,
    description: 'The SellerIdentifier (internal roles; null for agencies, which cannot read identifiers otherwise).',
  })
  identifierId!: string | null;

  @Field(() => IdentifierKind, { description: 'What kind of identifier it is.' })
  kind!: IdentifierKind;

  @Field(() => String, { nullable: true, description: 'The raw value; null when only its hash was ever kept.' })
  value!: string | null;
}

/** What one reveal disclosed, to whom it was recorded as disclosed, and on which basis. */
@ObjectType({
  description:
    'A purpose-bound disclosure of raw seller identifiers: each value revealed is recorded in the audit trail with the actor, the purpose and the time.',
})
export class SellerIdentifierDisclosure {
  @Field(() => ID, { description: 'Global id of the seller.' })
  sellerId!: string;

  @Field(() => ID, { nullable: true, description: 'The referral stated as legal basis.' })
  referralId!: string | null;

  @Field({ description: 'The purpose stated for the reveal.' })
  purpose!: string;

  @Field({ description: 'When they were revealed (UTC).' })
  revealedAt!: Date;

  @Field(() => [RevealedSellerIdentifier], {
    description: `The seller's identifiers in clear (of the kinds asked for). At most ${MAX_IDENTIFIERS_PER_SELLER}, as Seller.identifiers.`,
  })
  identifiers!: RevealedSellerIdentifier[];
}
