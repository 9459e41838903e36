import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { lockForChange } from '../../shared/data-access/scoped-query.js';
import { onceForKey } from '../../shared/idempotency.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { ReferralEscalation } from './referral-escalation.entity.js';
import { ReferralFeedback } from './referral-feedback.entity.js';
import { missedDeadline } from './referral.deadlines.js';
import { Referral } from './referral.entity.js';
import { AddReferralFeedbackInput, EscalateReferralInput } from './referral.inputs.js';
import { ReferralStatus } from './referral.states.js';
import {
  countChildren,
  MAX_ESCALATIONS_PER_REFERRAL,
  MAX_FEEDBACK_PER_REFERRAL,
  refuseBeyondBound,
} from '../../shared/list-bounds.js';

/** Statuses in which the agency still owes something: an escalation can make it move. */
const ESCALATABLE = [
  ReferralStatus.SENT,
  ReferralStatus.ACKNOWLEDGED,
  ReferralStatus.ACTION_TAKEN,
  ReferralStatus.PROSECUTION,
];

/**
 * The follow-up of a sent referral: escalations by the enforcement team when the agency is late, and the
 * agency's feedback. Neither changes the referral itself; each is a record of its own with its audit event,
 * both part of the investigation's history (`Investigation.history`).
 */
export async function escalateReferral(ctx: RequestContext, input: EscalateReferralInput): Promise<ReferralEscalation> {
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'escalateReferral', input.idempotencyKey, input, async () => {
      // Locked: escalations of one referral are recorded one after the other, each seeing the status of the last.
      const referral = await lockForChange(tx, Referral, decodeIdOf('Referral', input.referralId, 'referralId'), null, [
        'input',
        'referralId',
      ]);
      if (!ESCALATABLE.includes(referral.status)) {
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `Referral ${referral.reference} is ${referral.status}: only a sent referral that is not concluded (${ESCALATABLE.join(', ')}) can be escalated.`,
          ['input', 'referralId'],
        );
      }
      const escalations = await countChildren(tx.db, 'referral_escalation', 'referral_id', referral.rowId);
      refuseBeyondBound(`Referral ${referral.reference}`, 'escalations', escalations, 1, MAX_ESCALATIONS_PER_REFERRAL, [
        'input',
        'referralId',
      ]);
      const escalation = tx.db.create(ReferralEscalation, {
        referralId: referral.rowId,
        investigationId: referral.investigationId,
        escalatedTo: input.escalatedTo,
        reason: input.reason,
        missedDeadline: missedDeadline(referral),
        escalatedById: tx.principal.rowId,
      });
      await tx.db.save(escalation);
      await auditChange(tx, 'referral.escalated', escalation, null, {
        referralId: referral.rowId,
        reference: referral.reference,
        status: referral.status,
        escalatedTo: escalation.escalatedTo,
        reason: escalation.reason,
        missedDeadline: escalation.missedDeadline,
      });
      return escalation.rowId;
    });
    return tx.db.findOneByOrFail(ReferralEscalation, { rowId: id });
  });
}

export async function addReferralFeedback(
  ctx: RequestContext,
  input: AddReferralFeedbackInput,
): Promise<ReferralFeedback> {
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'addReferralFeedback', input.idempotencyKey, input, async () => {
      // An agency reads only the non-draft referrals sent to it: any other id is NOT_FOUND.
      const referral = await lockForChange(tx, Referral, decodeIdOf('Referral', input.referralId, 'referralId'), null, [
        'input',
        'referralId',
      ]);
      if (referral.status === ReferralStatus.DRAFT) {
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `Referral ${referral.reference} is a DRAFT: feedback comes on a sent referral.`,
          ['input', 'referralId'],
        );
      }
      const messages = await countChildren(tx.db, 'referral_feedback', 'referral_id', referral.rowId);
      refuseBeyondBound(`Referral ${referral.reference}`, 'feedback messages', messages, 1, MAX_FEEDBACK_PER_REFERRAL, [
        'input',
        'referralId',
      ]);
      const feedback = tx.db.create(ReferralFeedback, {
        referralId: referral.rowId,
        investigationId: referral.investigationId,
        message: input.message,
        authorId: tx.principal.rowId,
      });
      await tx.db.save(feedback);
      await auditChange(tx, 'referral.feedbackAdded', feedback, null, {
        referralId: referral.rowId,
        reference: referral.reference,
        status: referral.status,
        message: feedback.message,
      });
      return feedback.rowId;
    });
    return tx.db.findOneByOrFail(ReferralFeedback, { rowId: id });
  });
}
