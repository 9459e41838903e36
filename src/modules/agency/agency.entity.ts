import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { AgencyKind } from '../../shared/agency-kind.js';
import { Node } from '../../shared/relay/node.js';

// Declared in shared/ (the settings hold a referral deadline per kind); the agency module's own from here.
export { AgencyKind };

@ObjectType({ implements: Node, description: 'A law-enforcement or regulatory body that receives referrals.' })
@Entity('agency')
export class Agency extends Node {
  @Field({ description: "The agency's official name." })
  @Column({ type: 'text' })
  name!: string;

  @Field({ description: 'Short unique code, e.g. "PSB-ZJ-YW".' })
  @Index({ unique: true })
  @Column({ type: 'text' })
  code!: string;

  @Field(() => AgencyKind, { description: 'What kind of agency it is.' })
  @Column({ type: 'text' })
  kind!: AgencyKind;

  @Field({ description: 'Where it has authority: ISO 3166-1 or 3166-2 code, e.g. "CN-ZJ".' })
  @Column({ type: 'text' })
  jurisdiction!: string;
}
