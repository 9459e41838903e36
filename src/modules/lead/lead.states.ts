import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';
import { LeadCloseReason, LeadStatus } from '../enforcement-policy/policy-terms.js';

// Decided over by the enforcement policy, so declared beside it (policy-terms.ts); the lead's own from here.
export { LeadCloseReason, LeadStatus };

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

/** NEW -> TRIAGED -> INVESTIGATING -> REFERRED -> CLOSED; any open state -> CLOSED with a reason. */
export const leadLifecycle = new StateMachine<LeadStatus>('lead', {
  NEW: [LeadStatus.TRIAGED, LeadStatus.CLOSED],
  TRIAGED: [LeadStatus.INVESTIGATING, LeadStatus.CLOSED],
  INVESTIGATING: [LeadStatus.REFERRED, LeadStatus.CLOSED],
  REFERRED: [LeadStatus.CLOSED],
  CLOSED: [],
});
