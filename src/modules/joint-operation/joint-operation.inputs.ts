import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { MoneyInput } from '../../shared/money/money.js';
import { ValuationMethod } from '../referral/referral.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType()
export class CreateJointOperationInput {
  @Field()
  @MinLength(1)
  @MaxLength(300)
  name!: string;

  @Field(() => [ID], { description: 'Outcomes the agencies reported of it (1-100), none in another operation yet.' })
  outcomeIds!: string[];

  @Field(() => MoneyInput, { nullable: true, description: 'The value of everything seized in the operation, as agreed; counted once, shared equally by its agencies.' })
  seizedValue?: MoneyInput | null;

  @Field(() => ValuationMethod)
  valuationMethod!: ValuationMethod;

  @Field(() => String, { nullable: true, description: 'How the value was agreed (internal).' })
  @MaxLength(5000)
  valuationNote?: string | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class AddOutcomesToJointOperationInput extends IdempotentInput {
  @Field(() => ID)
  operationId!: string;

  @Field(() => [ID], { description: 'Further outcomes of it (1-100), none in another operation yet.' })
  outcomeIds!: string[];

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType()
export class RevalueJointOperationInput extends IdempotentInput {
  @Field(() => ID)
  operationId!: string;

  @Field(() => MoneyInput, { nullable: true })
  seizedValue?: MoneyInput | null;

  @Field(() => ValuationMethod)
  valuationMethod!: ValuationMethod;

  @Field(() => String, { nullable: true })
  @MaxLength(5000)
  valuationNote?: string | null;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}
