import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';

export enum LeadStatus {
  NEW = 'NEW',
  TRIAGED = 'TRIAGED',
  INVESTIGATING = 'INVESTIGATING',
  REFERRED = 'REFERRED',
  CLOSED = 'CLOSED',
}
registerEnumType(LeadStatus, { name: 'LeadStatus' });

export enum LeadSource {
  BRAND_REPORT = 'BRAND_REPORT',
  PLATFORM_DETECTION = 'PLATFORM_DETECTION',
  TEST_PURCHASE = 'TEST_PURCHASE',
  TIP = 'TIP',
  AGENCY = 'AGENCY',
  REPEAT_OFFENDER_MATCH = 'REPEAT_OFFENDER_MATCH',
}
registerEnumType(LeadSource, { name: 'LeadSource' });

export enum LeadCloseReason {
  NOT_COUNTERFEIT = 'NOT_COUNTERFEIT',
  INSUFFICIENT_EVIDENCE = 'INSUFFICIENT_EVIDENCE',
  DUPLICATE = 'DUPLICATE',
  RESOLVED_BY_TAKEDOWN = 'RESOLVED_BY_TAKEDOWN',
  INVESTIGATION_CLOSED = 'INVESTIGATION_CLOSED',
  CASE_CONCLUDED = 'CASE_CONCLUDED',
  OTHER = 'OTHER',
}
registerEnumType(LeadCloseReason, { name: 'LeadCloseReason' });

/** NEW -> TRIAGED -> INVESTIGATING -> REFERRED -> CLOSED; any open state -> CLOSED with a reason. */
export const leadLifecycle = new StateMachine<LeadStatus>('lead', {
  NEW: [LeadStatus.TRIAGED, LeadStatus.CLOSED],
  TRIAGED: [LeadStatus.INVESTIGATING, LeadStatus.CLOSED],
  INVESTIGATING: [LeadStatus.REFERRED, LeadStatus.CLOSED],
  REFERRED: [LeadStatus.CLOSED],
  CLOSED: [],
});
