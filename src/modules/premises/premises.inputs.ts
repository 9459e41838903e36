import { Max, MaxLength, Min, MinLength } from 'class-validator';
import { Field, Float, ID, InputType } from 'type-graphql';
import { PremisesKind } from './premises.entity.js';

@InputType({ description: 'A position on Earth (WGS 84).' })
export class GeoPointInput {
  @Field(() => Float, { description: 'Degrees north, -90 to 90.' })
  @Min(-90)
  @Max(90)
  latitude!: number;

  @Field(() => Float, { description: 'Degrees east, -180 to 180.' })
  @Min(-180)
  @Max(180)
  longitude!: number;
}

@InputType({ description: 'An offline place to register, to link findings and outcomes to it (registerPremises).' })
export class RegisterPremisesInput {
  @Field(() => PremisesKind, { description: 'What kind of place it is.' })
  kind!: PremisesKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  region!: string;

  @Field({
    description: 'One premises per region and address (case and spacing aside): a second registration is DUPLICATE.',
  })
  @MinLength(1)
  @MaxLength(1000)
  address!: string;

  @Field(() => GeoPointInput, { nullable: true, description: 'Where it is, if known.' })
  location?: GeoPointInput | null;

  @Field(() => String, { nullable: true, description: 'Internal notes (never shown to agencies).' })
  @MaxLength(10_000)
  notes?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second place.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Narrows a list of premises; every field given must match.' })
export class PremisesFilter {
  @Field(() => [PremisesKind], { nullable: true, description: 'Premises of any of these kinds.' })
  kind?: PremisesKind[];

  @Field(() => [String], { nullable: true, description: 'ISO 3166-2 regions.' })
  region?: string[];

  @Field(() => [ID], { nullable: true, description: 'Premises found by any of these investigations.' })
  investigationIds?: string[];
}
