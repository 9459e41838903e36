import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';

export enum InvestigationStatus {
  OPEN = 'OPEN',
  EVIDENCE_GATHERING = 'EVIDENCE_GATHERING',
  READY_FOR_REFERRAL = 'READY_FOR_REFERRAL',
  REFERRED = 'REFERRED',
  CLOSED = 'CLOSED',
}
registerEnumType(InvestigationStatus, {
  name: 'InvestigationStatus',
  valuesConfig: {
    CLOSED: { description: 'Finished (concluded or abandoned): see `closeReason`.' },
    EVIDENCE_GATHERING: { description: 'Evidence is being collected.' },
    OPEN: { description: 'Just opened from its leads.' },
    READY_FOR_REFERRAL: { description: 'Enough evidence: may be referred to an agency.' },
    REFERRED: { description: 'Sent to at least one agency.' },
  },
  description: 'Where an investigation stands: OPEN -> EVIDENCE_GATHERING -> READY_FOR_REFERRAL -> REFERRED -> CLOSED.',
});

/** OPEN -> EVIDENCE_GATHERING -> READY_FOR_REFERRAL -> REFERRED -> CLOSED; an open one may be abandoned. */
export const investigationLifecycle = new StateMachine<InvestigationStatus>('investigation', {
  OPEN: [InvestigationStatus.EVIDENCE_GATHERING, InvestigationStatus.CLOSED],
  EVIDENCE_GATHERING: [InvestigationStatus.READY_FOR_REFERRAL, InvestigationStatus.CLOSED],
  READY_FOR_REFERRAL: [InvestigationStatus.REFERRED, InvestigationStatus.CLOSED],
  REFERRED: [InvestigationStatus.CLOSED],
  CLOSED: [],
});

export enum FindingKind {
  FACTORY = 'FACTORY',
  WAREHOUSE = 'WAREHOUSE',
  WORKSHOP = 'WORKSHOP',
  RETAIL = 'RETAIL',
}
registerEnumType(FindingKind, {
  name: 'FindingKind',
  valuesConfig: {
    FACTORY: { description: 'Where counterfeits are made.' },
    RETAIL: { description: 'A shop selling to the public.' },
    WAREHOUSE: { description: 'Where counterfeits are stored.' },
    WORKSHOP: { description: 'Where counterfeits are finished or labelled.' },
  },
  description: 'What kind of place a finding located.',
});
