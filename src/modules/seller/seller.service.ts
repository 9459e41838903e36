import { auditChange } from '../../shared/audit/audit.service.js';
import { once } from '../../shared/idempotency.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIn } from '../../shared/data-access/filters.js';
import { lockForChange, scopedQuery, updateVersioned, whereExists } from '../../shared/data-access/scoped-query.js';
import { Listing } from '../listing/listing.entity.js';
import { ConnectionArgs, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { Seller } from './seller.entity.js';
import { SELLER_DEFAULT_ORDER, SellerFilter, SellerOrder, sellerSortColumns, UpdateSellerStatusInput } from './seller.inputs.js';
import { sellerLifecycle, statusForStrikes } from './seller.states.js';

export function listSellers(ctx: RequestContext, filter: SellerFilter | undefined, orderBy: SellerOrder | undefined, args: ConnectionArgs) {
  const qb = scopedQuery(ctx, Seller);
  whereIn(qb, 'status', filter?.status);
  whereIn(qb, 'region', filter?.region);
  whereIn(qb, 'platform', filter?.platform);
  whereDateRange(qb, 'created_at', filter?.createdAt);
  if (filter?.brandIds) {
    const brandIds = filter.brandIds.map((id) => decodeIdOf('Brand', id, 'filter.brandIds'));
    whereExists(ctx, qb, Listing, 'fl', (sub) => whereIn(sub.andWhere('fl.seller_id = t.id'), 'brand_id', brandIds, 'fl'));
  }
  return paginate(ctx, 'sellers', qb, toOrdering(sellerSortColumns, orderBy, SELLER_DEFAULT_ORDER), args);
}

export function sellerSnapshot(seller: Seller) {
  const { status, strikeCount, version } = seller;
  return { status, strikeCount, version };
}

/** An investigator's direct action on a seller, along the seller lifecycle. */
export async function updateSellerStatus(ctx: RequestContext, input: UpdateSellerStatusInput): Promise<Seller> {
  return inTransaction(ctx, (tx) => once(tx, 'updateSellerStatus', input, Seller, async () => {
    const seller = await lockForChange(tx, Seller, decodeIdOf('Seller', input.sellerId, 'sellerId'), input.expectedVersion, ['input', 'sellerId']);
    sellerLifecycle.assert(seller.status, input.status, `${seller.platform}/${seller.externalId}`, ['input', 'status']);
    const before = sellerSnapshot(seller);
    await updateVersioned(tx, Seller, seller, { status: input.status });
    await auditChange(tx, 'seller.statusChanged', seller, before, { ...sellerSnapshot(seller), reason: input.reason });
    return seller;
  }));
}

/** Adds a strike to a seller locked for change, escalating its status as the strikes call for. */
export async function addStrike(ctx: RequestContext, seller: Seller, reason: string): Promise<void> {
  const before = sellerSnapshot(seller);
  const strikeCount = seller.strikeCount + 1;
  await updateVersioned(ctx, Seller, seller, { strikeCount, status: statusForStrikes(seller.status, strikeCount) });
  await auditChange(ctx, 'seller.struck', seller, before, { ...sellerSnapshot(seller), reason });
}
