import { Max, MaxLength, Min, MinLength } from 'class-validator';
import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { MoneyInput } from '../../shared/money/money.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { GoodsUnit } from './enforcement-outcome.entity.js';
import { OutcomeKind, ReferralStatus, ValuationMethod } from './referral.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'A draft referral of an investigation to an agency (createReferral).' })
export class CreateReferralInput {
  @Field(() => ID, { description: 'A READY_FOR_REFERRAL (or already REFERRED) investigation.' })
  investigationId!: string;

  @Field(() => ID, { description: 'Global id of the agency the case is referred to.' })
  agencyId!: string;

  @Field(() => [ID], { description: 'Evidence of the investigation to disclose to the agency (at least one).' })
  evidenceIds!: string[];

  @Field({ description: 'The case as the agency will read it.' })
  @MinLength(1)
  @MaxLength(20_000)
  summary!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second referral.',
  })
  idempotencyKey?: string | null;
}

/** A change of one referral: its id and, optionally, the version the caller last saw. */
@InputType()
export abstract class ReferralVersionInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the referral (an agency: one sent to it).' })
  referralId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: a referral changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Send a draft referral to its agency (sendReferral).' })
export class SendReferralInput extends ReferralVersionInput {}

@InputType({ description: 'Close a concluded or declined referral (closeReferral).' })
export class CloseReferralInput extends ReferralVersionInput {}

@InputType({ description: 'Acknowledge receipt of a sent referral (acknowledgeReferral).' })
export class AcknowledgeReferralInput extends ReferralVersionInput {
  @Field(() => String, { nullable: true, description: "The agency's own case number." })
  @MaxLength(200)
  agencyCaseReference?: string | null;
}

@InputType({ description: 'Decline a sent or acknowledged referral, with the reason (declineReferral).' })
export class DeclineReferralInput extends ReferralVersionInput {
  @Field({ description: 'Why the agency declines the case; shown as `declineReason`.' })
  @MinLength(1)
  @MaxLength(5000)
  reason!: string;
}

@InputType({ description: 'One kind of goods seized: what, how many, in which unit.' })
export class SeizedGoodsInput {
  @Field({ description: 'What the goods are (1 to 500 characters), e.g. "handbags bearing the ALPHA mark".' })
  description!: string;

  @Field(() => Float, {
    description:
      'More than 0: a whole number for counted units (PIECE, PAIR, ...), up to three decimals for KILOGRAM, LITRE, METRE.',
  })
  quantity!: number;

  @Field(() => GoodsUnit, { description: 'The unit of `quantity`.' })
  unit!: GoodsUnit;
}

@InputType({ description: 'What an agency did on a referral (recordEnforcementOutcome): it moves the referral on.' })
export class RecordEnforcementOutcomeInput extends ReferralVersionInput {
  @Field(() => OutcomeKind, { description: "What happened; it decides the referral's next status." })
  kind!: OutcomeKind;

  @Field({ description: 'When it happened: not before the referral was sent, not in the future.' })
  occurredAt!: Date;

  @Field(() => Int, { defaultValue: 0, description: 'People arrested, 0 or more.' })
  @Min(0)
  @Max(100_000)
  arrests!: number;

  @Field(() => Int, { defaultValue: 0, description: 'Production or storage sites shut down, 0 or more.' })
  @Min(0)
  @Max(100_000)
  densDestroyed!: number;

  @Field(() => Int, { defaultValue: 0, description: 'People convicted, 0 or more (at least 1 for CONVICTION).' })
  @Min(0)
  @Max(100_000)
  convictions!: number;

  @Field(() => MoneyInput, {
    nullable: true,
    description: 'Value of the goods seized; give `valuationMethod` with it.',
  })
  seizedValue?: MoneyInput | null;

  @Field(() => ValuationMethod, {
    nullable: true,
    description: 'How the seized value was arrived at (with `seizedValue` only).',
  })
  valuationMethod?: ValuationMethod | null;

  @Field(() => MoneyInput, { nullable: true, description: 'The fine imposed; required for FINE.' })
  fine?: MoneyInput | null;

  @Field(() => [SeizedGoodsInput], {
    nullable: true,
    description: 'SEIZURE outcomes: what was seized (1 to 50 kinds of goods), besides its value.',
  })
  seizedGoods?: SeizedGoodsInput[] | null;

  @Field(() => String, { nullable: true, description: 'Free text from the agency.' })
  @MaxLength(20_000)
  notes?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Where it happened: registered premises you may see (for an agency, premises named by its referrals).',
  })
  premisesId?: string | null;
}

@InputType({ description: 'Narrows a list of referrals; every field given must match.' })
export class ReferralFilter {
  @Field(() => [ReferralStatus], { nullable: true, description: 'Referrals in any of these statuses.' })
  status?: ReferralStatus[];

  @Field(() => [ID], { nullable: true, description: 'Referrals to any of these agencies (global ids).' })
  agencyIds?: string[];

  @Field(() => [ID], { nullable: true, description: 'Referrals of any of these investigations (global ids).' })
  investigationIds?: string[];

  @Field(() => DateRangeInput, { nullable: true, description: 'Referrals drafted in this range.' })
  createdAt?: DateRangeInput;

  @Field(() => DateRangeInput, { nullable: true, description: 'Referrals sent in this range (drafts never match).' })
  sentAt?: DateRangeInput;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: referrals past a deadline (see `Referral.overdue`); false: the others.',
  })
  overdue?: boolean | null;
}

@InputType({ description: 'Escalate a referral the agency is late on (escalateReferral).' })
export class EscalateReferralInput {
  @Field(() => ID, {
    description: 'A sent referral that is not concluded (SENT, ACKNOWLEDGED, ACTION_TAKEN or PROSECUTION).',
  })
  referralId!: string;

  @Field({ description: 'Whom it is escalated to: name, position, body and contact, as free text.' })
  @MinLength(1)
  @MaxLength(500)
  escalatedTo!: string;

  @Field({ description: 'Why it is escalated, as the person escalated to will read it.' })
  @MinLength(1)
  @MaxLength(5000)
  reason!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second escalation.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'A feedback message of the agency on a sent referral (addReferralFeedback).' })
export class AddReferralFeedbackInput {
  @Field(() => ID, { description: 'A sent referral (an agency: one sent to it).' })
  referralId!: string;

  @Field({ description: 'The feedback, as written by the agency.' })
  @MinLength(1)
  @MaxLength(20_000)
  message!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second message.',
  })
  idempotencyKey?: string | null;
}

export enum ReferralOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(ReferralOrderField, {
  name: 'ReferralOrderField',
  description: 'What a list of referrals is sorted by.',
  valuesConfig: {
    CREATED_AT: { description: 'When the referral was drafted.' },
  },
});

export const referralSortColumns: Record<ReferralOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
};
export const REFERRAL_DEFAULT_ORDER = { field: ReferralOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const ReferralOrder = OrderByInput('ReferralOrder', ReferralOrderField, REFERRAL_DEFAULT_ORDER.field);
export type ReferralOrder = InstanceType<typeof ReferralOrder>;
