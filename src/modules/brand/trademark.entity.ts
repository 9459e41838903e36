import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

@ObjectType({ implements: Node, description: 'A registered trademark of a brand.' })
@Entity('trademark')
export class Trademark extends Node {
  @Column({ name: 'brand_id', type: 'bigint' })
  brandId!: string;

  @Field({ description: 'The mark as registered (word or description of a figurative mark).' })
  @Column({ type: 'text' })
  mark!: string;

  @Field({ description: 'Its registration number at the trademark office.' })
  @Column({ name: 'registration_number', type: 'text' })
  registrationNumber!: string;

  @Field({ description: 'Where it is registered: ISO 3166 country code or e.g. "EU", "WIPO".' })
  @Column({ type: 'text' })
  jurisdiction!: string;

  @Field(() => [Int], { description: 'Nice classification classes (1-45).' })
  @Column({ name: 'nice_classes', type: 'int', array: true })
  niceClasses!: number[];
}
