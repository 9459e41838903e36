import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, Role } from '../../shared/auth/role.js';
import { Principal } from '../principal/principal.entity.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren, ParentLink } from '../../shared/data-access/scoped-query.js';
import { compilable } from '../../shared/data-access/selection-sql.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Evidence } from '../evidence/evidence.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { EnforcementOutcome } from './enforcement-outcome.entity.js';
import { ReferralChange } from './referral-change.entity.js';
import { ReferralEscalation } from './referral-escalation.entity.js';
import { ReferralFeedback } from './referral-feedback.entity.js';
import { addReferralFeedback, escalateReferral } from './referral-follow-up.service.js';
import { missedDeadline, ReferralDeadline } from './referral.deadlines.js';
import { Referral } from './referral.entity.js';
import {
  AcknowledgeReferralInput,
  AddReferralFeedbackInput,
  CloseReferralInput,
  CreateReferralInput,
  DeclineReferralInput,
  EscalateReferralInput,
  RecordEnforcementOutcomeInput,
  ReferralFilter,
  ReferralOrder,
  SendReferralInput,
} from './referral.inputs.js';
import {
  acknowledgeReferral,
  closeReferral,
  createReferral,
  declineReferral,
  listReferrals,
  recordEnforcementOutcome,
  referralChanges,
  sendReferral,
} from './referral.service.js';
import {
  MAX_ESCALATIONS_PER_REFERRAL,
  MAX_FEEDBACK_PER_REFERRAL,
  MAX_OUTCOMES_PER_REFERRAL,
  MAX_REFERRALS_PER_INVESTIGATION,
} from '../../shared/list-bounds.js';

const ReferralConnection = Connection(Referral);
const ReferralChangeConnection = Connection(ReferralChange);
const ReferralPayload = (name: string) => Payload(name, 'referral', Referral);
const CreateReferralPayload = ReferralPayload('CreateReferralPayload');
const SendReferralPayload = ReferralPayload('SendReferralPayload');
const AcknowledgeReferralPayload = ReferralPayload('AcknowledgeReferralPayload');
const DeclineReferralPayload = ReferralPayload('DeclineReferralPayload');
const CloseReferralPayload = ReferralPayload('CloseReferralPayload');
const RecordEnforcementOutcomePayload = Payload('RecordEnforcementOutcomePayload', 'outcome', EnforcementOutcome);
const EscalateReferralPayload = Payload('EscalateReferralPayload', 'escalation', ReferralEscalation);
const AddReferralFeedbackPayload = Payload('AddReferralFeedbackPayload', 'feedback', ReferralFeedback);
const AGENCY_ACTORS = [...CASE_WRITERS, Role.AGENCY_LIAISON];

const DISCLOSED_EVIDENCE: ParentLink = {
  through: 'referral_evidence',
  childColumn: 'evidence_id',
  parentColumn: 'referral_id',
};
// The links of the field resolvers below, for a selection compiled into one statement (src/shared/data-access/selection-sql.ts).
compilable(Referral, {
  investigation: { kind: 'one', entity: Investigation, property: 'investigationId' },
  agency: { kind: 'one', entity: Agency, property: 'agencyId' },
  disclosedEvidence: { kind: 'many', entity: Evidence, link: DISCLOSED_EVIDENCE },
  outcomes: { kind: 'many', entity: EnforcementOutcome, link: { column: 'referral_id' } },
  escalations: { kind: 'many', entity: ReferralEscalation, link: { column: 'referral_id' } },
  feedback: { kind: 'many', entity: ReferralFeedback, link: { column: 'referral_id' } },
});

@Resolver(() => Referral)
export class ReferralResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => ReferralConnection, {
    nullable: true,
    description: 'Referrals you may see (an agency: those sent to it, never drafts).',
  })
  referrals(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ReferralFilter, {
      nullable: true,
      description: 'Only the referrals matching every field given.',
    })
    filter: ReferralFilter | undefined,
    @Arg('orderBy', () => ReferralOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: ReferralOrder | undefined,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Page<Referral>> {
    return listReferrals(ctx, filter, orderBy, args, info);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => ReferralChangeConnection, {
    nullable: true,
    description:
      'Every change of the referrals you may see, in commit order. Keep the last `endCursor` and pass it as `after`: nothing is missed, nothing comes twice.',
  })
  referralChanges(@Args() args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<Page<ReferralChange>> {
    return referralChanges(ctx, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CreateReferralPayload, {
    nullable: true,
    description: 'Draft a referral of an investigation to an agency, with the evidence to disclose.',
  })
  createReferral(
    @Arg('input', { description: 'The arguments of `createReferral` in one object (CreateReferralInput).' })
    input: CreateReferralInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Referral>> {
    return payload(() => createReferral(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => SendReferralPayload, {
    nullable: true,
    description: 'DRAFT -> SENT; the investigation and its leads move to REFERRED.',
  })
  sendReferral(
    @Arg('input', { description: 'The arguments of `sendReferral` in one object (SendReferralInput).' })
    input: SendReferralInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Referral>> {
    return payload(() => sendReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => AcknowledgeReferralPayload, {
    nullable: true,
    description: 'SENT -> ACKNOWLEDGED, by the agency (or on its behalf).',
  })
  acknowledgeReferral(
    @Arg('input', { description: 'The arguments of `acknowledgeReferral` in one object (AcknowledgeReferralInput).' })
    input: AcknowledgeReferralInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Referral>> {
    return payload(() => acknowledgeReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => DeclineReferralPayload, {
    nullable: true,
    description: 'SENT | ACKNOWLEDGED -> DECLINED, with a reason.',
  })
  declineReferral(
    @Arg('input', { description: 'The arguments of `declineReferral` in one object (DeclineReferralInput).' })
    input: DeclineReferralInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Referral>> {
    return payload(() => declineReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => RecordEnforcementOutcomePayload, {
    nullable: true,
    description: 'Report a raid, arrest, seizure, fine, prosecution, conviction or acquittal.',
  })
  recordEnforcementOutcome(
    @Arg('input', {
      description: 'The arguments of `recordEnforcementOutcome` in one object (RecordEnforcementOutcomeInput).',
    })
    input: RecordEnforcementOutcomeInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<EnforcementOutcome>> {
    return payload(() => recordEnforcementOutcome(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CloseReferralPayload, { nullable: true, description: 'CONVICTED | ACQUITTED | DECLINED -> CLOSED.' })
  closeReferral(
    @Arg('input', { description: 'The arguments of `closeReferral` in one object (CloseReferralInput).' })
    input: CloseReferralInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Referral>> {
    return payload(() => closeReferral(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => EscalateReferralPayload, {
    nullable: true,
    description: 'Record that a referral the agency is late on was escalated: to whom (free text) and why.',
  })
  escalateReferral(
    @Arg('input', { description: 'The arguments of `escalateReferral` in one object (EscalateReferralInput).' })
    input: EscalateReferralInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<ReferralEscalation>> {
    return payload(() => escalateReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => AddReferralFeedbackPayload, {
    nullable: true,
    description: "The agency's feedback on a referral sent to it; it shows in the investigation's history.",
  })
  addReferralFeedback(
    @Arg('input', { description: 'The arguments of `addReferralFeedback` in one object (AddReferralFeedbackInput).' })
    input: AddReferralFeedbackInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<ReferralFeedback>> {
    return payload(() => addReferralFeedback(ctx, input));
  }

  @FieldResolver(() => Investigation, {
    nullable: true,
    description: 'The investigation referred (null when you may not see it).',
  })
  investigation(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<Investigation | null> {
    return loadById(ctx, Investigation, referral.investigationId);
  }

  @FieldResolver(() => Boolean, {
    description:
      'Whether a deadline has passed: not acknowledged by `acknowledgeBy`, or no first action (nor decline) by `actionBy`.',
  })
  overdue(@Root() referral: Referral): boolean {
    return missedDeadline(referral) !== null;
  }

  @FieldResolver(() => ReferralDeadline, {
    nullable: true,
    description: 'The deadline that has passed (ACTION when both have), or null.',
  })
  missedDeadline(@Root() referral: Referral): ReferralDeadline | null {
    return missedDeadline(referral);
  }

  @FieldResolver(() => [ReferralEscalation], {
    description: `Escalations of it, oldest first (internal roles and the agency of the referral). At most ${MAX_ESCALATIONS_PER_REFERRAL}: escalateReferral refuses more.`,
  })
  escalations(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<ReferralEscalation[]> {
    return loadChildren(ctx, ReferralEscalation, { column: 'referral_id' }, referral.rowId);
  }

  @FieldResolver(() => [ReferralFeedback], {
    description:
      "The agency's feedback on it, oldest first (internal roles and the agency of the referral). " +
      `At most ${MAX_FEEDBACK_PER_REFERRAL}: addReferralFeedback refuses more.`,
  })
  feedback(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<ReferralFeedback[]> {
    return loadChildren(ctx, ReferralFeedback, { column: 'referral_id' }, referral.rowId);
  }

  @FieldResolver(() => Agency, { nullable: true, description: 'The agency it is sent to.' })
  agency(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<Agency | null> {
    return loadById(ctx, Agency, referral.agencyId);
  }

  @FieldResolver(() => [Evidence], {
    description:
      'The evidence disclosed to the agency (internal roles and that agency). At most 100: createReferral takes at most 100 evidenceIds.',
  })
  disclosedEvidence(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<Evidence[]> {
    return loadChildren(ctx, Evidence, DISCLOSED_EVIDENCE, referral.rowId);
  }

  @FieldResolver(() => [EnforcementOutcome], {
    description: `What the agency reported back, oldest first. At most ${MAX_OUTCOMES_PER_REFERRAL}: recordEnforcementOutcome refuses more.`,
  })
  outcomes(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome[]> {
    return loadChildren(ctx, EnforcementOutcome, { column: 'referral_id' }, referral.rowId);
  }
}

@Resolver(() => EnforcementOutcome)
export class EnforcementOutcomeResolver {
  @FieldResolver(() => Referral, {
    nullable: true,
    description: 'The referral it answers (null when you may not see it).',
  })
  referral(@Root() outcome: EnforcementOutcome, @Ctx() ctx: RequestContext): Promise<Referral | null> {
    return loadById(ctx, Referral, outcome.referralId);
  }
}

@Resolver(() => ReferralEscalation)
export class ReferralEscalationResolver {
  @FieldResolver(() => Referral, {
    nullable: true,
    description: 'The referral escalated (null when you may not see it).',
  })
  referral(@Root() escalation: ReferralEscalation, @Ctx() ctx: RequestContext): Promise<Referral | null> {
    return loadById(ctx, Referral, escalation.referralId);
  }

  @FieldResolver(() => Principal, {
    nullable: true,
    description: 'Who escalated it (internal roles; others see only themselves).',
  })
  escalatedBy(@Root() escalation: ReferralEscalation, @Ctx() ctx: RequestContext): Promise<Principal | null> | null {
    return escalation.escalatedById ? loadById(ctx, Principal, escalation.escalatedById) : null;
  }
}

@Resolver(() => ReferralFeedback)
export class ReferralFeedbackResolver {
  @FieldResolver(() => Referral, {
    nullable: true,
    description: 'The referral it is about (null when you may not see it).',
  })
  referral(@Root() feedback: ReferralFeedback, @Ctx() ctx: RequestContext): Promise<Referral | null> {
    return loadById(ctx, Referral, feedback.referralId);
  }

  @FieldResolver(() => Principal, {
    nullable: true,
    description: 'Who wrote it (internal roles; others see only themselves).',
  })
  author(@Root() feedback: ReferralFeedback, @Ctx() ctx: RequestContext): Promise<Principal | null> | null {
    return feedback.authorId ? loadById(ctx, Principal, feedback.authorId) : null;
  }
}

@Resolver(() => ReferralChange)
export class ReferralChangeResolver {
  @FieldResolver(() => Referral, {
    nullable: true,
    description: 'The referral changed (null when you may no longer see it).',
  })
  referral(@Root() change: ReferralChange, @Ctx() ctx: RequestContext): Promise<Referral | null> {
    return loadById(ctx, Referral, change.referralId);
  }

  @FieldResolver(() => EnforcementOutcome, {
    nullable: true,
    description: 'The outcome recorded, for OUTCOME_RECORDED changes.',
  })
  outcome(@Root() change: ReferralChange, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome | null> | null {
    return change.outcomeId ? loadById(ctx, EnforcementOutcome, change.outcomeId) : null;
  }
}

// `Investigation.referrals`, for a selection compiled into one statement.
compilable(Investigation, { referrals: { kind: 'many', entity: Referral, link: { column: 'investigation_id' } } });

/**
 * An investigation's referrals and their follow-up: a link between two modules lives in the higher one
 * (README, "Architecture").
 */
@Resolver(() => Investigation)
export class InvestigationReferralResolver {
  @FieldResolver(() => [Referral], {
    description: `Referrals made from it that you may see (never drafts, for partners). At most ${MAX_REFERRALS_PER_INVESTIGATION}: createReferral refuses more.`,
  })
  referrals(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): Promise<Referral[]> {
    return loadChildren(ctx, Referral, { column: 'investigation_id' }, investigation.rowId);
  }

  @FieldResolver(() => [ReferralFeedback], {
    description:
      "The agencies' feedback on its referrals, oldest first (internal roles and the agency of each referral). " +
      `At most ${MAX_FEEDBACK_PER_REFERRAL} per referral (addReferralFeedback refuses more), so at most ${MAX_REFERRALS_PER_INVESTIGATION * MAX_FEEDBACK_PER_REFERRAL}.`,
  })
  feedback(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): Promise<ReferralFeedback[]> {
    return loadChildren(ctx, ReferralFeedback, { column: 'investigation_id' }, investigation.rowId);
  }

  @FieldResolver(() => [ReferralEscalation], {
    description:
      'Escalations of its referrals, oldest first (internal roles and the agency of each referral). ' +
      `At most ${MAX_ESCALATIONS_PER_REFERRAL} per referral (escalateReferral refuses more), so at most ${MAX_REFERRALS_PER_INVESTIGATION * MAX_ESCALATIONS_PER_REFERRAL}.`,
  })
  escalations(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): Promise<ReferralEscalation[]> {
    return loadChildren(ctx, ReferralEscalation, { column: 'investigation_id' }, investigation.rowId);
  }
}
