import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';
import { FindingKind } from './investigation.states.js';

@ObjectType({ implements: Node, description: 'An offline place found behind the online sellers.' })
@Entity('finding')
export class Finding extends Node {
  @Column({ name: 'investigation_id', type: 'bigint' })
  investigationId!: string;

  @Field(() => FindingKind, { description: 'What kind of place it is.' })
  @Column({ type: 'text' })
  kind!: FindingKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  @Column({ type: 'text' })
  region!: string;

  @Field({ description: 'Where it was found, as written.' })
  @Column({ type: 'text' })
  address!: string;

  @Field(() => String, { nullable: true, description: 'What was seen there.' })
  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ name: 'premises_id', type: 'bigint', nullable: true })
  premisesId!: string | null;
}
