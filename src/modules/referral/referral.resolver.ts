import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, Role } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Evidence } from '../evidence/evidence.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { EnforcementOutcome } from './enforcement-outcome.entity.js';
import { ReferralChange } from './referral-change.entity.js';
import { Referral } from './referral.entity.js';
import {
  AcknowledgeReferralInput, CloseReferralInput, CreateReferralInput, DeclineReferralInput, RecordEnforcementOutcomeInput, ReferralFilter, ReferralOrder, SendReferralInput,
} from './referral.inputs.js';
import {
  acknowledgeReferral, closeReferral, createReferral, declineReferral, listReferrals, recordEnforcementOutcome, referralChanges, sendReferral,
} from './referral.service.js';

const ReferralConnection = Connection(Referral);
const ReferralChangeConnection = Connection(ReferralChange);
const ReferralPayload = (name: string) => Payload(name, 'referral', Referral);
const CreateReferralPayload = ReferralPayload('CreateReferralPayload');
const SendReferralPayload = ReferralPayload('SendReferralPayload');
const AcknowledgeReferralPayload = ReferralPayload('AcknowledgeReferralPayload');
const DeclineReferralPayload = ReferralPayload('DeclineReferralPayload');
const CloseReferralPayload = ReferralPayload('CloseReferralPayload');
const RecordEnforcementOutcomePayload = Payload('RecordEnforcementOutcomePayload', 'outcome', EnforcementOutcome);
const AGENCY_ACTORS = [...CASE_WRITERS, Role.AGENCY_LIAISON];

@Resolver(() => Referral)
export class ReferralResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => ReferralConnection, { description: 'Referrals you may see (an agency: those sent to it, never drafts).' })
  referrals(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ReferralFilter, { nullable: true }) filter: ReferralFilter | undefined,
    @Arg('orderBy', () => ReferralOrder, { nullable: true }) orderBy: ReferralOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Referral>> {
    return listReferrals(ctx, filter, orderBy, args);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => ReferralChangeConnection, {
    description: 'Every change of the referrals you may see, in commit order. Keep the last `endCursor` and pass it as `after`: nothing is missed, nothing comes twice.',
  })
  referralChanges(@Args() args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<Page<ReferralChange>> {
    return referralChanges(ctx, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CreateReferralPayload, { description: 'Draft a referral of an investigation to an agency, with the evidence to disclose.' })
  createReferral(@Arg('input') input: CreateReferralInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Referral>> {
    return payload(() => createReferral(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => SendReferralPayload, { description: 'DRAFT -> SENT; the investigation and its leads move to REFERRED.' })
  sendReferral(@Arg('input') input: SendReferralInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Referral>> {
    return payload(() => sendReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => AcknowledgeReferralPayload, { description: 'SENT -> ACKNOWLEDGED, by the agency (or on its behalf).' })
  acknowledgeReferral(@Arg('input') input: AcknowledgeReferralInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Referral>> {
    return payload(() => acknowledgeReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => DeclineReferralPayload, { description: 'SENT | ACKNOWLEDGED -> DECLINED, with a reason.' })
  declineReferral(@Arg('input') input: DeclineReferralInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Referral>> {
    return payload(() => declineReferral(ctx, input));
  }

  @Authorized(...AGENCY_ACTORS)
  @Mutation(() => RecordEnforcementOutcomePayload, { description: 'Report a raid, arrest, seizure, fine, prosecution, conviction or acquittal.' })
  recordEnforcementOutcome(@Arg('input') input: RecordEnforcementOutcomeInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<EnforcementOutcome>> {
    return payload(() => recordEnforcementOutcome(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CloseReferralPayload, { description: 'CONVICTED | ACQUITTED | DECLINED -> CLOSED.' })
  closeReferral(@Arg('input') input: CloseReferralInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Referral>> {
    return payload(() => closeReferral(ctx, input));
  }

  @FieldResolver(() => Investigation, { nullable: true })
  investigation(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<Investigation | null> {
    return loadById(ctx, Investigation, referral.investigationId);
  }

  @FieldResolver(() => Agency, { nullable: true })
  agency(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<Agency | null> {
    return loadById(ctx, Agency, referral.agencyId);
  }

  @FieldResolver(() => [Evidence], { description: 'The evidence disclosed to the agency (internal roles and that agency).' })
  disclosedEvidence(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<Evidence[]> {
    return loadChildren(ctx, Evidence, { through: 'referral_evidence', childColumn: 'evidence_id', parentColumn: 'referral_id' }, referral.rowId);
  }

  @FieldResolver(() => [EnforcementOutcome], { description: 'What the agency reported back, oldest first.' })
  outcomes(@Root() referral: Referral, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome[]> {
    return loadChildren(ctx, EnforcementOutcome, { column: 'referral_id' }, referral.rowId);
  }
}

@Resolver(() => EnforcementOutcome)
export class EnforcementOutcomeResolver {
  @FieldResolver(() => Referral, { nullable: true })
  referral(@Root() outcome: EnforcementOutcome, @Ctx() ctx: RequestContext): Promise<Referral | null> {
    return loadById(ctx, Referral, outcome.referralId);
  }
}

@Resolver(() => ReferralChange)
export class ReferralChangeResolver {
  @FieldResolver(() => Referral, { nullable: true })
  referral(@Root() change: ReferralChange, @Ctx() ctx: RequestContext): Promise<Referral | null> {
    return loadById(ctx, Referral, change.referralId);
  }

  @FieldResolver(() => EnforcementOutcome, { nullable: true, description: 'The outcome recorded, for OUTCOME_RECORDED changes.' })
  outcome(@Root() change: ReferralChange, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome | null> | null {
    return change.outcomeId ? loadById(ctx, EnforcementOutcome, change.outcomeId) : null;
  }
}

