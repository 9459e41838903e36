import { StateMachine } from '../../shared/state-machine.js';
import { ListingStatus } from './listing.entity.js';

/** LIVE -> TAKEN_DOWN -> REINSTATED (-> TAKEN_DOWN again). */
export const listingLifecycle = new StateMachine<ListingStatus>('listing', {
  LIVE: [ListingStatus.TAKEN_DOWN],
  TAKEN_DOWN: [ListingStatus.REINSTATED],
  REINSTATED: [ListingStatus.TAKEN_DOWN],
});
