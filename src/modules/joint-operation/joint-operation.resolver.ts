import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, isInternal } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { JointOperation } from './joint-operation.entity.js';
import {
  AddOutcomesToJointOperationInput,
  CreateJointOperationInput,
  RevalueJointOperationInput,
} from './joint-operation.inputs.js';
import {
  addOutcomesToJointOperation,
  createJointOperation,
  listJointOperations,
  revalueJointOperation,
} from './joint-operation.service.js';
import { MAX_OUTCOMES_PER_JOINT_OPERATION } from '../../shared/list-bounds.js';

const JointOperationConnection = Connection(JointOperation);
const CreateJointOperationPayload = Payload('CreateJointOperationPayload', 'operation', JointOperation);
const AddOutcomesToJointOperationPayload = Payload('AddOutcomesToJointOperationPayload', 'operation', JointOperation);
const RevalueJointOperationPayload = Payload('RevalueJointOperationPayload', 'operation', JointOperation);

@Resolver(() => JointOperation)
export class JointOperationResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => JointOperationConnection, {
    nullable: true,
    description: 'Joint operations you may see (those with an outcome you may see), newest first.',
  })
  jointOperations(@Args() args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<Page<JointOperation>> {
    return listJointOperations(ctx, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CreateJointOperationPayload, {
    nullable: true,
    description:
      'Group the outcomes several agencies reported of one action, with the seized value agreed for the whole and how it was valued.',
  })
  createJointOperation(
    @Arg('input', { description: 'The arguments of `createJointOperation` in one object (CreateJointOperationInput).' })
    input: CreateJointOperationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<JointOperation>> {
    return payload(() => createJointOperation(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => AddOutcomesToJointOperationPayload, {
    nullable: true,
    description: 'Add outcomes reported later to a joint operation.',
  })
  addOutcomesToJointOperation(
    @Arg('input', {
      description: 'The arguments of `addOutcomesToJointOperation` in one object (AddOutcomesToJointOperationInput).',
    })
    input: AddOutcomesToJointOperationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<JointOperation>> {
    return payload(() => addOutcomesToJointOperation(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => RevalueJointOperationPayload, {
    nullable: true,
    description: 'Change the agreed seized value of a joint operation, or how it was valued.',
  })
  revalueJointOperation(
    @Arg('input', {
      description: 'The arguments of `revalueJointOperation` in one object (RevalueJointOperationInput).',
    })
    input: RevalueJointOperationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<JointOperation>> {
    return payload(() => revalueJointOperation(ctx, input));
  }

  @FieldResolver(() => [EnforcementOutcome], {
    description: `Its outcomes that you may see (an agency: its own), oldest id first. At most ${MAX_OUTCOMES_PER_JOINT_OPERATION}: grouping more is refused.`,
  })
  outcomes(@Root() operation: JointOperation, @Ctx() ctx: RequestContext): Promise<EnforcementOutcome[]> {
    return loadChildren(ctx, EnforcementOutcome, { column: 'operation_id' }, operation.rowId);
  }

  @FieldResolver(() => String, { nullable: true, description: 'How the value was agreed: internal roles only.' })
  valuationNote(@Root() operation: JointOperation, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? operation.valuationNote : null;
  }
}

@Resolver(() => EnforcementOutcome)
export class OutcomeJointOperationResolver {
  @FieldResolver(() => JointOperation, {
    nullable: true,
    description:
      "The joint operation it is part of: analytics count, instead of this outcome's own seized value, its agency's share of the operation's " +
      "agreed value, with the agency's first outcome in the operation.",
  })
  operation(@Root() outcome: EnforcementOutcome, @Ctx() ctx: RequestContext): Promise<JointOperation | null> | null {
    return outcome.operationId ? loadById(ctx, JointOperation, outcome.operationId) : null;
  }
}
