import { StateMachine } from '../../shared/state-machine.js';
import { statusAfterStrikes } from '../enforcement-policy/enforcement-policy.js';
import { SellerStatus } from './seller.entity.js';

const { ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED } = SellerStatus;

/**
 * ACTIVE -> WARNED -> RESTRICTED -> SUSPENDED -> CLOSED. Strikes move a seller along it (the enforcement
 * policy, src/modules/enforcement-policy); an investigator may also act directly, skipping steps, or lift a
 * sanction by one step or more (RESTRICTED -> WARNED, SUSPENDED -> RESTRICTED, ... -> ACTIVE: an appeal won,
 * a partial lift), always with a reason. CLOSED is final.
 */
export const sellerLifecycle = new StateMachine<SellerStatus>('seller', {
  ACTIVE: [WARNED, RESTRICTED, SUSPENDED, CLOSED],
  WARNED: [RESTRICTED, SUSPENDED, CLOSED, ACTIVE],
  RESTRICTED: [SUSPENDED, CLOSED, WARNED, ACTIVE],
  SUSPENDED: [CLOSED, RESTRICTED, WARNED, ACTIVE],
  CLOSED: [],
});

/** The status a number of active strikes calls for, at the configured thresholds (never lowers a status; CLOSED stays CLOSED). */
export function statusForStrikes(current: SellerStatus, strikes: number): SellerStatus {
  return statusAfterStrikes(current, strikes).status;
}
