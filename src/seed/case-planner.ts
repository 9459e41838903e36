import { investigationLifecycle, InvestigationStatus } from '../modules/investigation/investigation.states.js';
import { LeadCloseReason, leadLifecycle, LeadStatus } from '../modules/lead/lead.states.js';
import { ReferralChangeKind, referralLifecycle, ReferralStatus } from '../modules/referral/referral.states.js';
import { StateMachine } from '../shared/state-machine.js';
import {
  CaseHistory,
  CasePlan,
  Changed,
  InvestigationPlan,
  lastOf,
  LeadPlan,
  Marketplace,
  ReferralPlan,
} from './case-plan.js';
import { DAY, Weighted } from './case-tables.js';
import { Random } from './random.js';

/**
 * What the case planners share: the random stream, the marketplace, "now", the plan being filled, and the
 * moves along the lifecycles. Every move goes through the domain's state machine (`*.states.ts`): a move the
 * API would refuse fails the seed. Each move is recorded in the history with its time, for its audit event.
 */
export class CasePlanner {
  readonly plan: CasePlan = {
    leads: [],
    investigations: [],
    findings: [],
    evidence: [],
    custody: [],
    referrals: [],
    outcomes: [],
    changes: [],
    escalations: [],
    feedback: [],
    history: new CaseHistory(),
    counters: [],
    rows: 0,
  };
  readonly agencyIndex: Map<string, number>;

  constructor(
    readonly random: Random,
    readonly market: Marketplace,
    readonly now: number,
  ) {
    this.agencyIndex = new Map(market.agencies.map((a, i) => [a.code, i]));
  }

  /** Whether a moment has come by now (later steps do not happen: recent cases are still open). */
  upTo(t: number): boolean {
    return t <= this.now;
  }

  after(t: number, minDays: number, maxDays: number): number {
    return t + Math.floor((minDays + this.random.next() * (maxDays - minDays)) * DAY);
  }

  /** A delay mostly short with a long tail (u^2 of the range). */
  afterSkewed(t: number, minDays: number, maxDays: number): number {
    return t + Math.floor((minDays + this.random.next() ** 2 * (maxDays - minDays)) * DAY);
  }

  weighted<T>(items: Weighted<T>): T {
    return weighted(this.random, items);
  }

  record(at: number, changed: Changed, index: number, version: number): void {
    this.plan.history.record(at, changed, index, version);
  }

  moveLead(lead: number, status: LeadStatus, at: number): LeadPlan {
    const plan = this.plan.leads[lead];
    move(leadLifecycle, plan.statuses, status, plan.reference || `lead ${lead}`);
    this.record(at, Changed.LEAD, lead, plan.statuses.length);
    return plan;
  }

  closeLead(lead: number, at: number, reason: LeadCloseReason, note: string | null): void {
    const plan = this.moveLead(lead, LeadStatus.CLOSED, at);
    plan.closeReason = reason;
    plan.closeNote = note;
    plan.closedAt = at;
  }

  moveInvestigation(investigation: number, status: InvestigationStatus, at: number): InvestigationPlan {
    const plan = this.plan.investigations[investigation];
    move(investigationLifecycle, plan.statuses, status, `investigation ${investigation}`);
    this.record(at, Changed.INVESTIGATION, investigation, plan.statuses.length);
    return plan;
  }

  /**
   * Closes an investigation and then its leads still open, as closeInvestigation does: a REFERRED lead's case
   * concluded, any other's investigation closed.
   */
  closeInvestigation(investigation: number, at: number, reason: string | null): void {
    const plan = this.moveInvestigation(investigation, InvestigationStatus.CLOSED, at);
    plan.closeReason = reason;
    plan.closedAt = at;
    for (const l of plan.leads) {
      const status = lastOf(this.plan.leads[l].statuses);
      if (status === LeadStatus.CLOSED) continue;
      const leadReason =
        status === LeadStatus.REFERRED ? LeadCloseReason.CASE_CONCLUDED : LeadCloseReason.INVESTIGATION_CLOSED;
      this.closeLead(l, at, leadReason, reason);
    }
  }

  moveReferral(referral: number, status: ReferralStatus, at: number): ReferralPlan {
    const plan = this.plan.referrals[referral];
    move(referralLifecycle, plan.statuses, status, `referral ${referral}`);
    plan.since.push(at);
    this.record(at, Changed.REFERRAL, referral, plan.statuses.length);
    return plan;
  }

  /** recordCustodyTransfer: the item to a new custodian (never to the one holding it). */
  transferCustody(evidence: number, to: string, at: number, purpose: string): void {
    const item = this.plan.evidence[evidence];
    if (!this.upTo(at) || to === item.custodian) return;
    item.version += 1;
    this.plan.custody.push({ evidence, from: item.custodian, to, transferredAt: at, purpose, version: item.version });
    this.record(at, Changed.CUSTODY, this.plan.custody.length - 1, item.version);
    item.custodian = to;
    item.lastMovedAt = at;
  }

  /** The agencies' sync feed: one row per change of a sent referral, with its status after the change. */
  feed(referral: number, at: number, kind: ReferralChangeKind, outcome: number | null = null): void {
    const status = lastOf(this.plan.referrals[referral].statuses);
    this.plan.changes.push({ at, referral, order: this.plan.changes.length, kind, status, outcome });
  }
}

/** Appends `to` to a status history after checking the move against the lifecycle. */
function move<S extends string>(lifecycle: StateMachine<S>, statuses: S[], to: S, label: string): void {
  const from = lastOf(statuses);
  if (!lifecycle.can(from, to))
    throw new Error(`seed: ${label} cannot move from ${from} to ${to} (${lifecycle.entity} lifecycle)`);
  statuses.push(to);
}

export function weighted<T>(random: Random, items: Weighted<T>): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let roll = random.next() * total;
  for (const [item, w] of items) {
    roll -= w;
    if (roll < 0) return item;
  }
  return items[items.length - 1][0];
}

/** Standard normal (Box-Muller). */
export function normal(random: Random): number {
  const u = Math.max(random.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}
