import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { LeadCloseReason, LeadSource, LeadStatus } from './lead.states.js';

@ObjectType({
  implements: Node,
  description: 'A suspected counterfeit source: brands, sellers and listings that point at it.',
})
@Entity('lead')
export class Lead extends Node {
  @Field({ description: 'Human-readable reference, e.g. LD-2026-000123. Never reused.' })
  @Column({ type: 'text' })
  reference!: string;

  @Field(() => LeadSource, { description: 'Where it came from.' })
  @Column({ type: 'text' })
  source!: LeadSource;

  @Field({ description: 'What the reporter saw and why it looks counterfeit.' })
  @Column({ type: 'text' })
  description!: string;

  @Field(() => Int, {
    description:
      'How likely and how serious, 0-100: set by investigators (at triage, or reporting a lead themselves); 50 until triaged for a report of a brand partner. Orders the triage queue.',
  })
  @Column({ name: 'risk_score', type: 'int' })
  riskScore!: number;

  @Field(() => Int, {
    nullable: true,
    description:
      "The reporter's own view of its urgency, 0-100 (a brand partner's `reporterPriority`, or its former `riskScore` input). Shown to investigators; never orders the triage queue.",
  })
  @Column({ name: 'reporter_priority', type: 'int', nullable: true })
  reporterPriority!: number | null;

  @Field(() => LeadStatus, { description: 'Where it stands.' })
  @Column({ type: 'text' })
  status!: LeadStatus;

  @Field(() => LeadCloseReason, { nullable: true, description: 'Why it was closed; null while open.' })
  @Column({ name: 'close_reason', type: 'text', nullable: true })
  closeReason!: LeadCloseReason | null;

  @Field(() => String, { nullable: true, description: 'Free text beside the close reason; null when none.' })
  @Column({ name: 'close_note', type: 'text', nullable: true })
  closeNote!: string | null;

  /** Internal only: exposed through a resolver that hides it from partners. */
  @Column({ name: 'internal_notes', type: 'text', nullable: true })
  internalNotes!: string | null;

  @Column({ name: 'reported_by_id', type: 'bigint', nullable: true })
  reportedById!: string | null;

  @Column({ name: 'investigation_id', type: 'bigint', nullable: true })
  investigationId!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was triaged (UTC); null before.' })
  @Column({ name: 'triaged_at', type: 'timestamptz', nullable: true })
  triagedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was closed (UTC); null while open.' })
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Field({
    description:
      'Reported by a brand whose reports have proven accurate (Analytics.reporterAccuracy): it goes to the front of the triage queue.',
  })
  @Column({ name: 'fast_track', type: 'boolean', default: false })
  fastTrack!: boolean;

  /** Order of the triage queue (orderBy TRIAGE_PRIORITY): fast-tracked first, then by risk score. Computed by PostgreSQL. */
  @Column({ name: 'triage_priority', type: 'int', insert: false, update: false })
  triagePriority!: number;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
