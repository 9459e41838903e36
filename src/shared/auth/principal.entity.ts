import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Role } from './role.js';
import { Node } from '../relay/node.js';

@ObjectType({ implements: Node, description: 'Someone or something that calls the API with API keys.' })
@Entity('principal')
export class Principal extends Node {
  @Field({ description: 'Who the principal is (a person or a system).' })
  @Column({ type: 'text' })
  name!: string;

  @Field(() => Role, { description: 'What it may see and do.' })
  @Column({ type: 'text' })
  role!: Role;

  /** Set for brand partners only. */
  @Column({ name: 'brand_id', type: 'bigint', nullable: true })
  brandId!: string | null;

  /** Set for agency liaisons only. */
  @Column({ name: 'agency_id', type: 'bigint', nullable: true })
  agencyId!: string | null;
}
