import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { once } from '../../shared/idempotency.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { CustodyTransfer } from './custody-transfer.entity.js';
import { AcknowledgeCustodyTransferInput } from './evidence.inputs.js';

/**
 * The receiving agency confirms a hand-over made to it: once, by one of its liaisons. A transfer the caller may
 * not see (evidence not disclosed to its agency) is NOT_FOUND, as one that does not exist.
 */
export async function acknowledgeCustodyTransfer(
  ctx: RequestContext,
  input: AcknowledgeCustodyTransferInput,
): Promise<CustodyTransfer> {
  const field = ['input', 'custodyTransferId'];
  const rowId = decodeIdOf('CustodyTransfer', input.custodyTransferId, 'custodyTransferId');
  return inTransaction(ctx, (tx) =>
    once(tx, 'acknowledgeCustodyTransfer', input, CustodyTransfer, async () => {
      const transfer = await scopedQuery(tx, CustodyTransfer)
        .andWhere('t.id = :rowId', { rowId })
        .setLock('pessimistic_write', undefined, ['t'])
        .getOne();
      if (!transfer)
        return refuse(UserErrorCode.NOT_FOUND, `No custody transfer has the id "${input.custodyTransferId}".`, field);
      const receiver = tx.scope.kind === 'AGENCY' ? tx.scope.agencyId : null;
      if (transfer.toAgencyId === null || transfer.toAgencyId !== receiver)
        refuse(
          UserErrorCode.INVALID,
          transfer.toAgencyId === null
            ? 'This hand-over names no receiving agency: there is nothing to acknowledge.'
            : 'This hand-over was made to another agency: only the receiving agency acknowledges it.',
          field,
        );
      if (transfer.acknowledgedAt)
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `This hand-over was acknowledged on ${transfer.acknowledgedAt.toISOString()}.`,
          field,
        );
      const acknowledgedAt = new Date();
      // Only these two columns may change (migration CustodyAcknowledgement), and only while unacknowledged.
      await tx.db.query(
        `UPDATE custody_transfer SET acknowledged_at = $2, acknowledged_by_id = $3 WHERE id = $1 AND acknowledged_at IS NULL`,
        [transfer.rowId, acknowledgedAt, tx.principal.rowId],
      );
      Object.assign(transfer, { acknowledgedAt, acknowledgedById: tx.principal.rowId });
      await auditChange(
        tx,
        'evidence.custodyAcknowledged',
        transfer,
        { acknowledgedAt: null },
        { evidenceId: transfer.evidenceId, toAgencyId: transfer.toAgencyId, acknowledgedAt },
      );
      return transfer;
    }),
  );
}
