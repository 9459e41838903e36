import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One recorded change, chained to the previous one by hash so that tampering is detectable. */
@ObjectType({ description: 'One recorded change: who did what, when, to which record.' })
@Entity('audit_event')
export class AuditEvent {
  /** Position in the whole chain (commit order); exposed to internal roles by the audit resolver. */
  @PrimaryColumn({ type: 'bigint', generated: 'identity' })
  seq!: string;

  @Field({ description: 'When the change was committed (UTC).' })
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

  /**
   * Position of the event's leaf in the audit log's Merkle tree: 0, 1, 2... in commit order, without the
   * gaps `seq` may have. Its leaf is `hash` (hex-decoded). Exposed through inclusion proofs only.
   */
  @Column({ name: 'leaf_index', type: 'bigint' })
  leafIndex!: string;

  /** Ed25519 signature of the leaf hash by the log's key (null for the events before signing began). */
  @Column({ type: 'bytea', nullable: true })
  signature!: Buffer | null;

  /** Id of the key that made `signature`. */
  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId!: string | null;
}
