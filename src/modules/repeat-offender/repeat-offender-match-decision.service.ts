// An investigator's decision on a repeat-offender match: confirm (the sanction REPEAT_OFFENDER_SANCTION sets
// on the seller, sanctionFor; the lead moved on to triage) or reject (the lead it raised closed).
import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { lockForChange, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { Lead } from '../lead/lead.entity.js';
import { closeLocked, moveLeads } from '../lead/lead.service.js';
import { LeadCloseReason, LeadStatus } from '../lead/lead.states.js';
import { Seller, SellerStatus } from '../seller/seller.entity.js';
import { updateSellerStatus } from '../seller/seller.service.js';
import { RepeatOffenderMatch } from './repeat-offender-match.entity.js';
import { ConfirmRepeatOffenderMatchInput, RejectRepeatOffenderMatchInput } from './repeat-offender-match.inputs.js';
import { repeatOffenderMatchLifecycle, RepeatOffenderMatchStatus } from './repeat-offender-match.states.js';
import { once } from '../../shared/idempotency.js';
import { RepeatOffenderSanction, repeatOffenderSettings } from './repeat-offender.settings.js';
import { matchSnapshot } from './repeat-offender-match.service.js';

const SEVERITY = [
  SellerStatus.ACTIVE,
  SellerStatus.WARNED,
  SellerStatus.RESTRICTED,
  SellerStatus.SUSPENDED,
  SellerStatus.CLOSED,
];

/**
 * The status confirming a match sets the new seller to, or null for none: under `inherit`, the earlier
 * seller's status, at least SUSPENDED (so CLOSED for a closed seller); under `suspend`, SUSPENDED; under
 * `none`, nothing. Never a lower status than the seller has.
 */
export function sanctionFor(
  setting: RepeatOffenderSanction,
  prior: SellerStatus,
  current: SellerStatus,
): SellerStatus | null {
  if (setting === RepeatOffenderSanction.NONE) return null;
  const floor = SEVERITY.indexOf(SellerStatus.SUSPENDED);
  const target =
    setting === RepeatOffenderSanction.INHERIT
      ? SEVERITY[Math.max(SEVERITY.indexOf(prior), floor)]
      : SellerStatus.SUSPENDED;
  return SEVERITY.indexOf(target) > SEVERITY.indexOf(current) ? target : null;
}

type Decision = ConfirmRepeatOffenderMatchInput | RejectRepeatOffenderMatchInput;

async function decide(ctx: RequestContext, input: Decision, status: RepeatOffenderMatchStatus, note: string | null) {
  return inTransaction(ctx, (tx) =>
    once(tx, `${status.toLowerCase()}RepeatOffenderMatch`, input, RepeatOffenderMatch, async () => {
      const match = await lockForChange(
        tx,
        RepeatOffenderMatch,
        decodeIdOf('RepeatOffenderMatch', input.matchId, 'matchId'),
        input.expectedVersion,
        ['input', 'matchId'],
      );
      repeatOffenderMatchLifecycle.assert(match.status, status, match.globalId);
      // Lock order: the match, its lead, then the seller (README, "Concurrency").
      const lead = await lockForChange(tx, Lead, match.leadId, null, ['input', 'matchId']);
      const sanction = status === RepeatOffenderMatchStatus.CONFIRMED ? await applySanction(tx, match, note) : null;
      const before = matchSnapshot(match);
      await updateVersioned(tx, RepeatOffenderMatch, match, {
        status,
        decisionNote: note,
        decidedAt: new Date(),
        decidedById: tx.principal.rowId,
        ...(sanction ? { sanctionApplied: sanction.status } : {}),
      });
      await auditChange(tx, `repeatOffenderMatch.${status.toLowerCase()}`, match, before, matchSnapshot(match));
      if (status === RepeatOffenderMatchStatus.CONFIRMED && lead.status === LeadStatus.NEW) {
        // The lead moves on to triage with the match noted; a lead someone already took further is left as it is.
        const noted =
          `Repeat-offender match confirmed by ${tx.principal.name}: the operator of ${sanction?.priorName} again; ` +
          `${sanction?.status ? `seller set to ${sanction.status}` : 'no sanction applied'}.${note ? ` Note: ${note}` : ''}`;
        await moveLeads(tx, [lead], LeadStatus.TRIAGED, {
          triagedAt: new Date(),
          internalNotes: lead.internalNotes ? `${lead.internalNotes}\n${noted}` : noted,
        });
      }
      if (status === RepeatOffenderMatchStatus.REJECTED) {
        // The lead it raised goes with it, unless someone already took it into an investigation. A sanction
        // applied when it was confirmed stays: lifting it is an investigator's decision (updateSellerStatus).
        if (lead.status === LeadStatus.NEW || lead.status === LeadStatus.TRIAGED) {
          await closeLocked(tx, lead, LeadCloseReason.OTHER, `Repeat-offender match rejected: ${note}`);
        }
      }
      return match;
    }),
  );
}

/** Applies REPEAT_OFFENDER_SANCTION to the match's seller, as an investigator's direct action with its reason. */
async function applySanction(
  ctx: RequestContext,
  match: RepeatOffenderMatch,
  note: string | null,
): Promise<{ status: SellerStatus | null; priorName: string }> {
  const seller = await ctx.db.findOneByOrFail(Seller, { rowId: match.sellerId });
  const prior = await ctx.db.findOneByOrFail(Seller, { rowId: match.priorSellerId });
  const priorName = `${prior.platform}/${prior.externalId} (${prior.status})`;
  const target = sanctionFor(repeatOffenderSettings().sanction, prior.status, seller.status);
  if (!target) return { status: null, priorName };
  await updateSellerStatus(ctx, {
    sellerId: seller.globalId,
    status: target,
    reason:
      `Repeat offender: confirmed match ${match.globalId} with ${priorName} (REPEAT_OFFENDER_SANCTION=${repeatOffenderSettings().sanction})${note ? `: ${note}` : ''}`.slice(
        0,
        2000,
      ),
  });
  return { status: target, priorName };
}

export const confirmRepeatOffenderMatch = (ctx: RequestContext, input: ConfirmRepeatOffenderMatchInput) =>
  decide(ctx, input, RepeatOffenderMatchStatus.CONFIRMED, input.note ?? null);

export const rejectRepeatOffenderMatch = (ctx: RequestContext, input: RejectRepeatOffenderMatchInput) =>
  decide(ctx, input, RepeatOffenderMatchStatus.REJECTED, input.note);
