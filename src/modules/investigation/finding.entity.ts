import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { FindingKind } from './investigation.states.js';

@ObjectType({ implements: Node, description: 'An offline place found behind the online sellers.' })
@Entity('finding')
export class Finding extends Node {
  @Column({ name: 'investigation_id', type: 'bigint' })
  investigationId!: string;

  @Field(() => FindingKind)
  @Column({ type: 'text' })
  kind!: FindingKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  @Column({ type: 'text' })
  region!: string;

  @Field()
  @Column({ type: 'text' })
  address!: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ name: 'premises_id', type: 'bigint', nullable: true })
  premisesId!: string | null;
}
