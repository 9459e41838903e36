import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { ReferralDeadline } from './referral.deadlines.js';

/** An escalation of a referral the agency is late on (or stuck with): who escalated it to whom, and why. */
@ObjectType({
  implements: Node,
  description:
    'A referral escalated to someone above or beside the agency contact (internal roles and the agency of the referral).',
})
@Entity('referral_escalation')
export class ReferralEscalation extends Node {
  @Column({ name: 'referral_id', type: 'bigint' })
  referralId!: string;

  @Column({ name: 'investigation_id', type: 'bigint' })
  investigationId!: string;

  @Field({
    description: 'Whom it was escalated to: free text, e.g. "Director, Yiwu PSB economic crimes unit, +86 579 ...".',
  })
  @Column({ name: 'escalated_to', type: 'text' })
  escalatedTo!: string;

  @Field({ description: 'Why it was escalated.' })
  @Column({ type: 'text' })
  reason!: string;

  @Field(() => ReferralDeadline, {
    nullable: true,
    description: 'The deadline the referral had missed when it was escalated, if any.',
  })
  @Column({ name: 'missed_deadline', type: 'text', nullable: true })
  missedDeadline!: ReferralDeadline | null;

  @Column({ name: 'escalated_by_id', type: 'bigint', nullable: true })
  escalatedById!: string | null;
}
