import { directActionRule, statusAfterStrikes, strikeTerms } from '../modules/enforcement-policy/enforcement-policy.js';
import { Seller, SellerStatus } from '../modules/seller/seller.entity.js';
import { sellerSnapshot } from '../modules/seller/seller.service.js';
import { sellerLifecycle } from '../modules/seller/seller.states.js';
import { CaseHistory, Changed } from './case-plan.js';
import { DAY } from './case-tables.js';
import { SeededEvent } from './seed-audit.js';

const STRUCK_REASON = 'Takedowns of its infringing listings (seeded history)';
const CLOSED_REASON = 'Repeated infringement after suspension: shop closed.';

/**
 * The sellers' sanctions in the seeded marketplace, as the enforcement policy decides them: a seller's strikes
 * came in one takedown of its listings (`seller.struck`, the status the strikes call for, statusAfterStrikes),
 * and some suspended sellers were then closed by an investigator (`seller.statusChanged`, along the seller
 * lifecycle). A few bytes a seller; its status, version and audit events are derived from them.
 */
export class SellerSanctions {
  readonly strikes: Uint8Array;
  readonly closed: Uint8Array;
  readonly createdAt: Float64Array;

  constructor(
    readonly count: number,
    readonly firstSellerId: number,
  ) {
    this.strikes = new Uint8Array(count);
    this.closed = new Uint8Array(count);
    this.createdAt = new Float64Array(count);
  }

  /** The status after its strikes (and its closing, if an investigator closed it). */
  statusOf(seller: number): SellerStatus {
    const struck = statusAfterStrikes(SellerStatus.ACTIVE, this.strikes[seller]).status;
    if (!this.closed[seller]) return struck;
    if (!sellerLifecycle.can(struck, SellerStatus.CLOSED))
      throw new Error(`seed: a ${struck} seller cannot be closed (seller lifecycle)`);
    return SellerStatus.CLOSED;
  }

  /** Its version: one change per event. */
  versionOf(seller: number): number {
    return 1 + (this.strikes[seller] > 0 ? 1 : 0) + this.closed[seller];
  }

  /** When it was struck: within the last 300 days of its life (strikes expire after a year), spread by seller. */
  private struckAt(seller: number, now: number): number {
    const since = Math.max(this.createdAt[seller], now - 300 * DAY);
    return Math.floor(since + (((seller * 7919) % 1000) / 1000) * (now - DAY - since));
  }

  /** Its changes into the history, in time order with the cases'. */
  record(history: CaseHistory, now: number): void {
    for (let seller = 0; seller < this.count; seller += 1) {
      if (this.strikes[seller] === 0) continue;
      const struckAt = this.struckAt(seller, now);
      history.record(struckAt, Changed.SELLER, seller, 2);
      if (this.closed[seller]) history.record(Math.floor((struckAt + now) / 2), Changed.SELLER, seller, 3);
    }
  }

  event(at: number, seller: number, version: number): SeededEvent {
    const strikes = this.strikes[seller];
    const struck = statusAfterStrikes(SellerStatus.ACTIVE, strikes);
    const entity = { at, entityType: Seller.name, entityId: this.firstSellerId + seller };
    const snapshot = (status: SellerStatus, strikeCount: number, v: number) =>
      sellerSnapshot({ status, strikeCount, version: v } as Seller);
    if (version === 2) {
      return {
        ...entity,
        action: 'seller.struck',
        before: snapshot(SellerStatus.ACTIVE, 0, 1),
        after: {
          ...snapshot(struck.status, strikes, 2),
          rule: struck.rule,
          strikes,
          strikeRule: strikeTerms(new Date(at)).sameListingRule,
          listingIds: [],
          alreadyCounted: [],
          reason: STRUCK_REASON,
        },
      };
    }
    const { rule } = directActionRule(struck.status, SellerStatus.CLOSED);
    return {
      ...entity,
      action: 'seller.statusChanged',
      before: snapshot(struck.status, strikes, 2),
      after: { ...snapshot(SellerStatus.CLOSED, strikes, 3), rule, reason: CLOSED_REASON },
    };
  }
}
