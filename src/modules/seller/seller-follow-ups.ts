import type { RequestContext } from '../../shared/context.js';
import type { SellerIdentifier } from './seller-identifier.entity.js';
import type { Seller } from './seller.entity.js';

/**
 * What a seller write sets off in the same change beyond this module: repeat-offender matching. That module
 * sits above this one (it opens leads, and sanctions sellers through this module), so it registers itself
 * here when it is loaded, as the schema loads it. A write with nothing registered fails rather than skip it.
 */
export interface SellerFollowUps {
  /** `added` identifiers were just written for `seller` (createSeller, addSellerIdentifier). */
  identifiersAdded(tx: RequestContext, seller: Seller, added: SellerIdentifier[]): Promise<unknown>;
  /** These sellers just became offenders (an investigator closed them). */
  offendersMade(tx: RequestContext, sellerIds: string[]): Promise<unknown>;
}

let registered: SellerFollowUps | undefined;

export function registerSellerFollowUps(followUps: SellerFollowUps): void {
  registered = followUps;
}

export function sellerFollowUps(): SellerFollowUps {
  if (!registered)
    throw new Error('Seller writes need repeat-offender matching: import src/modules/repeat-offender before them');
  return registered;
}
