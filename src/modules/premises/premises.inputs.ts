import { Max, MaxLength, Min, MinLength } from 'class-validator';
import { Field, Float, ID, InputType } from 'type-graphql';
import { PremisesKind } from './premises.entity.js';

@InputType()
export class GeoPointInput {
  @Field(() => Float)
  @Min(-90)
  @Max(90)
  latitude!: number;

  @Field(() => Float)
  @Min(-180)
  @Max(180)
  longitude!: number;
}

@InputType()
export class RegisterPremisesInput {
  @Field(() => PremisesKind)
  kind!: PremisesKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  region!: string;

  @Field({ description: 'One premises per region and address (case and spacing aside): a second registration is DUPLICATE.' })
  @MinLength(1)
  @MaxLength(1000)
  address!: string;

  @Field(() => GeoPointInput, { nullable: true })
  location?: GeoPointInput | null;

  @Field(() => String, { nullable: true, description: 'Internal notes (never shown to agencies).' })
  @MaxLength(10_000)
  notes?: string | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class PremisesFilter {
  @Field(() => [PremisesKind], { nullable: true })
  kind?: PremisesKind[];

  @Field(() => [String], { nullable: true, description: 'ISO 3166-2 regions.' })
  region?: string[];

  @Field(() => [ID], { nullable: true, description: 'Premises found by any of these investigations.' })
  investigationIds?: string[];
}
