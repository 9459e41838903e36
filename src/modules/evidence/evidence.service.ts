import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { requireVisible } from '../../shared/data-access/lookup.js';
import { lockForChange, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { once, onceForKey } from '../../shared/idempotency.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { moveInvestigation } from '../investigation/investigation.service.js';
import { InvestigationStatus } from '../investigation/investigation.states.js';
import { CustodyTransfer } from './custody-transfer.entity.js';
import { Evidence } from './evidence.entity.js';
import { AddEvidenceInput, RecordCustodyTransferInput } from './evidence.inputs.js';
import {
  countChildren,
  MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
  MAX_EVIDENCE_PER_INVESTIGATION,
  refuseBeyondBound,
} from '../../shared/list-bounds.js';

/** Adds an evidence item; the first one moves an OPEN investigation to EVIDENCE_GATHERING. */
export async function addEvidence(ctx: RequestContext, input: AddEvidenceInput): Promise<Evidence> {
  if (input.collectedAt.getTime() > Date.now() + 5 * 60_000)
    refuse(UserErrorCode.INVALID, 'collectedAt is in the future.', ['input', 'collectedAt']);
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'addEvidence', input.idempotencyKey, input, async () => {
      const investigation = await lockForChange(
        tx,
        Investigation,
        decodeIdOf('Investigation', input.investigationId, 'investigationId'),
        null,
        ['input', 'investigationId'],
      );
      if (investigation.status === InvestigationStatus.CLOSED) {
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `Investigation ${investigation.reference} is closed: no evidence can be added.`,
          ['input', 'investigationId'],
        );
      }
      const items = await countChildren(tx.db, 'evidence', 'investigation_id', investigation.rowId);
      refuseBeyondBound(
        `Investigation ${investigation.reference}`,
        'evidence items',
        items,
        1,
        MAX_EVIDENCE_PER_INVESTIGATION,
        ['input', 'investigationId'],
      );
      const duplicate = await tx.db.findOneBy(Evidence, { investigationId: investigation.rowId, sha256: input.sha256 });
      if (duplicate)
        refuse(
          UserErrorCode.DUPLICATE,
          `This investigation already holds an item with this sha256 (${duplicate.globalId}).`,
          ['input', 'sha256'],
        );
      const evidence = tx.db.create(Evidence, {
        investigationId: investigation.rowId,
        kind: input.kind,
        description: input.description,
        sha256: input.sha256,
        storageKey: input.storageKey,
        collectedBy: input.collectedBy,
        collectedAt: input.collectedAt,
        custodian: input.collectedBy,
      });
      await tx.db.save(evidence);
      await auditChange(tx, 'evidence.added', evidence, null, {
        investigationId: investigation.rowId,
        kind: evidence.kind,
        sha256: evidence.sha256,
        storageKey: evidence.storageKey,
        collectedBy: evidence.collectedBy,
        collectedAt: evidence.collectedAt,
        custodian: evidence.custodian,
      });
      if (investigation.status === InvestigationStatus.OPEN)
        await moveInvestigation(tx, investigation, InvestigationStatus.EVIDENCE_GATHERING);
      return evidence.rowId;
    });
    return tx.db.findOneByOrFail(Evidence, { rowId: id });
  });
}

/** Hands an item to a new custodian: the transfer and the new custodian are part of the audit trail. */
export async function recordCustodyTransfer(ctx: RequestContext, input: RecordCustodyTransferInput): Promise<Evidence> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'recordCustodyTransfer', input, Evidence, async () => {
      const evidence = await lockForChange(
        tx,
        Evidence,
        decodeIdOf('Evidence', input.evidenceId, 'evidenceId'),
        input.expectedVersion,
        ['input', 'evidenceId'],
      );
      if (input.toCustodian === evidence.custodian)
        refuse(UserErrorCode.INVALID, `${evidence.custodian} already holds this item.`, ['input', 'toCustodian']);
      const toAgency = input.toAgencyId
        ? await requireVisible(tx, Agency, input.toAgencyId, ['input', 'toAgencyId'])
        : null;
      const [{ transfers, last }] = await tx.db.query(
        `SELECT count(*)::int AS transfers, max(transferred_at) AS last FROM custody_transfer WHERE evidence_id = $1`,
        [evidence.rowId],
      );
      refuseBeyondBound(
        `Evidence ${evidence.globalId}`,
        'custody transfers',
        transfers,
        1,
        MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
        ['input', 'evidenceId'],
      );
      // The chain of custody reads in order: each hand-over after the collection and after the one before it.
      const transferredAt = input.transferredAt ?? new Date();
      const refuseTime = (message: string) => refuse(UserErrorCode.INVALID, message, ['input', 'transferredAt']);
      if (transferredAt.getTime() > Date.now() + 5 * 60_000) refuseTime('transferredAt is in the future.');
      if (transferredAt < evidence.collectedAt)
        refuseTime(`transferredAt is before the item was collected (${evidence.collectedAt.toISOString()}).`);
      if (last && transferredAt < last)
        refuseTime(
          `transferredAt is before the item's last hand-over (${last.toISOString()}): hand-overs are recorded in order.`,
        );
      const transfer = tx.db.create(CustodyTransfer, {
        evidenceId: evidence.rowId,
        fromCustodian: evidence.custodian,
        toCustodian: input.toCustodian,
        toAgencyId: toAgency?.rowId ?? null,
        acknowledgedAt: null,
        acknowledgedById: null,
        transferredAt,
        purpose: input.purpose,
        recordedById: tx.principal.rowId,
      });
      await tx.db.save(transfer);
      const before = { custodian: evidence.custodian, version: evidence.version };
      await updateVersioned(tx, Evidence, evidence, { custodian: input.toCustodian });
      await auditChange(tx, 'evidence.custodyTransferred', evidence, before, {
        custodian: evidence.custodian,
        version: evidence.version,
        transferId: transfer.rowId,
        purpose: transfer.purpose,
        transferredAt: transfer.transferredAt,
        toAgencyId: transfer.toAgencyId,
      });
      return evidence;
    }),
  );
}
