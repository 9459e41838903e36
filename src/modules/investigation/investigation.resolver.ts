import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, isInternal } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { compilable } from '../../shared/data-access/selection-sql.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Lead } from '../lead/lead.entity.js';
import { LEAD_DEFAULT_ORDER, LeadFilter, LeadOrder, leadSortColumns } from '../lead/lead.inputs.js';
import { leadsOf } from '../lead/lead.service.js';
import { Principal } from '../principal/principal.entity.js';
import { Finding } from './finding.entity.js';
import { Investigation } from './investigation.entity.js';
import {
  CloseInvestigationInput,
  InvestigationFilter,
  InvestigationOrder,
  MarkInvestigationReadyInput,
  OpenInvestigationInput,
  RecordFindingInput,
} from './investigation.inputs.js';
import {
  closeInvestigation,
  listInvestigations,
  markInvestigationReady,
  openInvestigation,
  recordFinding,
} from './investigation.service.js';
import { MAX_FINDINGS_PER_INVESTIGATION } from '../../shared/list-bounds.js';

const InvestigationConnection = Connection(Investigation);
const LeadConnection = Connection(Lead);
const OpenInvestigationPayload = Payload('OpenInvestigationPayload', 'investigation', Investigation);
const MarkInvestigationReadyPayload = Payload('MarkInvestigationReadyPayload', 'investigation', Investigation);
const CloseInvestigationPayload = Payload('CloseInvestigationPayload', 'investigation', Investigation);
const RecordFindingPayload = Payload('RecordFindingPayload', 'finding', Finding);

// The links of the field resolvers below, for a selection compiled into one statement (src/shared/data-access/selection-sql.ts).
compilable(Investigation, {
  leads: {
    kind: 'page',
    entity: Lead,
    link: { column: 'investigation_id' },
    ordering: (args) => toOrdering(leadSortColumns, args.orderBy as LeadOrder | undefined, LEAD_DEFAULT_ORDER),
  },
  findings: { kind: 'many', entity: Finding, link: { column: 'investigation_id' } },
});

@Resolver(() => Investigation)
export class InvestigationResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => InvestigationConnection, { nullable: true, description: 'Investigations you may see.' })
  investigations(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => InvestigationFilter, {
      nullable: true,
      description: 'Only the investigations matching every field given.',
    })
    filter: InvestigationFilter | undefined,
    @Arg('orderBy', () => InvestigationOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: InvestigationOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Investigation>> {
    return listInvestigations(ctx, filter, orderBy, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => OpenInvestigationPayload, {
    nullable: true,
    description: 'Open an investigation on TRIAGED leads; they move to INVESTIGATING.',
  })
  openInvestigation(
    @Arg('input', { description: 'The arguments of `openInvestigation` in one object (OpenInvestigationInput).' })
    input: OpenInvestigationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Investigation>> {
    return payload(() => openInvestigation(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => RecordFindingPayload, {
    nullable: true,
    description: 'Record an offline place (factory, warehouse, …) found by an investigation.',
  })
  recordFinding(
    @Arg('input', { description: 'The arguments of `recordFinding` in one object (RecordFindingInput).' })
    input: RecordFindingInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Finding>> {
    return payload(() => recordFinding(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => MarkInvestigationReadyPayload, {
    nullable: true,
    description: 'EVIDENCE_GATHERING -> READY_FOR_REFERRAL.',
  })
  markInvestigationReady(
    @Arg('input', {
      description: 'The arguments of `markInvestigationReady` in one object (MarkInvestigationReadyInput).',
    })
    input: MarkInvestigationReadyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Investigation>> {
    return payload(() => markInvestigationReady(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CloseInvestigationPayload, {
    nullable: true,
    description: 'Close an investigation; its open leads close with it.',
  })
  closeInvestigation(
    @Arg('input', { description: 'The arguments of `closeInvestigation` in one object (CloseInvestigationInput).' })
    input: CloseInvestigationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Investigation>> {
    return payload(() => closeInvestigation(ctx, input));
  }

  @FieldResolver(() => LeadConnection, {
    description: 'The leads it investigates (a brand partner: those naming its brand).',
  })
  leads(
    @Root() investigation: Investigation,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => LeadFilter, { nullable: true, description: 'Only the leads matching every field given.' })
    filter: LeadFilter | undefined,
    @Arg('orderBy', () => LeadOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: LeadOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Lead>> {
    return leadsOf(ctx, { column: 'investigation_id' }, investigation.rowId, filter, orderBy, args);
  }

  @FieldResolver(() => [Finding], {
    description: `Offline places found (internal roles and the agencies it was referred to). At most ${MAX_FINDINGS_PER_INVESTIGATION}: recordFinding refuses more.`,
  })
  findings(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): Promise<Finding[]> {
    return loadChildren(ctx, Finding, { column: 'investigation_id' }, investigation.rowId);
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'Investigator in charge: internal roles only.' })
  assignee(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): Promise<Principal | null> | null {
    return investigation.assigneeId && isInternal(ctx.principal.role)
      ? loadById(ctx, Principal, investigation.assigneeId)
      : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Internal notes: null for partners and agencies.' })
  internalNotes(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? investigation.internalNotes : null;
  }
}

// `Lead.investigation`, for a selection compiled into one statement.
compilable(Lead, { investigation: { kind: 'one', entity: Investigation, property: 'investigationId' } });

/** `Lead.investigation`: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Lead)
export class LeadInvestigationResolver {
  @FieldResolver(() => Investigation, {
    nullable: true,
    description: 'The investigation it is part of; null before one is opened (or when you may not see it).',
  })
  investigation(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Investigation | null> | null {
    return lead.investigationId ? loadById(ctx, Investigation, lead.investigationId) : null;
  }
}
