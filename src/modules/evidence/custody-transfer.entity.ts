import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

/** Where a hand-over stands with its receiver (derived from `toAgencyId` and `acknowledgedAt`). */
export enum CustodyAcknowledgement {
  NOT_REQUESTED = 'NOT_REQUESTED',
  AWAITED = 'AWAITED',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
}
registerEnumType(CustodyAcknowledgement, {
  name: 'CustodyAcknowledgement',
  description: 'Whether the receiver of a hand-over has confirmed it.',
  valuesConfig: {
    NOT_REQUESTED: { description: 'The receiver is outside the system (a lab, a store): no acknowledgement is asked.' },
    AWAITED: { description: 'Handed to an agency that has not acknowledged receipt yet.' },
    ACKNOWLEDGED: { description: 'The receiving agency confirmed receipt (acknowledgeCustodyTransfer).' },
  },
});

@ObjectType({ implements: Node, description: 'One hand-over of an evidence item.' })
@Entity('custody_transfer')
export class CustodyTransfer extends Node {
  @Column({ name: 'evidence_id', type: 'bigint' })
  evidenceId!: string;

  @Field({ description: 'Who handed the item over.' })
  @Column({ name: 'from_custodian', type: 'text' })
  fromCustodian!: string;

  @Field({ description: 'Who received the item.' })
  @Column({ name: 'to_custodian', type: 'text' })
  toCustodian!: string;

  @Field({ description: 'When it changed hands (UTC).' })
  @Column({ name: 'transferred_at', type: 'timestamptz' })
  transferredAt!: Date;

  @Field({ description: 'Why it changed hands (e.g. lab testing, storage, court).' })
  @Column({ type: 'text' })
  purpose!: string;

  @Column({ name: 'recorded_by_id', type: 'bigint', nullable: true })
  recordedById!: string | null;

  /** The agency that received the item, when the receiver is one: it acknowledges the hand-over. */
  @Column({ name: 'to_agency_id', type: 'bigint', nullable: true })
  toAgencyId!: string | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the receiving agency acknowledged the hand-over (UTC); null while awaited or when none is asked.',
  })
  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt!: Date | null;

  @Column({ name: 'acknowledged_by_id', type: 'bigint', nullable: true })
  acknowledgedById!: string | null;

  @Field(() => CustodyAcknowledgement, {
    description: 'Whether the receiver has confirmed the hand-over: asked only of a receiving agency.',
  })
  get acknowledgement(): CustodyAcknowledgement {
    if (this.toAgencyId === null) return CustodyAcknowledgement.NOT_REQUESTED;
    return this.acknowledgedAt === null ? CustodyAcknowledgement.AWAITED : CustodyAcknowledgement.ACKNOWLEDGED;
  }
}
