import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Money } from '../../shared/money/money.js';
import { Node } from '../../shared/relay/node.js';
import { ValuationMethod } from '../referral/referral.states.js';

/**
 * One action reported by several agencies (each its own outcome), with the seized value agreed for the
 * whole: analytics count it once, shared equally by the agencies (eca_joint_operation_shares, migration
 * 1763920000000; docs/analytics.md, "Joint operations"). Visible to internal roles and to whoever may see
 * one of its outcomes.
 */
@ObjectType({
  implements: Node,
  description:
    'A joint operation: outcomes of several agencies of one action, whose agreed seized value analytics count once, shared equally by the agencies.',
})
@Entity('joint_operation')
export class JointOperation extends Node {
  @Field({ description: 'Human-readable reference, e.g. OP-2026-000003.' })
  @Column({ type: 'text' })
  reference!: string;

  @Field({ description: 'Name of the operation, as the agencies call it.' })
  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'seized_value_amount', type: 'bigint', nullable: true })
  seizedValueAmount!: string | null;

  @Column({ name: 'seized_value_currency', type: 'char', length: 3, nullable: true })
  seizedValueCurrency!: string | null;

  @Field(() => ValuationMethod, { description: 'How its seized value was arrived at.' })
  @Column({ name: 'valuation_method', type: 'text' })
  valuationMethod!: ValuationMethod;

  /** Internal only: exposed through a resolver. */
  @Column({ name: 'valuation_note', type: 'text', nullable: true })
  valuationNote!: string | null;

  @Column({ name: 'created_by_id', type: 'bigint', nullable: true })
  createdById!: string | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;

  @Field(() => Money, {
    nullable: true,
    description:
      'The value of the goods seized in the whole operation, as agreed: counted once in analytics, in equal shares per agency that took part ' +
      "(the minor units left over one each to the agencies in the order of their first outcome), each share with the agency's first outcome in the " +
      'operation (its time, agency and cases).',
  })
  get seizedValue(): Money | null {
    return Money.of(this.seizedValueAmount, this.seizedValueCurrency);
  }
}
