import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { RepeatOffenderMatchStatus } from './repeat-offender-match.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'Confirm that a suspected match is the same offender (confirmRepeatOffenderMatch).' })
export class ConfirmRepeatOffenderMatchInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the repeat-offender match (PENDING).' })
  matchId!: string;

  @Field(() => String, { nullable: true, description: 'Why it is confirmed; kept as `decisionNote`.' })
  @MaxLength(5000)
  note?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: a match changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Reject a suspected match: not the same offender (rejectRepeatOffenderMatch).' })
export class RejectRepeatOffenderMatchInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the repeat-offender match (PENDING).' })
  matchId!: string;

  @Field({ description: 'Why the two sellers are not the same operator.' })
  @MinLength(1)
  @MaxLength(5000)
  note!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: a match changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Narrows a list of repeat-offender matches.' })
export class RepeatOffenderMatchFilter {
  @Field(() => [RepeatOffenderMatchStatus], { nullable: true, description: 'Matches in any of these statuses.' })
  status?: RepeatOffenderMatchStatus[];

  @Field(() => [ID], { nullable: true, description: 'Matches involving any of these sellers (either side).' })
  sellerIds?: string[];
}
