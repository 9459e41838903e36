import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';

export enum RepeatOffenderMatchStatus {
  PENDING = 'PENDING',
  CONFIRMED = 'CONFIRMED',
  REJECTED = 'REJECTED',
}
registerEnumType(RepeatOffenderMatchStatus, {
  name: 'RepeatOffenderMatchStatus',
  valuesConfig: {
    PENDING: { description: 'Raised automatically; an investigator has not decided yet.' },
    CONFIRMED: { description: 'The same operator behind both sellers.' },
    REJECTED: { description: 'Not the same operator: the pair is never raised again.' },
  },
  description: 'Whether an investigator has decided a repeat-offender match.',
});

export enum PriorOffence {
  SELLER_CLOSED = 'SELLER_CLOSED',
  CONVICTION = 'CONVICTION',
}
registerEnumType(PriorOffence, {
  name: 'PriorOffence',
  description: 'Why the earlier seller counts as an offender.',
  valuesConfig: {
    SELLER_CLOSED: { description: 'The seller was closed.' },
    CONVICTION: { description: 'A case naming the seller ended in a conviction.' },
  },
});

/** PENDING -> CONFIRMED | REJECTED; a confirmed match found wrong later may still be rejected. REJECTED is final. */
export const repeatOffenderMatchLifecycle = new StateMachine<RepeatOffenderMatchStatus>('repeat-offender match', {
  PENDING: [RepeatOffenderMatchStatus.CONFIRMED, RepeatOffenderMatchStatus.REJECTED],
  CONFIRMED: [RepeatOffenderMatchStatus.REJECTED],
  REJECTED: [],
});
