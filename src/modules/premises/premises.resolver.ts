import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, isInternal } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Finding } from '../investigation/finding.entity.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { OutcomeKind } from '../referral/referral.states.js';
import { Premises } from './premises.entity.js';
import { PremisesFilter, RegisterPremisesInput } from './premises.inputs.js';
import { findingsAt, listPremises, outcomesAt, raidCount, raidNumber, registerPremises } from './premises.service.js';

const PremisesConnection = Connection(Premises);
const EnforcementOutcomeConnection = Connection(EnforcementOutcome);
const FindingConnection = Connection(Finding);
const RegisterPremisesPayload = Payload('RegisterPremisesPayload', 'premises', Premises);

@Resolver(() => Premises)
export class PremisesResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => PremisesConnection, {
    nullable: true,
    description: 'Premises you may see (an agency: those its referrals name; brand partners: none), newest first.',
  })
  premises(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => PremisesFilter, {
      nullable: true,
      description: 'Only the premises matching every field given.',
    })
    filter: PremisesFilter | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Premises>> {
    return listPremises(ctx, filter, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => RegisterPremisesPayload, {
    nullable: true,
    description:
      'Register an offline place, to link findings (recordFinding) and outcomes (recordEnforcementOutcome) to it.',
  })
  registerPremises(
    @Arg('input', { description: 'The arguments of `registerPremises` in one object (RegisterPremisesInput).' })
    input: RegisterPremisesInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Premises>> {
    return payload(() => registerPremises(ctx, input));
  }

  @FieldResolver(() => String, { nullable: true, description: 'Internal notes: null for agencies.' })
  notes(@Root() premises: Premises, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? premises.notes : null;
  }

  @FieldResolver(() => Int, { description: 'Raids reported at these premises (that you may see).' })
  raidCount(@Root() premises: Premises, @Ctx() ctx: RequestContext): Promise<number> {
    return raidCount(ctx, premises.rowId);
  }

  @FieldResolver(() => [EnforcementOutcome], {
    description: 'The raids reported here, oldest first (that you may see): every one, however many.',
    deprecationReason: 'Unbounded (a place is raided again over the years): use `raidsConnection`, which pages.',
  })
  async raids(@Root() premises: Premises, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome[]> {
    return (await this.outcomes(premises, ctx)).filter((o) => o.kind === OutcomeKind.RAID);
  }

  @FieldResolver(() => [EnforcementOutcome], {
    description:
      'Every outcome reported here (raids, seizures, arrests, …), oldest first (that you may see): every one, however many.',
    deprecationReason:
      'Unbounded (outcomes at one place accumulate over the years): use `outcomesConnection`, which pages.',
  })
  async outcomes(@Root() premises: Premises, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome[]> {
    const outcomes = await loadChildren(ctx, EnforcementOutcome, { column: 'premises_id' }, premises.rowId);
    return [...outcomes].sort(
      (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || Number(a.rowId) - Number(b.rowId),
    );
  }

  @FieldResolver(() => [Finding], {
    description: 'Findings of investigations that located these premises (that you may see): every one, however many.',
    deprecationReason:
      'Unbounded (every investigation that finds the place adds one): use `findingsConnection`, which pages.',
  })
  findings(@Root() premises: Premises, @Ctx() ctx: RequestContext): Promise<Finding[]> {
    return loadChildren(ctx, Finding, { column: 'premises_id' }, premises.rowId);
  }

  @FieldResolver(() => EnforcementOutcomeConnection, {
    description: 'The raids reported here that you may see, oldest first, a page at a time.',
  })
  raidsConnection(
    @Root() premises: Premises,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<EnforcementOutcome>> {
    return outcomesAt(ctx, premises.rowId, args, true);
  }

  @FieldResolver(() => EnforcementOutcomeConnection, {
    description:
      'Every outcome reported here (raids, seizures, arrests, …) that you may see, oldest first, a page at a time.',
  })
  outcomesConnection(
    @Root() premises: Premises,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<EnforcementOutcome>> {
    return outcomesAt(ctx, premises.rowId, args, false);
  }

  @FieldResolver(() => FindingConnection, {
    description:
      'Findings of investigations that located these premises, that you may see, oldest first, a page at a time.',
  })
  findingsConnection(
    @Root() premises: Premises,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Finding>> {
    return findingsAt(ctx, premises.rowId, args);
  }
}

@Resolver(() => Finding)
export class FindingPremisesResolver {
  @FieldResolver(() => Premises, { nullable: true, description: 'The registered premises this finding located.' })
  premises(@Root() finding: Finding, @Ctx() ctx: RequestContext): Promise<Premises | null> | null {
    return finding.premisesId ? loadById(ctx, Premises, finding.premisesId) : null;
  }
}

@Resolver(() => EnforcementOutcome)
export class OutcomePremisesResolver {
  @FieldResolver(() => Premises, {
    nullable: true,
    description:
      'Where it happened (internal roles and the agencies whose referrals name the premises; brand partners: see `region`).',
  })
  premises(@Root() outcome: EnforcementOutcome, @Ctx() ctx: RequestContext): Promise<Premises | null> | null {
    return outcome.premisesId ? loadById(ctx, Premises, outcome.premisesId) : null;
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description:
      'For a RAID at registered premises: which raid there it was (1 for the first), among those you may see.',
  })
  raidNumber(@Root() outcome: EnforcementOutcome, @Ctx() ctx: RequestContext): Promise<number | null> {
    return raidNumber(ctx, outcome);
  }
}
