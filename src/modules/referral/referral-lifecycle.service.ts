// The moves of a referral's lifecycle after its creation: sent, acknowledged, declined, closed (and the
// case closed after a verdict), with the helpers every move shares: lock, move audited, record for the feed.
import { afterAuditAppend, auditChange, insertRowsStatement } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { lockForChange, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { once } from '../../shared/idempotency.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { moveInvestigation, openLeadsOf } from '../investigation/investigation.service.js';
import { InvestigationStatus } from '../investigation/investigation.states.js';
import { closeLocked, moveLeads } from '../lead/lead.service.js';
import { LeadCloseReason, LeadStatus } from '../lead/lead.states.js';
import { deadlinesFor } from './referral.deadlines.js';
import { Referral } from './referral.entity.js';
import { AcknowledgeReferralInput, DeclineReferralInput, ReferralVersionInput } from './referral.inputs.js';
import { ReferralChangeKind, referralLifecycle, ReferralStatus } from './referral.states.js';
import { referralSnapshot } from './referral.service.js';

export const lockReferral = (ctx: RequestContext, input: ReferralVersionInput) =>
  lockForChange(ctx, Referral, decodeIdOf('Referral', input.referralId, 'referralId'), input.expectedVersion, [
    'input',
    'referralId',
  ]);

export async function moveReferral(
  ctx: RequestContext,
  referral: Referral,
  status: ReferralStatus,
  changes: Partial<Referral> = {},
) {
  referralLifecycle.assert(referral.status, status, referral.reference);
  const before = referralSnapshot(referral);
  await updateVersioned(ctx, Referral, referral, { status, ...changes });
  await auditChange(ctx, `referral.${status.toLowerCase()}`, referral, before, referralSnapshot(referral));
  return referral;
}

/**
 * Appends to the agencies' sync feed, after the change's audit events and under the chain's lock, so
 * that the feed's sequence follows commit order.
 */
export function recordReferralChange(
  ctx: RequestContext,
  referral: Referral,
  kind: ReferralChangeKind,
  outcomeId: string | null = null,
): void {
  afterAuditAppend(
    ctx,
    insertRowsStatement('referral_change', [
      {
        referral_id: referral.rowId,
        agency_id: referral.agencyId,
        kind,
        status: referral.status,
        outcome_id: outcomeId,
        at: new Date(),
      },
    ]),
  );
}

/** DRAFT -> SENT; the investigation and its leads move to REFERRED in the same transaction. */
export async function sendReferral(ctx: RequestContext, input: ReferralVersionInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'sendReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      const investigation = await lockForChange(tx, Investigation, referral.investigationId, null, [
        'input',
        'referralId',
      ]);
      const agency = await tx.db.findOneByOrFail(Agency, { rowId: referral.agencyId });
      const sentAt = new Date();
      // The deadlines are fixed now, from the agency's kind: later changes of the settings do not move them.
      await moveReferral(tx, referral, ReferralStatus.SENT, { sentAt, ...deadlinesFor(agency.kind, sentAt) });
      if (investigation.status === InvestigationStatus.READY_FOR_REFERRAL) {
        await moveInvestigation(tx, investigation, InvestigationStatus.REFERRED);
      } else if (investigation.status !== InvestigationStatus.REFERRED) {
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `Investigation ${investigation.reference} is ${investigation.status}: its referrals cannot be sent.`,
          ['input', 'referralId'],
        );
      }
      const leads = (await openLeadsOf(tx, investigation.rowId)).filter(
        (lead) => lead.status === LeadStatus.INVESTIGATING,
      );
      await moveLeads(tx, leads, LeadStatus.REFERRED);
      recordReferralChange(tx, referral, ReferralChangeKind.SENT);
      return referral;
    }),
  );
}

export async function acknowledgeReferral(ctx: RequestContext, input: AcknowledgeReferralInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'acknowledgeReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      await moveReferral(tx, referral, ReferralStatus.ACKNOWLEDGED, {
        acknowledgedAt: new Date(),
        agencyCaseReference: input.agencyCaseReference ?? null,
      });
      recordReferralChange(tx, referral, ReferralChangeKind.ACKNOWLEDGED);
      return referral;
    }),
  );
}

export async function declineReferral(ctx: RequestContext, input: DeclineReferralInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'declineReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      await moveReferral(tx, referral, ReferralStatus.DECLINED, {
        declineReason: input.reason,
        concludedAt: new Date(),
      });
      recordReferralChange(tx, referral, ReferralChangeKind.DECLINED);
      return referral;
    }),
  );
}

/**
 * CONVICTED | ACQUITTED | DECLINED -> CLOSED. Closing after a verdict ends the case when no other referral of
 * the investigation is still under way (see closeCaseAfterVerdict), in the same transaction.
 */
export async function closeReferral(ctx: RequestContext, input: ReferralVersionInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'closeReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      const verdict = [ReferralStatus.CONVICTED, ReferralStatus.ACQUITTED].includes(referral.status)
        ? referral.status
        : null;
      await moveReferral(tx, referral, ReferralStatus.CLOSED, { closedAt: new Date() });
      recordReferralChange(tx, referral, ReferralChangeKind.CLOSED);
      if (verdict) await closeCaseAfterVerdict(tx, referral, verdict);
      return referral;
    }),
  );
}

/** Referral statuses with work still to come: a draft may yet be sent, a sent one is being acted on. */
export const UNDER_WAY = [
  ReferralStatus.DRAFT,
  ReferralStatus.SENT,
  ReferralStatus.ACKNOWLEDGED,
  ReferralStatus.ACTION_TAKEN,
  ReferralStatus.PROSECUTION,
];

/**
 * After a verdict's referral is closed: its investigation closes, and every lead of it still open (REFERRED),
 * with the verdicts as reason (`Verdict: REF-2026-000012 CONVICTED`; the leads' closeReason CASE_CONCLUDED),
 * audited like closeInvestigation. Not while another referral of the investigation is under way (a draft not
 * yet sent, or one sent and not concluded): closing that one after its verdict ends the case instead.
 * Concluded ones (CONVICTED, ACQUITTED, DECLINED, CLOSED) do not hold it open. A declined referral's closing
 * ends nothing: the investigation may be referred elsewhere. Lock order: the referral (held), the
 * investigation, its leads in id order.
 */
async function closeCaseAfterVerdict(ctx: RequestContext, referral: Referral, verdict: ReferralStatus): Promise<void> {
  const investigation = await lockForChange(ctx, Investigation, referral.investigationId, null, [
    'input',
    'referralId',
  ]);
  if (investigation.status === InvestigationStatus.CLOSED) return;
  const others: { reference: string; status: ReferralStatus; verdict: string | null }[] = await ctx.db.query(
    `SELECT r.reference, r.status,
            (SELECT CASE o.kind WHEN 'CONVICTION' THEN 'CONVICTED' ELSE 'ACQUITTED' END FROM enforcement_outcome o
             WHERE o.referral_id = r.id AND o.kind IN ('CONVICTION', 'ACQUITTAL') ORDER BY o.occurred_at DESC, o.id DESC LIMIT 1) AS verdict
     FROM referral r WHERE r.investigation_id = $1 AND r.id <> $2 ORDER BY r.id`,
    [investigation.rowId, referral.rowId],
  );
  if (others.some((other) => UNDER_WAY.includes(other.status))) return;
  const verdicts = [
    `${referral.reference} ${verdict}`,
    ...others.filter((o) => o.verdict).map((o) => `${o.reference} ${o.verdict}`),
  ];
  const reason = `${verdicts.length > 1 ? 'Verdicts' : 'Verdict'}: ${verdicts.join(', ')}`;
  await moveInvestigation(ctx, investigation, InvestigationStatus.CLOSED, {
    closeReason: reason,
    closedAt: new Date(),
  });
  for (const lead of await openLeadsOf(ctx, investigation.rowId)) {
    await closeLocked(ctx, lead, LeadCloseReason.CASE_CONCLUDED, reason);
  }
}
