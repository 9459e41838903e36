import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { InvestigationStatus } from './investigation.states.js';

@ObjectType({ implements: Node, description: 'Internal work on one or more leads, towards a referral.' })
@Entity('investigation')
export class Investigation extends Node {
  @Field({ description: 'Human-readable reference, e.g. INV-2026-000042.' })
  @Column({ type: 'text' })
  reference!: string;

  @Field(() => InvestigationStatus, { description: 'Where it stands.' })
  @Column({ type: 'text' })
  status!: InvestigationStatus;

  @Field({ description: 'What is investigated.' })
  @Column({ type: 'text' })
  summary!: string;

  @Column({ name: 'internal_notes', type: 'text', nullable: true })
  internalNotes!: string | null;

  @Column({ name: 'assignee_id', type: 'bigint', nullable: true })
  assigneeId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was closed; null while open.' })
  @Column({ name: 'close_reason', type: 'text', nullable: true })
  closeReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was closed (UTC); null while open.' })
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
