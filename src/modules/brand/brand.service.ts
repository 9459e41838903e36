import { RequestContext } from '../../shared/context.js';
import { whereIn } from '../../shared/data-access/filters.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { Brand } from './brand.entity.js';
import { BRAND_DEFAULT_ORDER, BrandFilter, BrandOrder, brandSortColumns } from './brand.inputs.js';

export function listBrands(
  ctx: RequestContext,
  filter: BrandFilter | undefined,
  orderBy: BrandOrder | undefined,
  args: ConnectionArgs,
) {
  const qb = scopedQuery(ctx, Brand);
  whereIn(qb, 'status', filter?.status);
  whereIn(qb, 'slug', filter?.slug);
  return paginate(ctx, 'brands', qb, toOrdering(brandSortColumns, orderBy, BRAND_DEFAULT_ORDER), args);
}
