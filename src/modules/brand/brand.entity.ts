import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

export enum BrandStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(BrandStatus, {
  name: 'BrandStatus',
  valuesConfig: {
    ACTIVE: { description: 'A partner in good standing.' },
    SUSPENDED: { description: 'Partnership suspended.' },
  },
  description: "Whether a brand partner's access is in force.",
});

@ObjectType({ implements: Node, description: 'A rights holder that reports counterfeits and follows its cases.' })
@Entity('brand')
export class Brand extends Node {
  @Field({ description: "The brand's name as it trades." })
  @Column({ type: 'text' })
  name!: string;

  @Field({ description: 'Stable, URL-safe handle, e.g. "acme".' })
  @Index({ unique: true })
  @Column({ type: 'text' })
  slug!: string;

  @Field(() => BrandStatus, { description: "Whether the brand's partnership is in force." })
  @Column({ type: 'text' })
  status!: BrandStatus;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
