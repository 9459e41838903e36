import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { RepeatOffenderMatchStatus } from './repeat-offender-match.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType()
export class ConfirmRepeatOffenderMatchInput extends IdempotentInput {
  @Field(() => ID)
  matchId!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(5000)
  note?: string | null;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType()
export class RejectRepeatOffenderMatchInput extends IdempotentInput {
  @Field(() => ID)
  matchId!: string;

  @Field({ description: 'Why the two sellers are not the same operator.' })
  @MinLength(1)
  @MaxLength(5000)
  note!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType()
export class RepeatOffenderMatchFilter {
  @Field(() => [RepeatOffenderMatchStatus], { nullable: true })
  status?: RepeatOffenderMatchStatus[];

  @Field(() => [ID], { nullable: true, description: 'Matches involving any of these sellers (either side).' })
  sellerIds?: string[];
}
