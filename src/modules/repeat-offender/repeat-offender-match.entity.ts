import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { IdentifierKind } from '../seller/seller-identifier.entity.js';
import { SellerStatus } from '../seller/seller.entity.js';
import { PriorOffence, RepeatOffenderMatchStatus } from './repeat-offender-match.states.js';

/**
 * A seller that shares identifiers with an earlier offender (a closed seller, or one whose case ended in a
 * conviction), raised automatically with a lead: when the identifier is recorded, when a seller sharing it
 * becomes an offender (a conviction), or by the sweep. Internal only: it is derived from identifiers, which
 * link sellers into networks; its lead is seen by the brands of the earlier seller's cases.
 */
@ObjectType({
  implements: Node,
  description:
    'A seller sharing identifiers with an earlier offender, raised automatically with a lead (internal roles only).',
})
@Entity('repeat_offender_match')
export class RepeatOffenderMatch extends Node {
  @Column({ name: 'seller_id', type: 'bigint' })
  sellerId!: string;

  @Column({ name: 'prior_seller_id', type: 'bigint' })
  priorSellerId!: string;

  @Column({ name: 'lead_id', type: 'bigint' })
  leadId!: string;

  @Field(() => [IdentifierKind], { description: 'Kinds of the identifiers the two sellers share.' })
  @Column({ name: 'identifier_kinds', type: 'text', array: true })
  identifierKinds!: IdentifierKind[];

  @Field(() => [PriorOffence], {
    description: 'Why the earlier seller counts as an offender (when the match was raised).',
  })
  @Column({ name: 'prior_offences', type: 'text', array: true })
  priorOffences!: PriorOffence[];

  @Field(() => RepeatOffenderMatchStatus, { description: 'Whether it was decided, and how.' })
  @Column({ type: 'text' })
  status!: RepeatOffenderMatchStatus;

  @Field(() => SellerStatus, {
    nullable: true,
    description:
      'The status confirming the match set the seller to (REPEAT_OFFENDER_SANCTION); null while pending, or when it set none.',
  })
  @Column({ name: 'sanction_applied', type: 'text', nullable: true })
  sanctionApplied!: SellerStatus | null;

  @Field(() => String, { nullable: true, description: 'Why it was confirmed or rejected; null when none.' })
  @Column({ name: 'decision_note', type: 'text', nullable: true })
  decisionNote!: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When an investigator confirmed or rejected it (UTC); null while PENDING.',
  })
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'decided_by_id', type: 'bigint', nullable: true })
  decidedById!: string | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
