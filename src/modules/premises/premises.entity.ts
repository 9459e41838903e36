import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

export enum PremisesKind {
  FACTORY = 'FACTORY',
  WAREHOUSE = 'WAREHOUSE',
  WORKSHOP = 'WORKSHOP',
  RETAIL = 'RETAIL',
  ADDRESS = 'ADDRESS',
}
registerEnumType(PremisesKind, {
  name: 'PremisesKind',
  description: 'What kind of place registered premises are.',
  valuesConfig: {
    FACTORY: { description: 'Where counterfeits are made.' },
    WAREHOUSE: { description: 'Where counterfeits are stored.' },
    WORKSHOP: { description: 'Where counterfeits are finished or labelled.' },
    RETAIL: { description: 'A shop selling to the public.' },
    ADDRESS: { description: 'A place of unknown use (a registered or delivery address).' },
  },
});

@ObjectType({ description: 'A point on the map (WGS 84).' })
export class GeoPoint {
  @Field(() => Float, { description: 'Degrees north, -90 to 90.' })
  latitude!: number;

  @Field(() => Float, { description: 'Degrees east, -180 to 180.' })
  longitude!: number;
}

/**
 * An offline place behind the online sellers: linked to the findings of investigations and to the
 * outcomes agencies report there, so that its raid history is kept. Internal roles and the agencies whose
 * referrals name it; brand partners never (they see the region of an outcome, `EnforcementOutcome.region`).
 */
@ObjectType({
  implements: Node,
  description:
    'An offline place (factory, warehouse, workshop, shop, address) with its raid history: internal roles and the agencies whose referrals name it.',
})
@Entity('premises')
export class Premises extends Node {
  @Field(() => PremisesKind, { description: 'What kind of place it is.' })
  @Column({ type: 'text' })
  kind!: PremisesKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  @Column({ type: 'text' })
  region!: string;

  @Field({ description: 'Its address, as written.' })
  @Column({ type: 'text' })
  address!: string;

  @Column({ type: 'double precision', nullable: true })
  latitude!: number | null;

  @Column({ type: 'double precision', nullable: true })
  longitude!: number | null;

  /** Internal only: exposed through a resolver that hides it from agencies. */
  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;

  @Field(() => GeoPoint, { nullable: true, description: 'Where it is on the map; null when unknown.' })
  get location(): GeoPoint | null {
    return this.latitude === null || this.longitude === null
      ? null
      : { latitude: this.latitude, longitude: this.longitude };
  }
}
