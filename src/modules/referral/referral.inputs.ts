import { Max, MaxLength, Min, MinLength } from 'class-validator';
import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { MoneyInput } from '../../shared/money/money.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { GoodsUnit } from './enforcement-outcome.entity.js';
import { OutcomeKind, ReferralStatus, ValuationMethod } from './referral.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType()
export class CreateReferralInput {
  @Field(() => ID, { description: 'A READY_FOR_REFERRAL (or already REFERRED) investigation.' })
  investigationId!: string;

  @Field(() => ID)
  agencyId!: string;

  @Field(() => [ID], { description: "Evidence of the investigation to disclose to the agency (at least one)." })
  evidenceIds!: string[];

  @Field()
  @MinLength(1)
  @MaxLength(20_000)
  summary!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

/** A change of one referral: its id and, optionally, the version the caller last saw. */
@InputType()
export abstract class ReferralVersionInput extends IdempotentInput {
  @Field(() => ID)
  referralId!: string;

  @Field(() => Int, { nullable: true, description: 'The version you last saw: a referral changed since is refused as STALE_VERSION.' })
  expectedVersion?: number | null;
}

@InputType()
export class SendReferralInput extends ReferralVersionInput {}

@InputType()
export class CloseReferralInput extends ReferralVersionInput {}

@InputType()
export class AcknowledgeReferralInput extends ReferralVersionInput {
  @Field(() => String, { nullable: true, description: "The agency's own case number." })
  @MaxLength(200)
  agencyCaseReference?: string | null;
}

@InputType()
export class DeclineReferralInput extends ReferralVersionInput {
  @Field()
  @MinLength(1)
  @MaxLength(5000)
  reason!: string;
}

@InputType({ description: 'One kind of goods seized: what, how many, in which unit.' })
export class SeizedGoodsInput {
  @Field({ description: 'What the goods are (1 to 500 characters), e.g. "handbags bearing the ALPHA mark".' })
  description!: string;

  @Field(() => Float, { description: 'More than 0: a whole number for counted units (PIECE, PAIR, ...), up to three decimals for KILOGRAM, LITRE, METRE.' })
  quantity!: number;

  @Field(() => GoodsUnit)
  unit!: GoodsUnit;
}

@InputType()
export class RecordEnforcementOutcomeInput extends ReferralVersionInput {
  @Field(() => OutcomeKind)
  kind!: OutcomeKind;

  @Field({ description: 'When it happened: not before the referral was sent, not in the future.' })
  occurredAt!: Date;

  @Field(() => Int, { defaultValue: 0 })
  @Min(0)
  @Max(100_000)
  arrests!: number;

  @Field(() => Int, { defaultValue: 0 })
  @Min(0)
  @Max(100_000)
  densDestroyed!: number;

  @Field(() => Int, { defaultValue: 0 })
  @Min(0)
  @Max(100_000)
  convictions!: number;

  @Field(() => MoneyInput, { nullable: true })
  seizedValue?: MoneyInput | null;

  @Field(() => ValuationMethod, { nullable: true, description: 'How the seized value was arrived at (with `seizedValue` only).' })
  valuationMethod?: ValuationMethod | null;

  @Field(() => MoneyInput, { nullable: true })
  fine?: MoneyInput | null;

  @Field(() => [SeizedGoodsInput], { nullable: true, description: 'SEIZURE outcomes: what was seized (1 to 50 kinds of goods), besides its value.' })
  seizedGoods?: SeizedGoodsInput[] | null;

  @Field(() => String, { nullable: true })
  @MaxLength(20_000)
  notes?: string | null;

  @Field(() => ID, { nullable: true, description: 'Where it happened: registered premises you may see (for an agency, premises named by its referrals).' })
  premisesId?: string | null;
}

@InputType()
export class ReferralFilter {
  @Field(() => [ReferralStatus], { nullable: true })
  status?: ReferralStatus[];

  @Field(() => [ID], { nullable: true })
  agencyIds?: string[];

  @Field(() => [ID], { nullable: true })
  investigationIds?: string[];

  @Field(() => DateRangeInput, { nullable: true })
  createdAt?: DateRangeInput;

  @Field(() => DateRangeInput, { nullable: true })
  sentAt?: DateRangeInput;

  @Field(() => Boolean, { nullable: true, description: 'true: referrals past a deadline (see `Referral.overdue`); false: the others.' })
  overdue?: boolean | null;
}

@InputType()
export class EscalateReferralInput {
  @Field(() => ID, { description: 'A sent referral that is not concluded (SENT, ACKNOWLEDGED, ACTION_TAKEN or PROSECUTION).' })
  referralId!: string;

  @Field({ description: 'Whom it is escalated to: name, position, body and contact, as free text.' })
  @MinLength(1)
  @MaxLength(500)
  escalatedTo!: string;

  @Field()
  @MinLength(1)
  @MaxLength(5000)
  reason!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class AddReferralFeedbackInput {
  @Field(() => ID, { description: 'A sent referral (an agency: one sent to it).' })
  referralId!: string;

  @Field()
  @MinLength(1)
  @MaxLength(20_000)
  message!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

export enum ReferralOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(ReferralOrderField, { name: 'ReferralOrderField' });

export const referralSortColumns: Record<ReferralOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
};
export const REFERRAL_DEFAULT_ORDER = { field: ReferralOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const ReferralOrder = OrderByInput('ReferralOrder', ReferralOrderField, REFERRAL_DEFAULT_ORDER.field);
export type ReferralOrder = InstanceType<typeof ReferralOrder>;
