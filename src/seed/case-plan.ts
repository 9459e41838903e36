import { AgencyKind } from '../modules/agency/agency.entity.js';
import { EvidenceKind } from '../modules/evidence/evidence.entity.js';
import { FindingKind, InvestigationStatus } from '../modules/investigation/investigation.states.js';
import { LeadCloseReason, LeadSource, LeadStatus } from '../modules/lead/lead.states.js';
import { OutcomeKind, ReferralChangeKind, ReferralStatus } from '../modules/referral/referral.states.js';
import { ReferralDeadline } from '../modules/referral/referral.deadlines.js';

/**
 * The planned case history, in memory: what the planners (plan-*.ts) decide and insert-cases.ts and
 * case-audit.ts write. Statuses are the domain's own enums; each entity keeps the status it had at each
 * version (`statuses[version - 1]`), and the history (`CaseHistory`) every change in the order it happened,
 * from which the audit events are written.
 */

/** The marketplace as the planner sees it: sellers and listings by index (id = first id + index). */
export interface Marketplace {
  brandIds: number[];
  brandNames: string[];
  sellerCount: number;
  firstSellerId: number;
  listingCount: number;
  firstListingId: number;
  /** Per listing: its brand's and seller's index, its creation time (ms). */
  listingBrand: Int32Array;
  listingSeller: Int32Array;
  listingCreatedAt: Float64Array;
  agencies: readonly { code: string; name: string; kind: AgencyKind; jurisdiction: string }[];
  agencyIds: number[];
  products: readonly string[];
}

export interface CaseCounts {
  leads: number;
  leadBrands: number;
  leadSellers: number;
  leadListings: number;
  investigations: number;
  findings: number;
  evidence: number;
  custodyTransfers: number;
  referrals: number;
  referralEvidence: number;
  enforcementOutcomes: number;
  referralChanges: number;
  escalations: number;
  feedback: number;
}

export interface LeadPlan {
  createdAt: number;
  reference: string;
  source: LeadSource;
  description: string;
  riskScore: number;
  statuses: LeadStatus[];
  closeReason: LeadCloseReason | null;
  closeNote: string | null;
  internalNotes: string | null;
  triagedAt: number | null;
  closedAt: number | null;
  investigation: number | null;
  brands: number[];
  sellers: number[];
  listings: number[];
  product: string;
  /** When an investigation on it would be opened (planning only). */
  openAt: number | null;
}

export interface InvestigationPlan {
  createdAt: number;
  reference: string;
  statuses: InvestigationStatus[];
  summary: string;
  internalNotes: string | null;
  closeReason: string | null;
  closedAt: number | null;
  leads: number[];
  /** Closed by the closing of this referral after its verdict: its reason names the verdicts (references come last). */
  closedByVerdictOf: number | null;
}

export interface FindingPlan {
  createdAt: number;
  investigation: number;
  kind: FindingKind;
  region: string;
  address: string;
  notes: string | null;
}

export interface EvidencePlan {
  createdAt: number;
  investigation: number;
  kind: EvidenceKind;
  description: string;
  sha256: string;
  extension: string;
  collectedBy: string;
  collectedAt: number;
  custodian: string;
  version: number;
  lastMovedAt: number;
}

export interface CustodyPlan {
  evidence: number;
  from: string;
  to: string;
  transferredAt: number;
  purpose: string;
  /** The evidence item's version after the transfer. */
  version: number;
}

export interface ReferralPlan {
  createdAt: number;
  reference: string;
  investigation: number;
  agency: number;
  statuses: ReferralStatus[];
  /** When each status began (parallel to `statuses`). */
  since: number[];
  summary: string;
  agencyCaseReference: string | null;
  declineReason: string | null;
  sentAt: number | null;
  acknowledgeBy: number | null;
  actionBy: number | null;
  acknowledgedAt: number | null;
  firstActionAt: number | null;
  concludedAt: number | null;
  closedAt: number | null;
  evidence: number[];
}

export interface OutcomePlan {
  createdAt: number;
  referral: number;
  kind: OutcomeKind;
  occurredAt: number;
  arrests: number;
  densDestroyed: number;
  convictions: number;
  seizedAmount: number | null;
  seizedCurrency: string | null;
  fineAmount: number | null;
  fineCurrency: string | null;
  notes: string | null;
}

export interface ChangePlan {
  at: number;
  referral: number;
  order: number;
  kind: ReferralChangeKind;
  status: ReferralStatus;
  outcome: number | null;
}

/** What an entry of the history changed: its audit event is written from it and the plan. */
export enum Changed {
  LEAD,
  INVESTIGATION,
  FINDING,
  EVIDENCE,
  CUSTODY,
  REFERRAL,
  OUTCOME,
  ESCALATION,
  FEEDBACK,
  SELLER,
}

/**
 * Every change of the history, in the order the planner made it: when, what (the entity's kind and index in
 * its list) and its version after the change. Kept in flat arrays (a few numbers per change).
 */
export class CaseHistory {
  readonly at: number[] = [];
  readonly changed: Changed[] = [];
  readonly index: number[] = [];
  readonly version: number[] = [];

  get length(): number {
    return this.at.length;
  }

  record(at: number, changed: Changed, index: number, version: number): void {
    this.at.push(at);
    this.changed.push(changed);
    this.index.push(index);
    this.version.push(version);
  }

  /** Renumbers the entities of one kind after their list was reordered (`moved[old]` is the new index). */
  renumber(changed: Changed, moved: Int32Array): void {
    for (let k = 0; k < this.at.length; k += 1) if (this.changed[k] === changed) this.index[k] = moved[this.index[k]];
  }

  /** The changes in time order; changes at the same instant (one mutation and its cascade) in the order made. */
  timeOrder(): Uint32Array {
    const order = new Uint32Array(this.at.length);
    for (let k = 0; k < order.length; k += 1) order[k] = k;
    return order.sort((a, b) => this.at[a] - this.at[b] || a - b);
  }
}

export interface CasePlan {
  leads: LeadPlan[];
  investigations: InvestigationPlan[];
  findings: FindingPlan[];
  evidence: EvidencePlan[];
  custody: CustodyPlan[];
  referrals: ReferralPlan[];
  outcomes: OutcomePlan[];
  changes: ChangePlan[];
  escalations: EscalationPlan[];
  feedback: FeedbackPlan[];
  history: CaseHistory;
  counters: [string, number, number][];
  /** Rows to insert, for the progress bar. */
  rows: number;
}

export const lastOf = <T>(statuses: T[]): T => statuses[statuses.length - 1];

/** escalateReferral: the enforcement team chasing a late agency. */
export interface EscalationPlan {
  createdAt: number;
  referral: number;
  escalatedTo: string;
  reason: string;
  missedDeadline: ReferralDeadline;
  /** The referral's status when it was escalated (recorded in the audit event). */
  status: ReferralStatus;
}

/** addReferralFeedback: the agency's word on what it did. */
export interface FeedbackPlan {
  createdAt: number;
  referral: number;
  message: string;
  status: ReferralStatus;
}

/** Where a seeded evidence item's file would be stored (the storage key given to addEvidence). */
export function storageKey(investigationReference: string, sha256: string, extension: string): string {
  return `evidence/${investigationReference}/${sha256.slice(0, 16)}.${extension}`;
}
