import { Field, ID, ObjectType } from 'type-graphql';
import { IdentifierKind } from './seller-identifier.entity.js';

@ObjectType({ description: 'One raw identifier value, revealed for a stated purpose.' })
export class RevealedSellerIdentifier {
  @Field(() => ID, { nullable: true, description: 'The SellerIdentifier (internal roles; null for agencies, which cannot read identifiers otherwise).' })
  identifierId!: string | null;

  @Field(() => IdentifierKind)
  kind!: IdentifierKind;

  @Field(() => String, { nullable: true, description: 'The raw value; null when only its hash was ever kept.' })
  value!: string | null;
}

/** What one reveal disclosed, to whom it was recorded as disclosed, and on which basis. */
@ObjectType({ description: 'A purpose-bound disclosure of raw seller identifiers: each value revealed is recorded in the audit trail with the actor, the purpose and the time.' })
export class SellerIdentifierDisclosure {
  @Field(() => ID)
  sellerId!: string;

  @Field(() => ID, { nullable: true, description: 'The referral stated as legal basis.' })
  referralId!: string | null;

  @Field()
  purpose!: string;

  @Field()
  revealedAt!: Date;

  @Field(() => [RevealedSellerIdentifier])
  identifiers!: RevealedSellerIdentifier[];
}
