import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';

export enum LeadStatus {
  NEW = 'NEW',
  TRIAGED = 'TRIAGED',
  INVESTIGATING = 'INVESTIGATING',
  REFERRED = 'REFERRED',
  CLOSED = 'CLOSED',
}
registerEnumType(LeadStatus, {
  name: 'LeadStatus',
  valuesConfig: {
    CLOSED: { description: 'Closed, with a reason (`closeReason`).' },
    INVESTIGATING: { description: 'Part of an open investigation.' },
    NEW: { description: 'Reported, not yet triaged.' },
    REFERRED: { description: 'Its investigation was referred to an agency.' },
    TRIAGED: { description: 'Risk assessed by an investigator.' },
  },
  description:
    'Where a lead stands: NEW -> TRIAGED -> INVESTIGATING -> REFERRED -> CLOSED; any open lead may be closed.',
});

export enum LeadSource {
  BRAND_REPORT = 'BRAND_REPORT',
  PLATFORM_DETECTION = 'PLATFORM_DETECTION',
  TEST_PURCHASE = 'TEST_PURCHASE',
  TIP = 'TIP',
  AGENCY = 'AGENCY',
  REPEAT_OFFENDER_MATCH = 'REPEAT_OFFENDER_MATCH',
}
registerEnumType(LeadSource, {
  name: 'LeadSource',
  valuesConfig: {
    AGENCY: { description: 'An agency passed it on.' },
    BRAND_REPORT: { description: 'Reported by a brand partner.' },
    PLATFORM_DETECTION: { description: "Found by the marketplace's own detection." },
    REPEAT_OFFENDER_MATCH: { description: 'Raised by a confirmed repeat-offender match.' },
    TEST_PURCHASE: { description: 'Found through a test purchase.' },
    TIP: { description: 'A tip from the public.' },
  },
  description: 'Where a lead came from.',
});

export enum LeadCloseReason {
  NOT_COUNTERFEIT = 'NOT_COUNTERFEIT',
  INSUFFICIENT_EVIDENCE = 'INSUFFICIENT_EVIDENCE',
  DUPLICATE = 'DUPLICATE',
  RESOLVED_BY_TAKEDOWN = 'RESOLVED_BY_TAKEDOWN',
  INVESTIGATION_CLOSED = 'INVESTIGATION_CLOSED',
  CASE_CONCLUDED = 'CASE_CONCLUDED',
  OTHER = 'OTHER',
}
registerEnumType(LeadCloseReason, {
  name: 'LeadCloseReason',
  valuesConfig: {
    CASE_CONCLUDED: { description: 'Its case ended with a verdict (see `closeNote`).' },
    DUPLICATE: { description: 'The same source was already reported.' },
    INSUFFICIENT_EVIDENCE: { description: 'Not enough to act on.' },
    INVESTIGATION_CLOSED: { description: 'Its investigation was closed.' },
    NOT_COUNTERFEIT: { description: 'The goods turned out genuine.' },
    OTHER: { description: 'Any other reason (see `closeNote`).' },
    RESOLVED_BY_TAKEDOWN: { description: 'Dealt with by taking the listings down.' },
  },
  description: 'Why a lead was closed.',
});

/** NEW -> TRIAGED -> INVESTIGATING -> REFERRED -> CLOSED; any open state -> CLOSED with a reason. */
export const leadLifecycle = new StateMachine<LeadStatus>('lead', {
  NEW: [LeadStatus.TRIAGED, LeadStatus.CLOSED],
  TRIAGED: [LeadStatus.INVESTIGATING, LeadStatus.CLOSED],
  INVESTIGATING: [LeadStatus.REFERRED, LeadStatus.CLOSED],
  REFERRED: [LeadStatus.CLOSED],
  CLOSED: [],
});
