import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';
import { ListingStatus } from './listing.entity.js';

/** LIVE -> TAKEN_DOWN -> REINSTATED (-> TAKEN_DOWN again). */
export const listingLifecycle = new StateMachine<ListingStatus>('listing', {
  LIVE: [ListingStatus.TAKEN_DOWN],
  TAKEN_DOWN: [ListingStatus.REINSTATED],
  REINSTATED: [ListingStatus.TAKEN_DOWN],
});

/**
 * Why a listing taken down goes back up. Whether its takedown is reversed (and its strike removed) is the
 * enforcement policy's to say (src/modules/enforcement-policy).
 */
export enum ReinstatementBasis {
  COUNTER_NOTICE_UPHELD = 'COUNTER_NOTICE_UPHELD',
  TAKEDOWN_IN_ERROR = 'TAKEDOWN_IN_ERROR',
  LISTING_CORRECTED = 'LISTING_CORRECTED',
}
registerEnumType(ReinstatementBasis, {
  name: 'ReinstatementBasis',
  description: 'Why a listing taken down is reinstated (docs/enforcement-policy.md).',
  valuesConfig: {
    COUNTER_NOTICE_UPHELD: {
      description: "The seller's counter-notice was upheld: the takedown is reversed and its strike removed.",
    },
    TAKEDOWN_IN_ERROR: {
      description: 'The listing was taken down in error: the takedown is reversed and its strike removed.',
    },
    LISTING_CORRECTED: {
      description: 'The seller removed the infringing content: the takedown stands and its strike stays.',
    },
  },
});
