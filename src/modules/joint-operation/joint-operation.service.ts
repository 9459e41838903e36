import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { lockForChange, scopedQuery, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { badInput } from '../../shared/errors.js';
import { once, onceForKey } from '../../shared/idempotency.js';
import { nextReference } from '../../shared/reference.js';
import { ConnectionArgs, OrderDirection } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { JointOperation } from './joint-operation.entity.js';
import {
  AddOutcomesToJointOperationInput,
  CreateJointOperationInput,
  RevalueJointOperationInput,
} from './joint-operation.inputs.js';
import { countChildren, MAX_OUTCOMES_PER_JOINT_OPERATION, refuseBeyondBound } from '../../shared/list-bounds.js';

export function operationSnapshot(operation: JointOperation) {
  const { reference, name, seizedValueAmount, seizedValueCurrency, valuationMethod, valuationNote, version } =
    operation;
  return { reference, name, seizedValueAmount, seizedValueCurrency, valuationMethod, valuationNote, version };
}

/** Puts outcomes into an operation: each must exist for the caller and be in no operation yet. */
async function group(ctx: RequestContext, operation: JointOperation, outcomeGids: string[]): Promise<void> {
  if (outcomeGids.length < 1 || outcomeGids.length > 100)
    throw badInput('outcomeIds takes 1 to 100 outcome ids.', 'outcomeIds');
  const ids = [...new Set(outcomeGids.map((id) => decodeIdOf('EnforcementOutcome', id, 'outcomeIds')))];
  // Locked in id order, so that two operations grouping the same outcomes at once cannot both take one.
  const outcomes = await scopedQuery(ctx, EnforcementOutcome)
    .andWhere('t.id = ANY(:groupIds)', { groupIds: ids })
    .orderBy('t.id')
    .setLock('pessimistic_write', undefined, ['t'])
    .getMany();
  if (outcomes.length !== ids.length)
    refuse(UserErrorCode.NOT_FOUND, 'One of the outcomes does not exist.', ['input', 'outcomeIds']);
  const taken = outcomes.find((o) => o.operationId !== null);
  if (taken)
    refuse(UserErrorCode.INVALID, `Outcome ${taken.globalId} is part of another joint operation already.`, [
      'input',
      'outcomeIds',
    ]);
  // The operation is locked (or new): two groupings cannot both take its last places.
  const grouped = await countChildren(ctx.db, 'enforcement_outcome', 'operation_id', operation.rowId);
  refuseBeyondBound(
    `Joint operation ${operation.reference}`,
    'outcomes',
    grouped,
    ids.length,
    MAX_OUTCOMES_PER_JOINT_OPERATION,
    ['input', 'outcomeIds'],
  );
  await ctx.db.query(`UPDATE enforcement_outcome SET operation_id = $1 WHERE id = ANY($2::bigint[])`, [
    operation.rowId,
    ids,
  ]);
  for (const outcome of outcomes)
    await auditChange(
      ctx,
      'enforcementOutcome.groupedIntoOperation',
      outcome,
      { operationId: null },
      { operationId: operation.rowId },
    );
}

export async function createJointOperation(
  ctx: RequestContext,
  input: CreateJointOperationInput,
): Promise<JointOperation> {
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'createJointOperation', input.idempotencyKey, input, async () => {
      const operation = tx.db.create(JointOperation, {
        reference: await nextReference(tx, 'OP'),
        name: input.name,
        seizedValueAmount: input.seizedValue ? String(input.seizedValue.amount) : null,
        seizedValueCurrency: input.seizedValue?.currency ?? null,
        valuationMethod: input.valuationMethod,
        valuationNote: input.valuationNote ?? null,
        createdById: tx.principal.rowId,
      });
      await tx.db.save(operation);
      await auditChange(tx, 'jointOperation.created', operation, null, operationSnapshot(operation));
      await group(tx, operation, input.outcomeIds);
      return operation.rowId;
    });
    return tx.db.findOneByOrFail(JointOperation, { rowId: id });
  });
}

export async function addOutcomesToJointOperation(
  ctx: RequestContext,
  input: AddOutcomesToJointOperationInput,
): Promise<JointOperation> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'addOutcomesToJointOperation', input, JointOperation, async () => {
      const operation = await lockForChange(
        tx,
        JointOperation,
        decodeIdOf('JointOperation', input.operationId, 'operationId'),
        input.expectedVersion,
        ['input', 'operationId'],
      );
      await group(tx, operation, input.outcomeIds);
      // The operation changed (what it groups): its version moves, so that a revaluation sees it.
      return updateVersioned(tx, JointOperation, operation, {});
    }),
  );
}

export async function revalueJointOperation(
  ctx: RequestContext,
  input: RevalueJointOperationInput,
): Promise<JointOperation> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'revalueJointOperation', input, JointOperation, async () => {
      const operation = await lockForChange(
        tx,
        JointOperation,
        decodeIdOf('JointOperation', input.operationId, 'operationId'),
        input.expectedVersion,
        ['input', 'operationId'],
      );
      const before = operationSnapshot(operation);
      await updateVersioned(tx, JointOperation, operation, {
        seizedValueAmount: input.seizedValue ? String(input.seizedValue.amount) : null,
        seizedValueCurrency: input.seizedValue?.currency ?? null,
        valuationMethod: input.valuationMethod,
        valuationNote: input.valuationNote ?? null,
      });
      await auditChange(tx, 'jointOperation.revalued', operation, before, operationSnapshot(operation));
      return operation;
    }),
  );
}

const OPERATION_ORDERING = {
  key: 'CREATED_AT',
  column: 'created_at',
  property: 'createdAt',
  direction: OrderDirection.DESC,
};

export function listJointOperations(ctx: RequestContext, args: ConnectionArgs) {
  return paginate(ctx, 'jointOperations', scopedQuery(ctx, JointOperation), OPERATION_ORDERING, args);
}
