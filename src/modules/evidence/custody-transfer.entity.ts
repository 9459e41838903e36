import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

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
}
