import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Money } from '../../shared/money/money.js';
import { Node } from '../../shared/relay/node.js';
import { OutcomeKind, ValuationMethod } from './referral.states.js';

/** Units an agency counts seized goods in: counted (whole numbers) or measured (up to three decimals). */
export enum GoodsUnit {
  PIECE = 'PIECE',
  PAIR = 'PAIR',
  SET = 'SET',
  BOTTLE = 'BOTTLE',
  BOX = 'BOX',
  CARTON = 'CARTON',
  ROLL = 'ROLL',
  KILOGRAM = 'KILOGRAM',
  LITRE = 'LITRE',
  METRE = 'METRE',
}
registerEnumType(GoodsUnit, {
  name: 'GoodsUnit',
  description:
    'The unit of a seized quantity: counted units take whole numbers, KILOGRAM, LITRE and METRE up to three decimals.',
  valuesConfig: {
    PIECE: { description: 'Single items (bags, watches, phone cases).' },
    PAIR: { description: 'Pairs (shoes, earrings).' },
    SET: { description: 'Sets sold as one (cosmetics kits).' },
    BOTTLE: { description: 'Bottles (perfume, liquor).' },
    BOX: { description: 'Boxes as packed for sale.' },
    CARTON: { description: 'Shipping cartons, contents not counted.' },
    ROLL: { description: 'Rolls (fabric, labels, tape).' },
    KILOGRAM: { description: 'Weight, in kilograms.' },
    LITRE: { description: 'Volume, in litres.' },
    METRE: { description: 'Length, in metres (fabric, ribbon).' },
  },
});

/** Units counted in whole numbers; the others are measured. */
export const COUNTED_UNITS: readonly GoodsUnit[] = [
  GoodsUnit.PIECE,
  GoodsUnit.PAIR,
  GoodsUnit.SET,
  GoodsUnit.BOTTLE,
  GoodsUnit.BOX,
  GoodsUnit.CARTON,
  GoodsUnit.ROLL,
];

@ObjectType({ description: 'One kind of goods seized, as the agency counted it.' })
export class SeizedGoods {
  @Field({ description: 'What the goods are (e.g. "handbags bearing the ALPHA mark").' })
  description!: string;

  @Field(() => Float, { description: 'How many, in `unit`.' })
  quantity!: number;

  @Field(() => GoodsUnit, { description: 'The unit of `quantity`.' })
  unit!: GoodsUnit;
}

@ObjectType({ implements: Node, description: 'What an agency reported back on a referral.' })
@Entity('enforcement_outcome')
export class EnforcementOutcome extends Node {
  @Column({ name: 'referral_id', type: 'bigint' })
  referralId!: string;

  @Field(() => OutcomeKind, { description: 'What the agency did.' })
  @Column({ type: 'text' })
  kind!: OutcomeKind;

  @Field({ description: 'When it happened (UTC), as the agency reported it.' })
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Field(() => Int, { description: 'People arrested.' })
  @Column({ type: 'int' })
  arrests!: number;

  @Field(() => Int, { description: 'Production or storage sites ("dens") shut down.' })
  @Column({ name: 'dens_destroyed', type: 'int' })
  densDestroyed!: number;

  @Field(() => Int, { description: 'People convicted.' })
  @Column({ type: 'int' })
  convictions!: number;

  @Column({ name: 'seized_value_amount', type: 'bigint', nullable: true })
  seizedValueAmount!: string | null;

  @Column({ name: 'seized_value_currency', type: 'char', length: 3, nullable: true })
  seizedValueCurrency!: string | null;

  @Column({ name: 'fine_amount', type: 'bigint', nullable: true })
  fineAmount!: string | null;

  @Column({ name: 'fine_currency', type: 'char', length: 3, nullable: true })
  fineCurrency!: string | null;

  @Field(() => String, { nullable: true, description: 'Free text from the agency; null when none.' })
  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ name: 'recorded_by_id', type: 'bigint', nullable: true })
  recordedById!: string | null;

  @Column({ name: 'premises_id', type: 'bigint', nullable: true })
  premisesId!: string | null;

  /** The joint operation it is part of: analytics count the operation's agreed seized value instead of this one's. */
  @Column({ name: 'operation_id', type: 'bigint', nullable: true })
  operationId!: string | null;

  @Field(() => ValuationMethod, { nullable: true, description: 'How `seizedValue` was arrived at.' })
  @Column({ name: 'valuation_method', type: 'text', nullable: true })
  valuationMethod!: ValuationMethod | null;

  @Field(() => [SeizedGoods], {
    nullable: true,
    description:
      'What was seized (SEIZURE outcomes): each kind of goods with its quantity and unit; null when not reported.',
  })
  @Column({ name: 'seized_goods', type: 'jsonb', nullable: true })
  seizedGoods!: SeizedGoods[] | null;

  @Field(() => String, {
    nullable: true,
    description:
      'ISO 3166-2 region of the premises where it happened: the only detail of the place shown to brand partners.',
  })
  @Column({ type: 'text', nullable: true })
  region!: string | null;

  @Field(() => Money, { nullable: true, description: 'Value of the goods seized.' })
  get seizedValue(): Money | null {
    return Money.of(this.seizedValueAmount, this.seizedValueCurrency);
  }

  @Field(() => Money, { nullable: true, description: 'The fine imposed (FINE outcomes); null otherwise.' })
  get fine(): Money | null {
    return Money.of(this.fineAmount, this.fineCurrency);
  }
}
