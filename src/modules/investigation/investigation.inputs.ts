import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateRangeInput } from '../../shared/data-access/filters.js';
import { OrderDirection } from '../../shared/relay/connection.js';
import { OrderByInput, SortColumn } from '../../shared/relay/ordering.js';
import { FindingKind, InvestigationStatus } from './investigation.states.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType()
export class OpenInvestigationInput {
  @Field(() => [ID], { description: 'TRIAGED leads to investigate together (1-50); they move to INVESTIGATING.' })
  leadIds!: string[];

  @Field()
  @MinLength(1)
  @MaxLength(10_000)
  summary!: string;

  @Field(() => ID, { nullable: true, description: 'Investigator in charge; default: you, if you are one.' })
  assigneeId?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(10_000)
  internalNotes?: string | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class RecordFindingInput extends IdempotentInput {
  @Field(() => ID)
  investigationId!: string;

  @Field(() => FindingKind)
  kind!: FindingKind;

  @Field({ description: 'ISO 3166-2 region, e.g. CN-ZJ.' })
  region!: string;

  @Field()
  @MinLength(1)
  @MaxLength(1000)
  address!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(10_000)
  notes?: string | null;

  @Field(() => ID, { nullable: true, description: 'The registered premises this is (registerPremises); must be in the same region.' })
  premisesId?: string | null;
}

@InputType()
export class MarkInvestigationReadyInput extends IdempotentInput {
  @Field(() => ID)
  investigationId!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType()
export class CloseInvestigationInput extends IdempotentInput {
  @Field(() => ID)
  investigationId!: string;

  @Field()
  @MinLength(1)
  @MaxLength(2000)
  reason!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType()
export class InvestigationFilter {
  @Field(() => [InvestigationStatus], { nullable: true })
  status?: InvestigationStatus[];

  @Field(() => [ID], { nullable: true, description: 'Investigations assigned to any of these principals.' })
  assigneeIds?: string[];

  @Field(() => DateRangeInput, { nullable: true })
  createdAt?: DateRangeInput;
}

export enum InvestigationOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(InvestigationOrderField, { name: 'InvestigationOrderField' });

export const investigationSortColumns: Record<InvestigationOrderField, SortColumn> = {
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
};
export const INVESTIGATION_DEFAULT_ORDER = { field: InvestigationOrderField.CREATED_AT, direction: OrderDirection.DESC };
export const InvestigationOrder = OrderByInput('InvestigationOrder', InvestigationOrderField, INVESTIGATION_DEFAULT_ORDER.field);
export type InvestigationOrder = InstanceType<typeof InvestigationOrder>;
