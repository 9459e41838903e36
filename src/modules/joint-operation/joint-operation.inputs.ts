import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { MoneyInput } from '../../shared/money/money.js';
import { ValuationMethod } from '../referral/referral.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'A joint operation grouping outcomes of several referrals (createJointOperation).' })
export class CreateJointOperationInput {
  @Field({ description: 'Name of the operation, as the agencies call it.' })
  @MinLength(1)
  @MaxLength(300)
  name!: string;

  @Field(() => [ID], { description: 'Outcomes the agencies reported of it (1-100), none in another operation yet.' })
  outcomeIds!: string[];

  @Field(() => MoneyInput, {
    nullable: true,
    description:
      'The value of everything seized in the operation, as agreed; counted once, shared equally by its agencies.',
  })
  seizedValue?: MoneyInput | null;

  @Field(() => ValuationMethod, { description: "How the operation's seized value is arrived at." })
  valuationMethod!: ValuationMethod;

  @Field(() => String, { nullable: true, description: 'How the value was agreed (internal).' })
  @MaxLength(5000)
  valuationNote?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second operation.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Outcomes reported after a joint operation was recorded (addOutcomesToJointOperation).' })
export class AddOutcomesToJointOperationInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the joint operation.' })
  operationId!: string;

  @Field(() => [ID], { description: 'Further outcomes of it (1-100), none in another operation yet.' })
  outcomeIds!: string[];

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: an operation changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'A new value of what a joint operation seized (revalueJointOperation).' })
export class RevalueJointOperationInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the joint operation.' })
  operationId!: string;

  @Field(() => MoneyInput, { nullable: true, description: 'The new value of the goods seized.' })
  seizedValue?: MoneyInput | null;

  @Field(() => ValuationMethod, { description: 'How the new value was arrived at.' })
  valuationMethod!: ValuationMethod;

  @Field(() => String, {
    nullable: true,
    description:
      "Why the value changed: replaces the operation's valuation note (the former one stays in the audit trail).",
  })
  @MaxLength(5000)
  valuationNote?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: an operation changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}
