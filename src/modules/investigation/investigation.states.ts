import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';

export enum InvestigationStatus {
  OPEN = 'OPEN',
  EVIDENCE_GATHERING = 'EVIDENCE_GATHERING',
  READY_FOR_REFERRAL = 'READY_FOR_REFERRAL',
  REFERRED = 'REFERRED',
  CLOSED = 'CLOSED',
}
registerEnumType(InvestigationStatus, { name: 'InvestigationStatus' });

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
registerEnumType(FindingKind, { name: 'FindingKind' });
