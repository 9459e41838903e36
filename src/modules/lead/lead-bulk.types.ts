import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../../shared/user-error.js';
import { Lead } from './lead.entity.js';
import { ReportLeadInput } from './lead.inputs.js';

/** Items of one reportLeads request: the marketplace's notice-and-takedown tool sends batches of about 300. */
export const MAX_REPORT_LEADS_ITEMS = 300;
/**
 * Items per transaction. Each item runs under a SAVEPOINT and, writing, takes a subtransaction id: PostgreSQL
 * keeps 64 per transaction in shared memory, beyond which every snapshot of every session must look them up
 * in pg_subtrans (a known slowdown). 50 stays under it and still takes the audit chain's lock 6 times, not 300.
 */
export const REPORT_LEADS_CHUNK = 50;

@InputType({
  description: `Up to ${MAX_REPORT_LEADS_ITEMS} reports in one request (reportLeads), each answered on its own.`,
})
export class ReportLeadsInput {
  @Field(() => [ReportLeadInput], {
    description: `The reports, 1 to ${MAX_REPORT_LEADS_ITEMS}, each as reportLead takes it (its rules, its own idempotencyKey). Each is checked on its own: an invalid one is refused alone, with userErrors at ["input", "items", "<index>", ...].`,
  })
  items!: ReportLeadInput[];
}

export enum ReportLeadsOutcome {
  CREATED = 'CREATED',
  REPLAYED = 'REPLAYED',
  REFUSED = 'REFUSED',
  NOT_KEPT = 'NOT_KEPT',
  OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN',
}
registerEnumType(ReportLeadsOutcome, {
  name: 'ReportLeadsOutcome',
  description: 'What became of one item of reportLeads, and what the database holds for it.',
  valuesConfig: {
    CREATED: { description: 'The lead was made by this request and committed.' },
    REPLAYED: {
      description:
        'Its idempotencyKey was used before (or earlier in this batch) with the same report: the lead made then, as it is now; nothing new was made.',
    },
    REFUSED: { description: 'Refused by a rule (userErrors says which): nothing of this item was kept.' },
    NOT_KEPT: {
      description:
        'Not done (its chunk failed or was not reached, `message` says which): nothing of it was kept. Send it again, with the same idempotencyKey.',
    },
    OUTCOME_UNKNOWN: {
      description:
        'The connection to the database failed while its chunk was committed: it may or may not have been kept. Send it again with the same idempotencyKey: a kept one answers REPLAYED.',
    },
  },
});

@ObjectType({ description: 'The answer for one item of reportLeads.' })
export class ReportLeadsResult {
  @Field(() => Int, { description: 'Position of the item in `input.items`, from 0.' })
  index!: number;

  @Field(() => String, { nullable: true, description: "The item's idempotencyKey, as sent." })
  idempotencyKey!: string | null;

  @Field(() => ReportLeadsOutcome, { description: 'What became of the item.' })
  outcome!: ReportLeadsOutcome;

  @Field(() => Lead, { nullable: true, description: 'The lead, when CREATED or REPLAYED; null otherwise.' })
  lead!: Lead | null;

  @Field(() => [UserError], {
    description: 'Why the item was REFUSED (paths start with ["input", "items", "<index>"]).',
  })
  userErrors!: UserError[];

  @Field(() => String, { nullable: true, description: 'For NOT_KEPT and OUTCOME_UNKNOWN: what happened, in words.' })
  message!: string | null;
}

@ObjectType({
  description:
    'What `reportLeads` answers: one result per item, in the order sent, or (nothing done at all) the user error that refused the whole request.',
})
export class ReportLeadsPayload {
  @Field(() => [ReportLeadsResult], {
    description: `One per item of the input, in its order (at most ${MAX_REPORT_LEADS_ITEMS}); empty when the request was refused whole.`,
  })
  results!: ReportLeadsResult[];

  @Field(() => [UserError], {
    description: 'Why the whole request was refused (no items, more than the limit); empty otherwise.',
  })
  userErrors!: UserError[];
}
