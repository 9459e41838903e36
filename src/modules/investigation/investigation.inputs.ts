import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { FindingKind, InvestigationStatus } from './investigation.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'Open an investigation of triaged leads (openInvestigation).' })
export class OpenInvestigationInput {
  @Field(() => [ID], { description: 'TRIAGED leads to investigate together (1-50); they move to INVESTIGATING.' })
  leadIds!: string[];

  @Field({ description: 'What is investigated, as partners and agencies with access will read it.' })
  @MinLength(1)
  @MaxLength(10_000)
  summary!: string;

  @Field(() => ID, { nullable: true, description: 'Investigator in charge; default: you, if you are one.' })
  assigneeId?: string | null;

  @Field(() => String, { nullable: true, description: 'Internal notes (never shown to partners or agencies).' })
  @MaxLength(10_000)
  internalNotes?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second investigation.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Something an investigation found offline, e.g. a warehouse (recordFinding).' })
export class RecordFindingInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the investigation.' })
  investigationId!: string;

  @Field(() => FindingKind, { description: 'What kind of place it is.' })
  kind!: FindingKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  region!: string;

  @Field({ description: 'Where it was found, as written.' })
  @MinLength(1)
  @MaxLength(1000)
  address!: string;

  @Field(() => String, { nullable: true, description: 'What was seen there.' })
  @MaxLength(10_000)
  notes?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The registered premises this is (registerPremises); must be in the same region.',
  })
  premisesId?: string | null;
}

@InputType({ description: 'Mark an investigation ready to be referred (markInvestigationReady).' })
export class MarkInvestigationReadyInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the investigation.' })
  investigationId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: an investigation changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Close an investigation, with the reason (closeInvestigation).' })
export class CloseInvestigationInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the investigation.' })
  investigationId!: string;

  @Field({ description: 'Why it is closed; kept on the investigation as `closeReason`.' })
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: an investigation changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Narrows a list of investigations; every field given must match.' })
export class InvestigationFilter {
  @Field(() => [InvestigationStatus], { nullable: true, description: 'Investigations in any of these statuses.' })
  status?: InvestigationStatus[];

  @Field(() => [ID], { nullable: true, description: 'Investigations assigned to any of these principals.' })
  assigneeIds?: string[];

  @Field(() => DateRangeInput, { nullable: true, description: 'Investigations opened in this range.' })
  createdAt?: DateRangeInput;
}

export enum InvestigationOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(InvestigationOrderField, {
  name: 'InvestigationOrderField',
  valuesConfig: {
    CREATED_AT: { description: 'When the investigation was opened.' },
  },
  description: 'What a list of investigations is sorted by.',
});

export const investigationSortColumns: Record<InvestigationOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
};
export const INVESTIGATION_DEFAULT_ORDER = {
  field: InvestigationOrderField.CREATED_AT,
  direction: OrderDirection.DESC,
};
export const InvestigationOrder = OrderByInput(
  'InvestigationOrder',
  InvestigationOrderField,
  INVESTIGATION_DEFAULT_ORDER.field,
);
export type InvestigationOrder = InstanceType<typeof InvestigationOrder>;
