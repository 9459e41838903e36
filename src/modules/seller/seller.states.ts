import { StateMachine } from '../../shared/state-machine.js';
import { SellerStatus } from './seller.entity.js';

const { ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED } = SellerStatus;

/**
 * ACTIVE -> WARNED -> RESTRICTED -> SUSPENDED -> CLOSED. Strikes move a seller along it; an investigator
 * may also act directly, skipping steps, or lift a sanction back to ACTIVE (an appeal won). CLOSED is final.
 */
export const sellerLifecycle = new StateMachine<SellerStatus>('seller', {
  ACTIVE: [WARNED, RESTRICTED, SUSPENDED, CLOSED],
  WARNED: [RESTRICTED, SUSPENDED, CLOSED, ACTIVE],
  RESTRICTED: [SUSPENDED, CLOSED, ACTIVE],
  SUSPENDED: [CLOSED, ACTIVE],
  CLOSED: [],
});

/** The status a number of strikes calls for (never lowers a status; CLOSED stays CLOSED). */
export function statusForStrikes(current: SellerStatus, strikes: number): SellerStatus {
  const byStrikes = strikes >= 5 ? SUSPENDED : strikes >= 3 ? RESTRICTED : strikes >= 1 ? WARNED : ACTIVE;
  const order = [ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED];
  return order.indexOf(byStrikes) > order.indexOf(current) ? byStrikes : current;
}
