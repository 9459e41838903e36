import { EvidenceKind } from '../modules/evidence/evidence.entity.js';
import { Evidence } from '../modules/evidence/evidence.entity.js';
import { Finding } from '../modules/investigation/finding.entity.js';
import { Investigation } from '../modules/investigation/investigation.entity.js';
import { investigationSnapshot } from '../modules/investigation/investigation.service.js';
import { InvestigationStatus } from '../modules/investigation/investigation.states.js';
import { Lead } from '../modules/lead/lead.entity.js';
import { leadSnapshot } from '../modules/lead/lead.service.js';
import { LeadStatus } from '../modules/lead/lead.states.js';
import { EnforcementOutcome } from '../modules/referral/enforcement-outcome.entity.js';
import { ReferralEscalation } from '../modules/referral/referral-escalation.entity.js';
import { ReferralFeedback } from '../modules/referral/referral-feedback.entity.js';
import { Referral } from '../modules/referral/referral.entity.js';
import { referralSnapshot } from '../modules/referral/referral.service.js';
import { ReferralStatus } from '../modules/referral/referral.states.js';
import { CasePlan, Changed, InvestigationPlan, LeadPlan, Marketplace, ReferralPlan, storageKey } from './case-plan.js';
import { CaseIds } from './insert-cases.js';
import { SeededEvent } from './seed-audit.js';
import { SellerSanctions } from './seller-sanctions.js';

/**
 * The audit events of the planned history, in the order it happened (changes at one instant, a mutation and
 * its cascade, in the order the API records them): each with the action, entity and before/after values the
 * mutation writes (the services' own snapshot functions, `leadSnapshot`, `referralSnapshot`...).
 */
export function* caseAuditEvents(
  plan: CasePlan,
  ids: CaseIds,
  market: Marketplace,
  sellers: SellerSanctions,
): Generator<SeededEvent> {
  const { history } = plan;
  const events = new CaseEvents(plan, ids, market);
  for (const k of history.timeOrder()) {
    const at = history.at[k];
    const index = history.index[k];
    const version = history.version[k];
    switch (history.changed[k]) {
      case Changed.LEAD:
        yield events.lead(at, index, version);
        break;
      case Changed.INVESTIGATION:
        yield events.investigation(at, index, version);
        break;
      case Changed.FINDING:
        yield events.finding(at, index);
        break;
      case Changed.EVIDENCE:
        yield events.evidence(at, index);
        break;
      case Changed.CUSTODY:
        yield events.custody(at, index);
        break;
      case Changed.REFERRAL:
        yield events.referral(at, index, version);
        break;
      case Changed.OUTCOME:
        yield events.outcome(at, index);
        break;
      case Changed.ESCALATION:
        yield events.escalation(at, index);
        break;
      case Changed.FEEDBACK:
        yield events.feedback(at, index);
        break;
      case Changed.SELLER:
        yield sellers.event(at, index, version);
        break;
    }
  }
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
/** The version at which a status was first reached (0: never). */
const versionOf = <S>(statuses: S[], status: S) => statuses.indexOf(status) + 1;
const action = (entity: string, status: string) => `${entity}.${status.toLowerCase()}`;

class CaseEvents {
  constructor(
    private readonly plan: CasePlan,
    private readonly ids: CaseIds,
    private readonly market: Marketplace,
  ) {}

  lead(at: number, index: number, version: number): SeededEvent {
    const lead = this.plan.leads[index];
    const entity = { at, entityType: Lead.name, entityId: this.ids.lead(index) };
    if (version === 1) {
      const after = {
        ...this.leadAt(lead, 1),
        source: lead.source,
        fastTrack: false,
        brandIds: lead.brands.map((b) => String(this.market.brandIds[b])),
        sellerIds: lead.sellers.map((s) => String(this.market.firstSellerId + s)),
        listingIds: lead.listings.map((l) => String(this.market.firstListingId + l)),
      };
      return { ...entity, action: 'lead.reported', before: null, after };
    }
    const status = lead.statuses[version - 1];
    return {
      ...entity,
      action: action('lead', status),
      before: this.leadAt(lead, version - 1),
      after: this.leadAt(lead, version),
    };
  }

  private leadAt(lead: LeadPlan, version: number) {
    const status = lead.statuses[version - 1];
    const closed = status === LeadStatus.CLOSED;
    const investigating = versionOf(lead.statuses, LeadStatus.INVESTIGATING);
    return leadSnapshot({
      reference: lead.reference,
      status,
      riskScore: lead.riskScore,
      reporterPriority: null,
      closeReason: closed ? lead.closeReason : null,
      closeNote: closed ? lead.closeNote : null,
      investigationId:
        investigating > 0 && version >= investigating ? String(this.ids.investigation(lead.investigation!)) : null,
      version,
    } as Lead);
  }

  investigation(at: number, index: number, version: number): SeededEvent {
    const investigation = this.plan.investigations[index];
    const entity = { at, entityType: Investigation.name, entityId: this.ids.investigation(index) };
    if (version === 1) {
      const leadIds = investigation.leads.map((l) => String(this.ids.lead(l)));
      return {
        ...entity,
        action: 'investigation.opened',
        before: null,
        after: { ...this.investigationAt(investigation, 1), leadIds },
      };
    }
    return {
      ...entity,
      action: action('investigation', investigation.statuses[version - 1]),
      before: this.investigationAt(investigation, version - 1),
      after: this.investigationAt(investigation, version),
    };
  }

  private investigationAt(investigation: InvestigationPlan, version: number) {
    const status = investigation.statuses[version - 1];
    return investigationSnapshot({
      reference: investigation.reference,
      status,
      assigneeId: null,
      closeReason: status === InvestigationStatus.CLOSED ? investigation.closeReason : null,
      version,
    } as Investigation);
  }

  finding(at: number, index: number): SeededEvent {
    const f = this.plan.findings[index];
    const after = {
      investigationId: String(this.ids.investigation(f.investigation)),
      kind: f.kind,
      region: f.region,
      address: f.address,
      premisesId: null,
    };
    return {
      at,
      entityType: Finding.name,
      entityId: this.ids.finding(index),
      action: 'finding.recorded',
      before: null,
      after,
    };
  }

  evidence(at: number, index: number): SeededEvent {
    const e = this.plan.evidence[index];
    const investigation = this.plan.investigations[e.investigation];
    const after = {
      investigationId: String(this.ids.investigation(e.investigation)),
      kind: e.kind as EvidenceKind,
      sha256: e.sha256,
      storageKey: storageKey(investigation.reference, e.sha256, e.extension),
      collectedBy: e.collectedBy,
      collectedAt: iso(e.collectedAt),
      custodian: e.collectedBy,
    };
    return {
      at,
      entityType: Evidence.name,
      entityId: this.ids.evidence(index),
      action: 'evidence.added',
      before: null,
      after,
    };
  }

  custody(at: number, index: number): SeededEvent {
    const c = this.plan.custody[index];
    return {
      at,
      entityType: Evidence.name,
      entityId: this.ids.evidence(c.evidence),
      action: 'evidence.custodyTransferred',
      before: { custodian: c.from, version: c.version - 1 },
      after: {
        custodian: c.to,
        version: c.version,
        transferId: String(this.ids.custody(index)),
        purpose: c.purpose,
        transferredAt: iso(c.transferredAt),
      },
    };
  }

  referral(at: number, index: number, version: number): SeededEvent {
    const referral = this.plan.referrals[index];
    const entity = { at, entityType: Referral.name, entityId: this.ids.referral(index) };
    if (version === 1) {
      const evidenceIds = referral.evidence.map((e) => String(this.ids.evidence(e)));
      return {
        ...entity,
        action: 'referral.created',
        before: null,
        after: { ...this.referralAt(referral, 1), evidenceIds },
      };
    }
    return {
      ...entity,
      action: action('referral', referral.statuses[version - 1]),
      before: this.referralAt(referral, version - 1),
      after: this.referralAt(referral, version),
    };
  }

  private referralAt(referral: ReferralPlan, version: number) {
    const reached = (status: ReferralStatus) => {
      const at = versionOf(referral.statuses, status);
      return at > 0 && version >= at;
    };
    const sent = reached(ReferralStatus.SENT);
    return referralSnapshot({
      reference: referral.reference,
      status: referral.statuses[version - 1],
      agencyId: String(this.market.agencyIds[referral.agency]),
      investigationId: String(this.ids.investigation(referral.investigation)),
      agencyCaseReference: reached(ReferralStatus.ACKNOWLEDGED) ? referral.agencyCaseReference : null,
      declineReason: reached(ReferralStatus.DECLINED) ? referral.declineReason : null,
      acknowledgeBy: sent ? iso(referral.acknowledgeBy) : null,
      actionBy: sent ? iso(referral.actionBy) : null,
      version,
    } as unknown as Referral);
  }

  outcome(at: number, index: number): SeededEvent {
    const o = this.plan.outcomes[index];
    const after = {
      referralId: String(this.ids.referral(o.referral)),
      kind: o.kind,
      occurredAt: iso(o.occurredAt),
      arrests: o.arrests,
      densDestroyed: o.densDestroyed,
      convictions: o.convictions,
      seizedValue: o.seizedAmount === null ? null : { amount: o.seizedAmount, currency: o.seizedCurrency },
      fine: o.fineAmount === null ? null : { amount: o.fineAmount, currency: o.fineCurrency },
    };
    return {
      at,
      entityType: EnforcementOutcome.name,
      entityId: this.ids.outcome(index),
      action: 'enforcementOutcome.recorded',
      before: null,
      after,
    };
  }

  /** escalateReferral's event: the referral as it stood, whom the case went to and why. */
  escalation(at: number, index: number): SeededEvent {
    const e = this.plan.escalations[index];
    const referral = this.plan.referrals[e.referral];
    const after = {
      referralId: String(this.ids.referral(e.referral)),
      reference: referral.reference,
      status: e.status,
      escalatedTo: e.escalatedTo,
      reason: e.reason,
      missedDeadline: e.missedDeadline,
    };
    const entityId = this.ids.escalation(index);
    return { at, entityType: ReferralEscalation.name, entityId, action: 'referral.escalated', before: null, after };
  }

  /** addReferralFeedback's event. */
  feedback(at: number, index: number): SeededEvent {
    const f = this.plan.feedback[index];
    const after = {
      referralId: String(this.ids.referral(f.referral)),
      reference: this.plan.referrals[f.referral].reference,
      status: f.status,
      message: f.message,
    };
    const entityId = this.ids.feedback(index);
    return { at, entityType: ReferralFeedback.name, entityId, action: 'referral.feedbackAdded', before: null, after };
  }
}
