import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

export enum AgencyKind {
  PUBLIC_SECURITY = 'PUBLIC_SECURITY',
  MARKET_REGULATION = 'MARKET_REGULATION',
  CUSTOMS = 'CUSTOMS',
  IP_OFFICE = 'IP_OFFICE',
  PROSECUTOR = 'PROSECUTOR',
  OTHER = 'OTHER',
}
registerEnumType(AgencyKind, {
  name: 'AgencyKind',
  valuesConfig: {
    CUSTOMS: { description: 'Customs: goods crossing the border.' },
    IP_OFFICE: { description: 'An intellectual-property office.' },
    MARKET_REGULATION: { description: 'Market regulation (administration for market supervision).' },
    OTHER: { description: 'Any other agency.' },
    PROSECUTOR: { description: "A public prosecutor's office." },
    PUBLIC_SECURITY: { description: 'Police (public security bureau).' },
  },
  description: 'What kind of government agency it is.',
});

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
