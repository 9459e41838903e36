import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../shared/context.js';
import { Lead } from '../lead/lead.entity.js';
import { Seller } from '../seller/seller.entity.js';

/**
 * Cross-brand signal without disclosure: how many other brands have cases against the
 * same seller or its network (sellers sharing an identifier with it). THIS IS THE ONE INTENTIONAL
 * CROSS-TENANT FIGURE: for a brand partner it counts cases of brands it may not see, deliberately outside
 * visibility.ts, in the database function eca_other_brand_case_counts (migrations/1763900700000-
 * CrossBrandSignal.ts), which answers only for records the caller may see and only a number, never which
 * brands or cases.
 *
 * "Other" brands: for a brand partner, every brand but its own; for everyone else, on a lead the brands it
 * does not name, on a seller all brands. Batched: one function call per kind of record per request.
 */
function otherBrandCaseCount(ctx: RequestContext, kind: 'seller' | 'lead', rowId: string): Promise<number> {
  return ctx.loaders
    .get<string, number>(`otherBrandCaseCount.${kind}`, async (ids) => {
      const rows: { id: string; brands: number }[] = await ctx.db.query(
        `SELECT id::text, brands FROM eca_other_brand_case_counts($1, $2::bigint[], $3, $4)`,
        [kind, ids, ctx.scope.kind === 'BRAND' ? ctx.scope.brandId : null, ctx.scope.kind !== 'BRAND'],
      );
      const byId = new Map(rows.map((row) => [row.id, row.brands]));
      return ids.map((id) => byId.get(id) ?? 0);
    })
    .load(rowId);
}

const DESCRIPTION =
  'How many other brands have cases (leads, except those closed as NOT_COUNTERFEIT) against the same seller or its network ' +
  '(sellers sharing an identifier with it): a count only, never which brands. Other brands: for a brand partner, every brand but its own; ';

@Resolver(() => Lead)
export class LeadOtherBrandCaseCountResolver {
  @FieldResolver(() => Int, {
    description: `${DESCRIPTION}for others, the brands this lead does not name. Over the sellers the lead names.`,
  })
  otherBrandCaseCount(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<number> {
    return otherBrandCaseCount(ctx, 'lead', lead.rowId);
  }
}

@Resolver(() => Seller)
export class SellerOtherBrandCaseCountResolver {
  @FieldResolver(() => Int, { description: `${DESCRIPTION}for others, every brand.` })
  otherBrandCaseCount(@Root() seller: Seller, @Ctx() ctx: RequestContext): Promise<number> {
    return otherBrandCaseCount(ctx, 'seller', seller.rowId);
  }
}
