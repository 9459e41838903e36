import { RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIn } from '../../shared/data-access/filters.js';
import { scopedQuery, whereExists } from '../../shared/data-access/scoped-query.js';
import { Listing } from '../listing/listing.entity.js';
import { ConnectionArgs, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { Seller } from './seller.entity.js';
import { SELLER_DEFAULT_ORDER, SellerFilter, SellerOrder, sellerSortColumns } from './seller.inputs.js';

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
  return paginate(qb, toOrdering(sellerSortColumns, orderBy, SELLER_DEFAULT_ORDER), args);
}
