import { Brand } from '../modules/brand/brand.entity.js';
import { createListings, listingRefusal, NewListing } from '../modules/listing/listing.service.js';
import { Seller } from '../modules/seller/seller.entity.js';
import type { RequestContext } from '../shared/context.js';
import { scopedQuery } from '../shared/data-access/scoped-query.js';
import { prepareRow, required, RowKind, RowRejected, snakeCase, text } from './import-rows.js';

/** A listing as read from the file: its seller and brand by their marketplace names, not yet found. */
export interface ListingRow extends Omit<NewListing, 'sellerId' | 'brandId'> {
  sellerPlatform: string;
  sellerExternalId: string;
  brandSlug: string;
}

/**
 * Listings through createListings (listing.service.ts): each chunk's sellers (platform and external id) and
 * brands (slug) are found in one query each, through the caller's scope, so that a seller or brand one may not
 * see is rejected exactly as a missing one; the chunk's listings are then written in one INSERT, each audited.
 */
export const listingRows: RowKind<ListingRow> = {
  columns: ['seller_platform', 'seller_external_id', 'brand', 'title', 'url', 'price_amount', 'price_currency'],
  required: ['seller_platform', 'seller_external_id', 'brand', 'title', 'url', 'price_amount', 'price_currency'],
  prepare: (line, fields) =>
    prepareRow(line, () => {
      const row: ListingRow = {
        sellerPlatform: required(fields, 'seller_platform'),
        sellerExternalId: required(fields, 'seller_external_id'),
        brandSlug: required(fields, 'brand'),
        title: required(fields, 'title'),
        url: required(fields, 'url'),
        priceAmount: text(fields, 'price_amount')?.trim() ?? '',
        priceCurrency: text(fields, 'price_currency')?.trim() ?? '',
      };
      const refusal = listingRefusal({ ...row, sellerId: '', brandId: '' });
      if (refusal) throw new RowRejected(snakeCase(refusal.field), refusal.reason);
      return row;
    }),
  async write(tx, rows, reject) {
    const sellers = await sellerIds(tx, rows);
    const brands = await brandIds(tx, rows);
    const found: NewListing[] = [];
    for (const { line, input } of rows) {
      const sellerId = sellers.get(sellerKey(input.sellerPlatform, input.sellerExternalId));
      const brandId = brands.get(input.brandSlug);
      if (!sellerId)
        reject({
          line,
          field: 'seller_external_id',
          reason: `No seller ${input.sellerPlatform}/${input.sellerExternalId} that you may see.`,
        });
      else if (!brandId) reject({ line, field: 'brand', reason: `No brand "${input.brandSlug}" that you may see.` });
      else found.push({ ...input, sellerId, brandId });
    }
    return (await createListings(tx, found)).length;
  },
};

const sellerKey = (platform: string, externalId: string) => `${platform}\u0000${externalId}`;

async function sellerIds(tx: RequestContext, rows: { input: ListingRow }[]): Promise<Map<string, string>> {
  const found: { id: string; platform: string; external_id: string }[] = await scopedQuery(tx, Seller)
    .select(['t.id AS id', 't.platform AS platform', 't.external_id AS external_id'])
    .andWhere(
      '(t.platform, t.external_id) IN (SELECT * FROM unnest(CAST(:platforms AS text[]), CAST(:ids AS text[])))',
      {
        platforms: rows.map((r) => r.input.sellerPlatform),
        ids: rows.map((r) => r.input.sellerExternalId),
      },
    )
    .getRawMany();
  return new Map(found.map((s) => [sellerKey(s.platform, s.external_id), String(s.id)]));
}

async function brandIds(tx: RequestContext, rows: { input: ListingRow }[]): Promise<Map<string, string>> {
  const found: { id: string; slug: string }[] = await scopedQuery(tx, Brand)
    .select(['t.id AS id', 't.slug AS slug'])
    .andWhere('t.slug = ANY(:slugs)', { slugs: [...new Set(rows.map((r) => r.input.brandSlug))] })
    .getRawMany();
  return new Map(found.map((b) => [b.slug, String(b.id)]));
}
