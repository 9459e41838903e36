import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ReferralChangeKind, ReferralStatus } from './referral.states.js';

/** One change of a sent referral, in commit order: what agencies' tools sync from. */
@ObjectType({ description: 'One change of a referral, in commit order.' })
@Entity('referral_change')
export class ReferralChange {
  @Field(() => String, { description: 'Position in the feed: increases in commit order.' })
  @PrimaryColumn({ type: 'bigint', generated: 'identity' })
  seq!: string;

  @Field({ description: 'When the change was committed (UTC).' })
  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'referral_id', type: 'bigint' })
  referralId!: string;

  @Column({ name: 'agency_id', type: 'bigint' })
  agencyId!: string;

  @Field(() => ReferralChangeKind, { description: 'What happened.' })
  @Column({ type: 'text' })
  kind!: ReferralChangeKind;

  @Field(() => ReferralStatus, { description: 'The referral status right after this change.' })
  @Column({ type: 'text' })
  status!: ReferralStatus;

  @Column({ name: 'outcome_id', type: 'bigint', nullable: true })
  outcomeId!: string | null;
}
