import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One recorded change, chained to the previous one by hash so that tampering is detectable. */
@ObjectType({ description: 'One recorded change: who did what, when, to which record.' })
@Entity('audit_event')
export class AuditEvent {
  /** Position in the whole chain (commit order); exposed to internal roles by the audit resolver. */
  @PrimaryColumn({ type: 'bigint', generated: 'identity' })
  seq!: string;

  @Field()
  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'actor_id', type: 'bigint', nullable: true })
  actorId!: string | null;

  /** Who acted: principal name and role, or "system". Exposed to internal roles by the audit resolver. */
  @Column({ name: 'actor_label', type: 'text' })
  actorLabel!: string;

  @Field({ description: 'What was done, e.g. "lead.triaged".' })
  @Column({ type: 'text' })
  action!: string;

  @Field({ description: 'GraphQL type of the record changed.' })
  @Column({ name: 'entity_type', type: 'text' })
  entityType!: string;

  @Column({ name: 'entity_id', type: 'bigint' })
  entityId!: string;

  @Column({ type: 'jsonb', nullable: true })
  before!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after!: Record<string, unknown> | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash!: string;

  @Column({ type: 'text' })
  hash!: string;
}
