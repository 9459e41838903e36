import { Max, MaxLength, Min, MinLength } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { LeadCloseReason, LeadSource, LeadStatus } from './lead.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'A suspected counterfeit source to report (reportLead).' })
export class ReportLeadInput {
  @Field(() => [ID], {
    nullable: true,
    description: 'Brands whose rights are infringed. A brand partner may name only its own (the default).',
  })
  brandIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Sellers behind the counterfeits (at most 100).' })
  sellerIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Listings offering them (at most 100).' })
  listingIds?: string[] | null;

  @Field(() => LeadSource, {
    nullable: true,
    description: 'Where the lead comes from. Brand partners: always BRAND_REPORT.',
  })
  source?: LeadSource | null;

  @Field({ description: 'What was seen and why it looks counterfeit (1 to 10,000 characters).' })
  @MinLength(1)
  @MaxLength(10_000)
  description!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'Investigators: the risk score, 0-100 (default 50). Brand partners: deprecated, read as `reporterPriority` (the risk score is set at triage; ' +
      "a brand's report starts at 50); giving both with different values is refused.",
  })
  @Min(0)
  @Max(100)
  riskScore?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "The reporter's own priority, 0-100: kept on the lead for investigators to see, never used to order the triage queue.",
  })
  @Min(0)
  @Max(100)
  reporterPriority?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second lead.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Triage a new lead: set its risk score (triageLead).' })
export class TriageLeadInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the lead (NEW).' })
  leadId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'How likely and how serious, 0-100; orders the triage queue. Unchanged when omitted.',
  })
  @Min(0)
  @Max(100)
  riskScore?: number | null;

  @Field(() => String, { nullable: true, description: 'Internal notes (never shown to partners).' })
  @MaxLength(10_000)
  internalNotes?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Refuse with STALE_VERSION if the lead changed since this version.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Close a lead in any open state, with a reason (closeLead).' })
export class CloseLeadInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the lead.' })
  leadId!: string;

  @Field(() => LeadCloseReason, { description: 'Why the lead is closed.' })
  reason!: LeadCloseReason;

  @Field(() => String, { nullable: true, description: 'Free text beside the reason, kept as `closeNote`.' })
  @MaxLength(10_000)
  note?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: a lead changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Narrows a list of leads; every field given must match.' })
export class LeadFilter {
  @Field(() => [LeadStatus], { nullable: true, description: 'Leads in any of these statuses.' })
  status?: LeadStatus[];

  @Field(() => [LeadSource], { nullable: true, description: 'Leads from any of these sources.' })
  source?: LeadSource[];

  @Field(() => [ID], { nullable: true, description: 'Leads naming any of these brands.' })
  brandIds?: string[];

  @Field(() => [ID], { nullable: true, description: 'Leads naming any of these sellers.' })
  sellerIds?: string[];

  @Field(() => Int, { nullable: true, description: 'Leads whose risk score is at least this (0-100).' })
  riskScoreAtLeast?: number;

  @Field(() => DateRangeInput, { nullable: true, description: 'Leads reported in this range.' })
  createdAt?: DateRangeInput;
}

export enum LeadOrderField {
  CREATED_AT = 'CREATED_AT',
  RISK_SCORE = 'RISK_SCORE',
  TRIAGE_PRIORITY = 'TRIAGE_PRIORITY',
}
registerEnumType(LeadOrderField, {
  name: 'LeadOrderField',
  description: 'What a list of leads is sorted by.',
  valuesConfig: {
    CREATED_AT: { description: 'When the lead was reported.' },
    RISK_SCORE: { description: 'The risk score set by investigators.' },
    TRIAGE_PRIORITY: {
      description: 'The triage queue: fast-tracked reports (accurate reporters) first, then by risk score (DESC).',
    },
  },
});

export const leadSortColumns: Record<LeadOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
  RISK_SCORE: { column: 'risk_score', property: 'riskScore' },
  TRIAGE_PRIORITY: { column: 'triage_priority', property: 'triagePriority' },
};
export const LEAD_DEFAULT_ORDER = { field: LeadOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const LeadOrder = OrderByInput('LeadOrder', LeadOrderField, LEAD_DEFAULT_ORDER.field);
export type LeadOrder = InstanceType<typeof LeadOrder>;
