import { SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIdIn, whereIn } from '../../shared/data-access/filters.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs, loadChildPage, paginate } from '../../shared/relay/connection.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { Listing } from './listing.entity.js';
import { LISTING_DEFAULT_ORDER, ListingFilter, ListingOrder, listingSortColumns } from './listing.inputs.js';

function applyListingFilter(qb: SelectQueryBuilder<Listing>, filter: ListingFilter | undefined) {
  whereIn(qb, 'status', filter?.status);
  whereIdIn(qb, 'brand_id', 'Brand', filter?.brandIds, 'filter.brandIds');
  whereIdIn(qb, 'seller_id', 'Seller', filter?.sellerIds, 'filter.sellerIds');
  whereDateRange(qb, 'created_at', filter?.createdAt);
  return qb;
}

export function listListings(ctx: RequestContext, filter: ListingFilter | undefined, orderBy: ListingOrder | undefined, args: ConnectionArgs) {
  return paginate(applyListingFilter(scopedQuery(ctx, Listing), filter), toOrdering(listingSortColumns, orderBy, LISTING_DEFAULT_ORDER), args);
}

/** The listings of one brand or seller, batched across parents. */
export function listingsOf(
  ctx: RequestContext,
  parentColumn: 'brand_id' | 'seller_id',
  parentId: string,
  filter: ListingFilter | undefined,
  orderBy: ListingOrder | undefined,
  args: ConnectionArgs,
) {
  return loadChildPage<Listing>(ctx, {
    entity: Listing,
    parentColumn,
    parentId,
    ordering: toOrdering(listingSortColumns, orderBy, LISTING_DEFAULT_ORDER),
    args,
    filter: filter && { key: JSON.stringify(filter), apply: (qb) => applyListingFilter(qb, filter) },
  });
}
