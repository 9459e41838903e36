import { InvestigationStatus } from '../modules/investigation/investigation.states.js';
import { LeadStatus } from '../modules/lead/lead.states.js';
import { deadlinesFor } from '../modules/referral/referral.deadlines.js';
import { UNDER_WAY } from '../modules/referral/referral.service.js';
import {
  OutcomeKind,
  ReferralChangeKind,
  ReferralStatus,
  statusAfterOutcome,
} from '../modules/referral/referral.states.js';
import { EvidenceKind } from '../modules/evidence/evidence.entity.js';
import { Changed, lastOf, Marketplace, OutcomePlan } from './case-plan.js';
import { CasePlanner, normal, weighted } from './case-planner.js';
import { statusAt } from './plan-follow-ups.js';
import { CNY_PER_USD, DAY, DECLINE_REASONS, HOUR, PROFILES, SEIZURE_MEDIAN_USD, Weighted } from './case-tables.js';

/** A case path imposed on a few investigations so that even the smallest dataset shows every stage. */
export type ForcedPath = 'CONVICT' | 'ACTION' | 'DECLINE' | 'ACK' | 'SENT' | 'DRAFT';
export interface Forced {
  agency: string;
  path: ForcedPath;
}

/** createReferral: a DRAFT disclosing evidence items of the investigation. */
export function addReferral(
  planner: CasePlanner,
  investigation: number,
  agency: number,
  createdAt: number,
  evidence: number[],
): number {
  const { plan, market } = planner;
  const a = market.agencies[agency];
  plan.referrals.push({
    createdAt,
    reference: '',
    investigation,
    agency,
    statuses: [ReferralStatus.DRAFT],
    since: [createdAt],
    evidence,
    summary: `${plan.investigations[investigation].summary}. Offline source in ${a.jurisdiction}; ${evidence.length} evidence item(s) disclosed.`,
    agencyCaseReference: null,
    declineReason: null,
    sentAt: null,
    acknowledgeBy: null,
    actionBy: null,
    acknowledgedAt: null,
    firstActionAt: null,
    concludedAt: null,
    closedAt: null,
  });
  const index = plan.referrals.length - 1;
  planner.record(createdAt, Changed.REFERRAL, index, 1);
  return index;
}

/**
 * sendReferral: SENT with its deadlines; a READY_FOR_REFERRAL investigation and its INVESTIGATING leads move
 * to REFERRED. Then the physical items disclosed are handed to the agency (recordCustodyTransfer).
 */
export function sendReferral(planner: CasePlanner, referral: number, at: number): void {
  const { plan, market, random } = planner;
  const r = planner.moveReferral(referral, ReferralStatus.SENT, at);
  const { acknowledgeBy, actionBy } = deadlinesFor(market.agencies[r.agency].kind, new Date(at));
  Object.assign(r, { sentAt: at, acknowledgeBy: acknowledgeBy.getTime(), actionBy: actionBy.getTime() });
  const investigation = plan.investigations[r.investigation];
  if (lastOf(investigation.statuses) === InvestigationStatus.READY_FOR_REFERRAL)
    planner.moveInvestigation(r.investigation, InvestigationStatus.REFERRED, at);
  for (const l of investigation.leads)
    if (lastOf(plan.leads[l].statuses) === LeadStatus.INVESTIGATING) planner.moveLead(l, LeadStatus.REFERRED, at);
  planner.feed(referral, at, ReferralChangeKind.SENT);
  const agencyName = market.agencies[r.agency].name;
  for (const e of r.evidence) {
    if (plan.evidence[e].kind === EvidenceKind.TEST_PURCHASE)
      planner.transferCustody(
        e,
        agencyName,
        Math.max(at, plan.evidence[e].lastMovedAt) + random.int(1, 72) * HOUR,
        'Handed over with the referral',
      );
  }
}

const FURTHER_ACTIONS: Weighted<number> = [
  [0, 50],
  [1, 30],
  [2, 20],
];

/** Runs a sent referral forwards: acknowledgement, action, prosecution, verdict, closing; or a refusal. */
export function simulateReferral(planner: CasePlanner, referral: number, path: ForcedPath | null): void {
  const { plan, market, random } = planner;
  const r = plan.referrals[referral];
  const agency = market.agencies[r.agency];
  const profile = PROFILES[agency.kind];
  const fast = path !== null;
  if (path === 'SENT' || path === 'DRAFT') return;
  let t = r.sentAt!;
  const close = (at: number) => {
    if (!planner.upTo(at)) return;
    planner.moveReferral(referral, ReferralStatus.CLOSED, at).closedAt = at;
    planner.feed(referral, at, ReferralChangeKind.CLOSED);
  };
  const decline = (at: number) => {
    if (!planner.upTo(at)) return;
    planner.moveReferral(referral, ReferralStatus.DECLINED, at);
    r.declineReason = random.pick(DECLINE_REASONS);
    r.concludedAt = at;
    planner.feed(referral, at, ReferralChangeKind.DECLINED);
    close(planner.after(at, 3, 30));
  };
  const acknowledged = path ? path !== 'DECLINE' : random.chance(profile.ack);
  if (!acknowledged) return decline(fast ? t + 2 * DAY : planner.after(t, 3, 40));
  t = fast ? t + DAY : planner.afterSkewed(t, 0.2, 20);
  if (!planner.upTo(t)) return;
  planner.moveReferral(referral, ReferralStatus.ACKNOWLEDGED, t);
  r.acknowledgedAt = t;
  r.agencyCaseReference = `${agency.code}-${new Date(t).getUTCFullYear()}-${String(random.int(1, 9999)).padStart(4, '0')}`;
  planner.feed(referral, t, ReferralChangeKind.ACKNOWLEDGED);
  if (path === 'ACK') return;
  if (!path && random.chance(profile.declineAfterAck)) return decline(planner.after(t, 10, 90));
  // No action: the agency eventually answers that it will not act.
  if (!path && !random.chance(profile.action)) return decline(planner.after(t, 60, 240));

  // Action: a first raid, arrest, seizure or fine, then sometimes more.
  let recorded = recordOutcome(
    planner,
    referral,
    weighted(random, profile.firstAction),
    fast ? t + 7 * DAY : planner.after(t, 7, 120),
  );
  if (recorded === null) return;
  t = plan.outcomes[recorded].createdAt;
  const further = fast ? 1 : planner.weighted(FURTHER_ACTIONS);
  const prosecute = path ? path === 'CONVICT' : random.chance(profile.prosecute);
  for (let k = 0; k < further; k += 1) {
    const kind = weighted(random, profile.furtherAction);
    recorded = recordOutcome(planner, referral, kind, fast ? t + 5 * DAY : planner.after(t, 5, 60));
    if (recorded === null) return;
    t = plan.outcomes[recorded].createdAt;
  }
  if (!prosecute) return;
  recorded = recordOutcome(planner, referral, OutcomeKind.PROSECUTION, fast ? t + 30 * DAY : planner.after(t, 20, 120));
  if (recorded === null) return;
  t = plan.outcomes[recorded].createdAt;
  const occurredAt = fast ? t + 60 * DAY : planner.after(t, 30, 180);
  const convicted = path === 'CONVICT' || random.chance(profile.convict);
  recorded = recordOutcome(planner, referral, convicted ? OutcomeKind.CONVICTION : OutcomeKind.ACQUITTAL, occurredAt);
  if (recorded === null) return;
  const reportedAt = plan.outcomes[recorded].createdAt;
  close(fast ? reportedAt + 3 * DAY : planner.after(reportedAt, 3, 45));
}

/**
 * recordEnforcementOutcome: an outcome that occurred at `occurredAt`, reported a few days later, moving the
 * referral to the status the outcome implies (statusAfterOutcome), except a further action while action is
 * under way or prosecuted. Null when it lies in the future.
 */
function recordOutcome(planner: CasePlanner, referral: number, kind: OutcomeKind, occurredAt: number): number | null {
  const { plan, market, random } = planner;
  const r = plan.referrals[referral];
  const createdAt = occurredAt + Math.floor(random.next() * 3 * DAY);
  if (!planner.upTo(createdAt)) return null;
  const outcome = outcomeFigures(random, kind, market.agencies[r.agency]);
  const index = plan.outcomes.length;
  plan.outcomes.push({ ...outcome, createdAt, referral, occurredAt });
  planner.record(createdAt, Changed.OUTCOME, index, 1);
  const target = statusAfterOutcome[kind];
  const status = lastOf(r.statuses);
  const furtherAction =
    target === ReferralStatus.ACTION_TAKEN &&
    (status === ReferralStatus.ACTION_TAKEN || status === ReferralStatus.PROSECUTION);
  if (!furtherAction) {
    planner.moveReferral(referral, target, createdAt);
    if (target === ReferralStatus.ACTION_TAKEN) r.firstActionAt = occurredAt;
    if (target === ReferralStatus.CONVICTED || target === ReferralStatus.ACQUITTED) r.concludedAt = occurredAt;
  }
  planner.feed(referral, createdAt, ReferralChangeKind.OUTCOME_RECORDED, index);
  return index;
}

type Figures = Omit<OutcomePlan, 'createdAt' | 'referral' | 'occurredAt'>;

/** What an outcome of a kind reports: arrests, dens, convictions, seized values and fines (in minor units). */
function outcomeFigures(
  random: CasePlanner['random'],
  kind: OutcomeKind,
  agency: Marketplace['agencies'][number],
): Figures {
  const currency = agency.jurisdiction.startsWith('CN') ? 'CNY' : 'USD';
  const money = (usd: number) => {
    const amount = currency === 'CNY' ? Math.round((usd * CNY_PER_USD) / 100) * 100 : Math.round(usd / 100) * 100;
    return Math.max(100, amount) * 100;
  };
  const seized = (weight: number) => money(weight * SEIZURE_MEDIAN_USD * Math.exp(normal(random)));
  const o: Figures = {
    kind,
    arrests: 0,
    densDestroyed: 0,
    convictions: 0,
    seizedAmount: null,
    seizedCurrency: null,
    fineAmount: null,
    fineCurrency: null,
    notes: null,
  };
  switch (kind) {
    case OutcomeKind.RAID:
      o.densDestroyed = weighted(random, DENS);
      o.arrests = weighted(random, RAID_ARRESTS);
      o.seizedAmount = seized(1);
      o.notes = `Raid on ${o.densDestroyed || 'no'} production site${o.densDestroyed === 1 ? '' : 's'}; ${o.arrests} arrested.`;
      break;
    case OutcomeKind.ARREST:
      o.arrests = random.int(1, 3);
      break;
    case OutcomeKind.SEIZURE:
      o.seizedAmount = seized(0.8);
      o.notes = random.pick(['Goods seized at the warehouse.', 'Shipment held at the border.', 'Stock confiscated.']);
      break;
    case OutcomeKind.FINE:
      o.fineAmount = money(random.int(5, 300) * 1000);
      break;
    case OutcomeKind.PROSECUTION:
      o.notes = 'Case transferred for prosecution.';
      break;
    case OutcomeKind.CONVICTION:
      o.convictions = weighted(random, CONVICTIONS);
      if (random.chance(0.6)) o.fineAmount = money(random.int(10, 500) * 1000);
      o.notes = `${o.convictions} defendant${o.convictions > 1 ? 's' : ''} convicted.`;
      break;
    case OutcomeKind.ACQUITTAL:
      o.notes = 'Defendants acquitted.';
      break;
  }
  if (o.seizedAmount !== null) o.seizedCurrency = currency;
  if (o.fineAmount !== null) o.fineCurrency = currency;
  return o;
}

const DENS: Weighted<number> = [
  [0, 77],
  [1, 19],
  [2, 3],
  [3, 1],
];
const RAID_ARRESTS: Weighted<number> = [
  [0, 35],
  [1, 30],
  [2, 18],
  [3, 10],
  [5, 5],
  [9, 2],
];
const CONVICTIONS: Weighted<number> = [
  [1, 45],
  [2, 25],
  [3, 15],
  [5, 10],
  [8, 5],
];

/** The verdict a referral closed after (CONVICTED or ACQUITTED), or null. */
export function verdictOf(statuses: ReferralStatus[]): ReferralStatus | null {
  const n = statuses.length;
  const before = statuses[n - 2];
  return statuses[n - 1] === ReferralStatus.CLOSED &&
    (before === ReferralStatus.CONVICTED || before === ReferralStatus.ACQUITTED)
    ? before
    : null;
}

/**
 * closeReferral's cascade (closeCaseAfterVerdict): the first referral closed after its verdict while no other
 * referral of the investigation is under way closes the investigation and its open leads then. Answers
 * whether it did; the reason, which names the verdicts by reference, is written once references are given.
 */
export function closeCaseAfterVerdicts(planner: CasePlanner, investigation: number, referrals: number[]): boolean {
  const { plan } = planner;
  const closings = referrals
    .filter((r) => verdictOf(plan.referrals[r].statuses) !== null)
    .sort((a, b) => plan.referrals[a].closedAt! - plan.referrals[b].closedAt!);
  for (const closing of closings) {
    const t = plan.referrals[closing].closedAt!;
    const underWay = referrals.some(
      (other) =>
        other !== closing &&
        plan.referrals[other].createdAt <= t &&
        UNDER_WAY.includes(statusAt(plan.referrals[other], t)),
    );
    if (underWay) continue;
    planner.closeInvestigation(investigation, t, null);
    plan.investigations[investigation].closedByVerdictOf = closing;
    return true;
  }
  return false;
}
