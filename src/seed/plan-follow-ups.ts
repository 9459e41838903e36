import { missedDeadline, ReferralDeadline } from '../modules/referral/referral.deadlines.js';
import { ReferralStatus } from '../modules/referral/referral.states.js';
import { CasePlan, Changed, EscalationPlan, FeedbackPlan, lastOf, Marketplace, ReferralPlan } from './case-plan.js';
import { DAY } from './case-tables.js';

const FEEDBACK = [
  'stock sealed pending appraisal',
  'operator questioned, accounts requested',
  'case transferred to the criminal investigation unit',
];

/**
 * The follow-up of the sent referrals, once references are given: every other referral past a deadline (as of
 * now) was escalated a week after the deadline it missed (the deadline missed then, missedDeadline); the
 * agencies left a line of feedback on a third of the referrals they acted on, a day after the first action.
 * Each in creation order, with its change in the history.
 */
export function planFollowUps(plan: CasePlan, market: Marketplace, now: number): void {
  const escalations: EscalationPlan[] = [];
  const feedback: FeedbackPlan[] = [];
  plan.referrals.forEach((r, k) => {
    const missedNow = missedDeadline(deadlinesOf(r, lastOf(r.statuses)), new Date(now));
    if (k % 2 === 0 && missedNow) {
      const deadline = missedNow === ReferralDeadline.ACTION ? r.actionBy! : r.acknowledgeBy!;
      const at = Math.min(deadline + 7 * DAY, now);
      const status = statusAt(r, at);
      const missed = missedDeadline(deadlinesOf(r, status), new Date(at));
      if (!missed) throw new Error(`seed: referral ${r.reference} had missed no deadline when it was escalated`);
      escalations.push({
        createdAt: at,
        referral: k,
        escalatedTo: `Duty director, ${market.agencies[r.agency].name}`,
        reason: `No ${missed.toLowerCase()} by the deadline of ${new Date(deadline).toISOString().slice(0, 10)}; reminder sent twice.`,
        missedDeadline: missed,
        status,
      });
    }
    if (k % 3 === 0 && r.firstActionAt !== null) {
      const at = Math.min(r.firstActionAt + DAY, now);
      feedback.push({
        createdAt: at,
        referral: k,
        message: `Site visited on ${new Date(r.firstActionAt).toISOString().slice(0, 10)}; ${FEEDBACK[(k / 3) % 3]}`,
        status: statusAt(r, at),
      });
    }
  });
  plan.escalations = escalations.sort((a, b) => a.createdAt - b.createdAt || a.referral - b.referral);
  plan.escalations.forEach((e, k) => plan.history.record(e.createdAt, Changed.ESCALATION, k, 1));
  plan.feedback = feedback.sort((a, b) => a.createdAt - b.createdAt || a.referral - b.referral);
  plan.feedback.forEach((f, k) => plan.history.record(f.createdAt, Changed.FEEDBACK, k, 1));
}

function deadlinesOf(r: ReferralPlan, status: ReferralStatus) {
  const date = (t: number | null) => (t === null ? null : new Date(t));
  return { status, acknowledgeBy: date(r.acknowledgeBy), actionBy: date(r.actionBy) };
}

/** A referral's status at a moment (the last change at or before it). */
export function statusAt(referral: { statuses: ReferralStatus[]; since: number[] }, t: number): ReferralStatus {
  let k = 0;
  while (k + 1 < referral.since.length && referral.since[k + 1] <= t) k += 1;
  return referral.statuses[k];
}
