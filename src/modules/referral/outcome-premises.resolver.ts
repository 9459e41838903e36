import { Args, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { Premises } from '../premises/premises.entity.js';
import { EnforcementOutcome } from './enforcement-outcome.entity.js';
import { outcomesAt, raidCount, raidNumber } from './outcome-premises.service.js';
import { OutcomeKind } from './referral.states.js';

const EnforcementOutcomeConnection = Connection(EnforcementOutcome);

/** The outcomes at premises: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Premises)
export class PremisesOutcomeResolver {
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
