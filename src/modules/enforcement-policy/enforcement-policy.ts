import { Role } from '../../shared/auth/role.js';
import { featureSettings, FastTrackSettings, StrikeSettings } from '../../shared/settings.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { LeadCloseReason, LeadStatus, ReinstatementBasis, SellerStatus } from './policy-terms.js';

/**
 * The enforcement policy: every rule that decides who is trusted and who is sanctioned, in one place, with
 * its thresholds read from the settings (src/shared/settings.ts). docs/enforcement-policy.md says the same
 * in words; the services (lead, listing, seller, reporter accuracy) ask this module and never decide
 * themselves. Pure: no database, no clock of its own (callers pass `now`).
 *
 * Two rules also exist in SQL, where the database must apply them row by row, and tests compare the two
 * (test/policy/enforcement-policy.test.ts): the report decision (`eca_report_decision`, which keeps the
 * per-brand counters of `brand_report_stats`), and the active-strike condition of `seller_strike`.
 */

// ---------------------------------------------------------------------------------------------------
// 1. Reporter accuracy: what a report (a lead a brand reported) proved to be.
// ---------------------------------------------------------------------------------------------------

export type ReportDecision = 'CONFIRMED' | 'REJECTED' | 'UNDECIDED';

/**
 * The close reason decides, whatever happened to the lead before (an investigation opened on a report that
 * turned out not counterfeit is a rejected report). Every close reason must be placed here: a new one does
 * not compile until it is.
 */
export const CLOSE_REASON_DECISION: Record<LeadCloseReason, ReportDecision> = {
  // The counterfeit was confirmed: listings removed on the report, or a case that went to an agency and concluded.
  RESOLVED_BY_TAKEDOWN: 'CONFIRMED',
  CASE_CONCLUDED: 'CONFIRMED',
  // The report was wrong, or could not be substantiated.
  NOT_COUNTERFEIT: 'REJECTED',
  INSUFFICIENT_EVIDENCE: 'REJECTED',
  // Says nothing about the report's accuracy.
  DUPLICATE: 'UNDECIDED',
  INVESTIGATION_CLOSED: 'UNDECIDED',
  OTHER: 'UNDECIDED',
};

/**
 * A report's decision from its lead's status and close reason: closed, its close reason decides; open, it is
 * CONFIRMED once referred to an agency (investigators found enough to hand it over), else UNDECIDED. Opening an
 * investigation decides nothing. Mirrored in SQL by `eca_report_decision(status, close_reason)`.
 */
export function reportDecision(status: LeadStatus, closeReason: LeadCloseReason | null): ReportDecision {
  if (closeReason) return CLOSE_REASON_DECISION[closeReason];
  return status === LeadStatus.REFERRED ? 'CONFIRMED' : 'UNDECIDED';
}

/** The same decision as an SQL expression over a lead row (alias), for figures computed in PostgreSQL. */
export const reportDecisionSql = (lead: string) => `eca_report_decision(${lead}.status, ${lead}.close_reason)`;

/** What counts for a brand's accuracy: its reports (leads, never listings) made within the window. */
export interface ReportCounts {
  confirmed: number;
  rejected: number;
}

export interface FastTrackVerdict {
  fastTrack: boolean;
  /** confirmed / (confirmed + rejected), 4 decimals; null with no decided report. */
  accuracy: number | null;
  decided: number;
  /** The rule that decided, in words, for the audit trail and the brand. */
  rule: string;
}

export function accuracyOf(counts: ReportCounts): number | null {
  const decided = counts.confirmed + counts.rejected;
  return decided ? Math.round((counts.confirmed / decided) * 10_000) / 10_000 : null;
}

/** Whether a brand's new reports go to the front of the triage queue, from its reports of the window. */
export function fastTrackVerdict(
  counts: ReportCounts,
  settings: FastTrackSettings = featureSettings().fastTrack,
): FastTrackVerdict {
  const decided = counts.confirmed + counts.rejected;
  const accuracy = accuracyOf(counts);
  const window = `reports of the last ${settings.windowDays} days`;
  if (decided < settings.minDecided) {
    return {
      fastTrack: false,
      accuracy,
      decided,
      rule: `decided reports < ${settings.minDecided} (${window}) -> not fast-tracked`,
    };
  }
  const fastTrack = accuracy !== null && accuracy >= settings.accuracy;
  return {
    fastTrack,
    accuracy,
    decided,
    rule: `accuracy ${fastTrack ? '>=' : '<'} ${settings.accuracy} (${window}) -> ${fastTrack ? 'fast-tracked' : 'not fast-tracked'}`,
  };
}

/** First UTC day whose reports count: the window is the last `windowDays` days, today included. */
export function fastTrackWindowStart(now: Date, settings: FastTrackSettings = featureSettings().fastTrack): string {
  const start = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (settings.windowDays - 1) * DAY,
  );
  return start.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------
// 2. Risk score and the reporter's own priority.
// ---------------------------------------------------------------------------------------------------

/** The risk score of a lead nobody has triaged yet (the queue's neutral middle). */
export const UNTRIAGED_RISK_SCORE = 50;

/**
 * The risk score orders the triage queue, so only investigators set it (reporting a lead themselves, or at
 * triage). A brand partner's view of urgency is kept apart as `reporterPriority`, shown to investigators and
 * never used to order the queue. A brand partner's `riskScore` input is the deprecated spelling of
 * `reporterPriority`: read as such (both given and different: refused).
 */
export function reportedScores(
  role: Role,
  input: { riskScore?: number | null; reporterPriority?: number | null },
): { riskScore: number; reporterPriority: number | null } {
  if (role === Role.BRAND_PARTNER) {
    const given = [input.reporterPriority, input.riskScore].filter((v): v is number => v !== null && v !== undefined);
    if (given.length === 2 && given[0] !== given[1]) {
      refuse(
        UserErrorCode.INVALID,
        'riskScore is the former name of reporterPriority for brand partners (the risk score is set at triage): give reporterPriority alone.',
        ['input', 'riskScore'],
      );
    }
    return { riskScore: UNTRIAGED_RISK_SCORE, reporterPriority: given[0] ?? null };
  }
  return { riskScore: input.riskScore ?? UNTRIAGED_RISK_SCORE, reporterPriority: input.reporterPriority ?? null };
}

// ---------------------------------------------------------------------------------------------------
// 3. Strikes and the seller's status.
// ---------------------------------------------------------------------------------------------------

const DAY = 86_400_000;
const { ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED } = SellerStatus;

/** Severity order of the seller's statuses. */
export const SELLER_SEVERITY: readonly SellerStatus[] = [ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED];
const severity = (status: SellerStatus) => SELLER_SEVERITY.indexOf(status);

/**
 * One strike per infringing listing taken down (a takedown of five listings of one seller is five strikes),
 * but a listing taken down again within the window of its last kept strike counts once. A strike counts
 * while active: from its takedown until it expires, unless removed (its takedown reversed).
 */
export function strikeTerms(now: Date, settings: StrikeSettings = featureSettings().strikes) {
  return {
    /** When a strike given now expires. */
    expiresAt: new Date(now.getTime() + settings.expiryDays * DAY),
    /** A kept strike of the same listing since this time means no new strike. */
    sameListingSince: new Date(now.getTime() - settings.sameListingWindowDays * DAY),
    sameListingRule: `one strike per listing taken down; the same listing again within ${settings.sameListingWindowDays} days counts once`,
  };
}

/** SQL condition of an active strike (alias of a `seller_strike` row; `$now` the bound time). */
export const activeStrikeSql = (strike: string, now: string) =>
  `(${strike}.removed_at IS NULL AND ${strike}.expires_at > ${now})`;

/** Whether a strike row is active at `now` (the TypeScript form of activeStrikeSql). */
export const isActiveStrike = (strike: { removedAt: Date | null; expiresAt: Date }, now: Date) =>
  strike.removedAt === null && strike.expiresAt.getTime() > now.getTime();

export interface StatusDecision {
  status: SellerStatus;
  /** The rule applied, e.g. "strikes>=3 -> RESTRICTED", recorded in the audit event. */
  rule: string;
}

/** The status a number of active strikes calls for, with the threshold rule that says so. */
export function statusCalledFor(strikes: number, settings: StrikeSettings = featureSettings().strikes): StatusDecision {
  if (strikes >= settings.toSuspend) return { status: SUSPENDED, rule: `strikes>=${settings.toSuspend} -> SUSPENDED` };
  if (strikes >= settings.toRestrict)
    return { status: RESTRICTED, rule: `strikes>=${settings.toRestrict} -> RESTRICTED` };
  if (strikes >= settings.toWarn) return { status: WARNED, rule: `strikes>=${settings.toWarn} -> WARNED` };
  return { status: ACTIVE, rule: `strikes<${settings.toWarn} -> ACTIVE` };
}

/**
 * After strikes are added: the status the active strikes call for, never lower than the current one (a
 * sanction set by an investigator stays; CLOSED is final).
 */
export function statusAfterStrikes(
  current: SellerStatus,
  strikes: number,
  settings: StrikeSettings = featureSettings().strikes,
): StatusDecision {
  const called = statusCalledFor(strikes, settings);
  if (severity(called.status) > severity(current)) return called;
  return { status: current, rule: `${called.rule}; a strike never lowers ${current}` };
}

/**
 * After a strike is removed (its takedown reversed): the status follows the strikes down when it is the
 * status the active strikes called for just before (it rested on them); a status set above that by an
 * investigator, one lifted below it, and CLOSED stay as they are, for an investigator to decide.
 */
export function statusAfterStrikeRemoved(
  current: SellerStatus,
  strikesBefore: number,
  strikesAfter: number,
  settings: StrikeSettings = featureSettings().strikes,
): StatusDecision {
  const before = statusCalledFor(strikesBefore, settings);
  const after = statusCalledFor(strikesAfter, settings);
  if (current !== CLOSED && current === before.status && severity(after.status) < severity(current)) {
    return { status: after.status, rule: `strike removed: ${after.rule} (the status rested on the strikes)` };
  }
  return {
    status: current,
    rule: `strike removed: ${after.rule}; ${current} stays (${current === CLOSED ? 'CLOSED is final' : 'not the status the strikes called for'})`,
  };
}

/** Whether a reinstatement reverses the takedown, which removes the strike it gave. */
export function reversesTakedown(basis: ReinstatementBasis): boolean {
  return basis !== ReinstatementBasis.LISTING_CORRECTED;
}

/** The rule of an investigator's direct move (the lifecycle, src/modules/seller/seller.states.ts, says which are allowed). */
export function directActionRule(from: SellerStatus, to: SellerStatus): { kind: 'lift' | 'sanction'; rule: string } {
  const kind = severity(to) < severity(from) ? 'lift' : 'sanction';
  return { kind, rule: `investigator ${kind} ${from} -> ${to}` };
}
