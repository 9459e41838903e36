import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

/** What the agency wrote back on a referral; part of the investigation's history. */
@ObjectType({
  implements: Node,
  description: "The agency's feedback on a referral (internal roles and the agency of the referral).",
})
@Entity('referral_feedback')
export class ReferralFeedback extends Node {
  @Column({ name: 'referral_id', type: 'bigint' })
  referralId!: string;

  @Column({ name: 'investigation_id', type: 'bigint' })
  investigationId!: string;

  @Field({ description: 'The feedback, as written by the agency.' })
  @Column({ type: 'text' })
  message!: string;

  @Column({ name: 'author_id', type: 'bigint', nullable: true })
  authorId!: string | null;
}
