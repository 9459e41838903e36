import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, isInternal } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Premises } from './premises.entity.js';
import { PremisesFilter, RegisterPremisesInput } from './premises.inputs.js';
import { listPremises, registerPremises } from './premises.service.js';

const PremisesConnection = Connection(Premises);
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
}
