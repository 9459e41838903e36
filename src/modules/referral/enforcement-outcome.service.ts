// The outcomes an agency reports on a referral (raid, arrest, seizure, fine, prosecution, verdict): checked,
// recorded, and the referral moved accordingly; with the check of seized goods.
import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { requireVisible } from '../../shared/data-access/lookup.js';
import { onceForKey } from '../../shared/idempotency.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Premises } from '../premises/premises.entity.js';
import { raiseMatchesForConviction } from '../repeat-offender/repeat-offender-match.service.js';
import { COUNTED_UNITS, EnforcementOutcome, SeizedGoods } from './enforcement-outcome.entity.js';
import { RecordEnforcementOutcomeInput, SeizedGoodsInput } from './referral.inputs.js';
import {
  OutcomeKind,
  ReferralChangeKind,
  referralLifecycle,
  ReferralStatus,
  statusAfterOutcome,
} from './referral.states.js';
import { countChildren, MAX_OUTCOMES_PER_REFERRAL, refuseBeyondBound } from '../../shared/list-bounds.js';
import { lockReferral, moveReferral, recordReferralChange } from './referral-lifecycle.service.js';

const ACTION_KINDS = [OutcomeKind.RAID, OutcomeKind.ARREST, OutcomeKind.SEIZURE, OutcomeKind.FINE];

/**
 * Records what the agency reported and moves the referral accordingly: a first raid, arrest, seizure
 * or fine means ACTION_TAKEN; a prosecution, conviction or acquittal moves it on. Further actions while
 * action is under way or prosecuted are recorded without a move.
 */
export async function recordEnforcementOutcome(
  ctx: RequestContext,
  input: RecordEnforcementOutcomeInput,
): Promise<EnforcementOutcome> {
  if (input.occurredAt.getTime() > Date.now() + 5 * 60_000)
    refuse(UserErrorCode.INVALID, 'occurredAt is in the future.', ['input', 'occurredAt']);
  const seizedGoods = input.seizedGoods ? checkSeizedGoods(input.kind, input.seizedGoods) : null;
  if (input.kind === OutcomeKind.CONVICTION && input.convictions < 1)
    refuse(UserErrorCode.INVALID, 'A CONVICTION outcome needs convictions of at least 1.', ['input', 'convictions']);
  if (input.kind === OutcomeKind.FINE && !input.fine)
    refuse(UserErrorCode.INVALID, 'A FINE outcome needs the fine amount.', ['input', 'fine']);
  if (input.valuationMethod && !input.seizedValue)
    refuse(UserErrorCode.INVALID, 'A valuation method goes with a seized value.', ['input', 'valuationMethod']);
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'recordEnforcementOutcome', input.idempotencyKey, input, async () => {
      const referral = await lockReferral(tx, input);
      const outcomes = await countChildren(tx.db, 'enforcement_outcome', 'referral_id', referral.rowId);
      refuseBeyondBound(`Referral ${referral.reference}`, 'outcomes', outcomes, 1, MAX_OUTCOMES_PER_REFERRAL, [
        'input',
        'referralId',
      ]);
      const target = statusAfterOutcome[input.kind];
      const furtherAction =
        ACTION_KINDS.includes(input.kind) &&
        [ReferralStatus.ACTION_TAKEN, ReferralStatus.PROSECUTION].includes(referral.status);
      if (!furtherAction) {
        referralLifecycle.assert(referral.status, target, referral.reference, ['input', 'kind']);
      }
      // Nothing the agency did can predate the referral: the time to first action is never negative.
      if (referral.sentAt && input.occurredAt < referral.sentAt) {
        refuse(
          UserErrorCode.INVALID,
          `occurredAt (${input.occurredAt.toISOString()}) is before referral ${referral.reference} was sent to the agency ` +
            `(${referral.sentAt.toISOString()}): an outcome of this referral happened on or after that time.`,
          ['input', 'occurredAt'],
        );
      }
      const premises = input.premisesId
        ? await requireVisible(tx, Premises, input.premisesId, ['input', 'premisesId'])
        : null;
      const outcome = tx.db.create(EnforcementOutcome, {
        referralId: referral.rowId,
        kind: input.kind,
        occurredAt: input.occurredAt,
        arrests: input.arrests,
        densDestroyed: input.densDestroyed,
        convictions: input.convictions,
        seizedValueAmount: input.seizedValue ? String(input.seizedValue.amount) : null,
        seizedValueCurrency: input.seizedValue?.currency ?? null,
        fineAmount: input.fine ? String(input.fine.amount) : null,
        fineCurrency: input.fine?.currency ?? null,
        notes: input.notes ?? null,
        recordedById: tx.principal.rowId,
        premisesId: premises?.rowId ?? null,
        region: premises?.region ?? null,
        operationId: null,
        valuationMethod: input.valuationMethod ?? null,
        seizedGoods,
      });
      await tx.db.save(outcome);
      await auditChange(tx, 'enforcementOutcome.recorded', outcome, null, {
        referralId: referral.rowId,
        kind: outcome.kind,
        occurredAt: outcome.occurredAt,
        arrests: outcome.arrests,
        densDestroyed: outcome.densDestroyed,
        convictions: outcome.convictions,
        seizedValue: input.seizedValue ?? null,
        fine: input.fine ?? null,
        ...(input.valuationMethod ? { valuationMethod: input.valuationMethod } : {}),
        ...(premises ? { premisesId: premises.rowId, region: premises.region } : {}),
        ...(seizedGoods ? { seizedGoods } : {}),
      });
      if (!furtherAction) {
        const concluded = target === ReferralStatus.CONVICTED || target === ReferralStatus.ACQUITTED;
        await moveReferral(tx, referral, target, {
          ...(target === ReferralStatus.ACTION_TAKEN ? { firstActionAt: input.occurredAt } : {}),
          ...(concluded ? { concludedAt: input.occurredAt } : {}),
        });
        // The sellers of a convicted case are offenders now: those already sharing identifiers with them are
        // matched in this transaction (as the system: an agency neither reads identifiers nor writes matches).
        if (target === ReferralStatus.CONVICTED) await raiseMatchesForConviction(tx, referral.investigationId);
      }
      recordReferralChange(tx, referral, ReferralChangeKind.OUTCOME_RECORDED, outcome.rowId);
      return outcome.rowId;
    });
    return tx.db.findOneByOrFail(EnforcementOutcome, { rowId: id });
  });
}

const MAX_SEIZED_GOODS = 50;

/** Seized goods as stored: on SEIZURE outcomes only, each with a description, a positive quantity fit for its unit. */
function checkSeizedGoods(kind: OutcomeKind, goods: SeizedGoodsInput[]): SeizedGoods[] | null {
  if (kind !== OutcomeKind.SEIZURE)
    refuse(UserErrorCode.INVALID, `seizedGoods are recorded on SEIZURE outcomes, not on ${kind}.`, [
      'input',
      'seizedGoods',
    ]);
  if (goods.length === 0) return null;
  if (goods.length > MAX_SEIZED_GOODS)
    refuse(UserErrorCode.INVALID, `At most ${MAX_SEIZED_GOODS} kinds of goods per seizure.`, ['input', 'seizedGoods']);
  return goods.map((item, index) => {
    const field = ['input', 'seizedGoods', String(index)];
    const description = item.description.trim();
    if (!description || description.length > 500)
      refuse(UserErrorCode.INVALID, 'A description of 1 to 500 characters says what the goods are.', [
        ...field,
        'description',
      ]);
    const counted = COUNTED_UNITS.includes(item.unit);
    if (!Number.isFinite(item.quantity) || item.quantity <= 0 || item.quantity > 1e12) {
      refuse(UserErrorCode.INVALID, 'The quantity must be more than 0 (and at most 10^12).', [...field, 'quantity']);
    }
    // Three decimals at most, read as a person wrote them (1.001 is 1000.9999999999999 thousandths in binary).
    if (
      counted
        ? !Number.isInteger(item.quantity)
        : Math.abs(Math.round(item.quantity * 1000) - item.quantity * 1000) > 1e-6
    ) {
      refuse(
        UserErrorCode.INVALID,
        counted ? `${item.unit} is counted: a whole number.` : `${item.unit} is measured to three decimals at most.`,
        [...field, 'quantity'],
      );
    }
    return { description, quantity: item.quantity, unit: item.unit };
  });
}
