import { StateMachine } from '../../shared/state-machine.js';
import { ListingStatus } from './listing.entity.js';
import { ReinstatementBasis } from '../enforcement-policy/policy-terms.js';

// Decided over by the enforcement policy, so declared beside it (policy-terms.ts); the listing's own from here.
export { ReinstatementBasis };

/** LIVE -> TAKEN_DOWN -> REINSTATED (-> TAKEN_DOWN again). */
export const listingLifecycle = new StateMachine<ListingStatus>('listing', {
  LIVE: [ListingStatus.TAKEN_DOWN],
  TAKEN_DOWN: [ListingStatus.REINSTATED],
  REINSTATED: [ListingStatus.TAKEN_DOWN],
});
