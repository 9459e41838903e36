import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { ReferralStatus } from './referral.states.js';

@ObjectType({ implements: Node, description: 'An investigation handed to an agency so that it can act offline.' })
@Entity('referral')
export class Referral extends Node {
  @Field({ description: 'Human-readable reference, e.g. REF-2026-000007.' })
  @Column({ type: 'text' })
  reference!: string;

  @Column({ name: 'investigation_id', type: 'bigint' })
  investigationId!: string;

  @Column({ name: 'agency_id', type: 'bigint' })
  agencyId!: string;

  @Field(() => ReferralStatus, { description: 'Where it stands.' })
  @Column({ type: 'text' })
  status!: ReferralStatus;

  @Field({ description: 'The case as the agency reads it.' })
  @Column({ type: 'text' })
  summary!: string;

  @Field(() => String, { nullable: true, description: "The agency's own case number, given when it acknowledges." })
  @Column({ name: 'agency_case_reference', type: 'text', nullable: true })
  agencyCaseReference!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why the agency declined it; null unless DECLINED (or closed after).',
  })
  @Column({ name: 'decline_reason', type: 'text', nullable: true })
  declineReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was sent (UTC); null for a draft.' })
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the agency acknowledged it (UTC); null before.' })
  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "Deadline of the agency's acknowledgement: set when sent, from the deadlines of the agency's kind.",
  })
  @Column({ name: 'acknowledge_by', type: 'timestamptz', nullable: true })
  acknowledgeBy!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "Deadline of the agency's first action (raid, arrest, seizure, fine) or decline: set when sent.",
  })
  @Column({ name: 'action_by', type: 'timestamptz', nullable: true })
  actionBy!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the agency first reported action (raid, seizure, arrest, fine).',
  })
  @Column({ name: 'first_action_at', type: 'timestamptz', nullable: true })
  firstActionAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it ended in a conviction or acquittal.' })
  @Column({ name: 'concluded_at', type: 'timestamptz', nullable: true })
  concludedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was closed (UTC); null before.' })
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
