import { SelectQueryBuilder } from 'typeorm';
import { auditChange, recordAudit } from '../../shared/audit/audit.service.js';
import { CASE_WRITERS } from '../../shared/auth/role.js';
import { once, onceForKey } from '../../shared/idempotency.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { badInput } from '../../shared/errors.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { Seller } from '../seller/seller.entity.js';
import { removeTakedownStrike, strikeForTakedowns } from '../seller/seller.service.js';
import { reversesTakedown } from '../enforcement-policy/enforcement-policy.js';
import { listingLifecycle, ReinstatementBasis } from './listing.states.js';
import { whereDateRange, whereIn } from '../../shared/data-access/filters.js';
import {
  lockAllForChange,
  lockForChange,
  ParentLink,
  scopedQuery,
  updateVersioned,
  whereExists,
} from '../../shared/data-access/scoped-query.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Brand } from '../brand/brand.entity.js';
import { ConnectionArgs } from '../../shared/relay/connection.js';
import { loadChildPage, paginate } from '../../shared/relay/keyset-paging.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { Listing, ListingStatus } from './listing.entity.js';
import {
  LISTING_DEFAULT_ORDER,
  ListingFilter,
  ListingOrder,
  listingSortColumns,
  MAX_TAKEDOWN_LISTINGS,
  ReinstateListingInput,
  TakeDownListingsInput,
} from './listing.inputs.js';

function applyListingFilter(ctx: RequestContext, qb: SelectQueryBuilder<Listing>, filter: ListingFilter | undefined) {
  whereIn(qb, 'status', filter?.status);
  // Through the brand's and the seller's own scope: filtering on a record one may not see finds nothing,
  // exactly as filtering on one that does not exist (else a filter would reveal who sells a listing).
  if (filter?.brandIds) {
    const ids = filter.brandIds.map((id) => decodeIdOf('Brand', id, 'filter.brandIds'));
    whereExists(ctx, qb, Brand, 'fb', (sub) => whereIn(sub.andWhere('fb.id = t.brand_id'), 'id', ids, 'fb'));
  }
  if (filter?.sellerIds) {
    const ids = filter.sellerIds.map((id) => decodeIdOf('Seller', id, 'filter.sellerIds'));
    whereExists(ctx, qb, Seller, 'fs', (sub) => whereIn(sub.andWhere('fs.id = t.seller_id'), 'id', ids, 'fs'));
  }
  whereDateRange(qb, 'created_at', filter?.createdAt);
  return qb;
}

export function listListings(
  ctx: RequestContext,
  filter: ListingFilter | undefined,
  orderBy: ListingOrder | undefined,
  args: ConnectionArgs,
) {
  return paginate(
    ctx,
    'listings',
    applyListingFilter(ctx, scopedQuery(ctx, Listing), filter),
    toOrdering(listingSortColumns, orderBy, LISTING_DEFAULT_ORDER),
    args,
  );
}

/** The listings of one parent (a brand, a seller, a lead), batched across parents. */
export function listingsOf(
  ctx: RequestContext,
  link: ParentLink,
  parentId: string,
  filter: ListingFilter | undefined,
  orderBy: ListingOrder | undefined,
  args: ConnectionArgs,
) {
  return loadChildPage<Listing>(ctx, {
    entity: Listing,
    link,
    parentId,
    ordering: toOrdering(listingSortColumns, orderBy, LISTING_DEFAULT_ORDER),
    args,
    filter: filter && { key: JSON.stringify(filter), apply: (qb) => applyListingFilter(ctx, qb, filter) },
  });
}

export function listingSnapshot(listing: Listing) {
  const { status, takenDownAt, version } = listing;
  return { status, takenDownAt, version };
}

/**
 * Takes listings down, all or none, and strikes their sellers as the enforcement policy says: one strike per
 * listing (a takedown of five listings of one seller is five strikes), the same listing again within the
 * policy's window counting once; each seller's status escalates with its active strikes. Rows are locked
 * in id order (listings, then sellers) so that concurrent batches cannot deadlock.
 */
export async function takeDownListings(ctx: RequestContext, input: TakeDownListingsInput): Promise<Listing[]> {
  const given = input.listingIds.length;
  if (given < 1 || given > MAX_TAKEDOWN_LISTINGS) {
    throw badInput(
      `listingIds takes 1 to ${MAX_TAKEDOWN_LISTINGS} listing ids (the marketplace's batch size); ${given} given${given ? ': split the batch' : ''}.`,
      'listingIds',
    );
  }
  const ids = [...new Set(input.listingIds.map((id) => decodeIdOf('Listing', id, 'listingIds')))].sort(
    (a, b) => Number(a) - Number(b),
  );
  return inTransaction(ctx, async (tx) => {
    // A retry of a batch already taken down answers its listings as they are now.
    const { replayed } = await onceForKey(tx, 'takeDownListings', input.idempotencyKey, input, async () => ids[0]);
    const listings = await lockAllForChange(tx, Listing, ids, ['input', 'listingIds']);
    if (replayed) return listings;
    const now = new Date();
    for (const listing of listings)
      listingLifecycle.assert(listing.status, ListingStatus.TAKEN_DOWN, listing.globalId, ['input', 'listingIds']);
    // One UPDATE for the batch (a batch of 300 was 300 round trips): the rows are locked, at the versions read.
    const [, updated]: [unknown[], number] = await tx.db.query(
      `UPDATE listing l SET status = $1, taken_down_at = $2, version = l.version + 1
       FROM unnest($3::bigint[], $4::int[]) AS v(id, version) WHERE l.id = v.id AND l.version = v.version RETURNING l.id`,
      [ListingStatus.TAKEN_DOWN, now, listings.map((l) => l.rowId), listings.map((l) => l.version)],
    );
    if (updated !== listings.length)
      refuse(UserErrorCode.STALE_VERSION, 'A Listing was changed by someone else: reload it and try again.', [
        'input',
        'listingIds',
      ]);
    for (const listing of listings) {
      const before = listingSnapshot(listing);
      Object.assign(listing, { status: ListingStatus.TAKEN_DOWN, takenDownAt: now, version: listing.version + 1 });
      await auditChange(tx, 'listing.takenDown', listing, before, {
        ...listingSnapshot(listing),
        reason: input.reason,
      });
    }
    const sellers = await lockAllForChange(
      tx,
      Seller,
      [...new Set(listings.map((l) => l.sellerId))],
      ['input', 'listingIds'],
    );
    await strikeForTakedowns(tx, sellers, listings, now, `takedown: ${input.reason}`);
    return listings;
  });
}

/**
 * TAKEN_DOWN -> REINSTATED. A reinstatement that reverses the takedown (a counter-notice upheld, a takedown
 * in error: the default) removes the strike that takedown gave and lets the seller's status follow its
 * strikes down (enforcement policy); one after the seller corrected the listing keeps it.
 */
export async function reinstateListing(ctx: RequestContext, input: ReinstateListingInput): Promise<Listing> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'reinstateListing', input, Listing, async () => {
      const listing = await lockForChange(
        tx,
        Listing,
        decodeIdOf('Listing', input.listingId, 'listingId'),
        input.expectedVersion,
        ['input', 'listingId'],
      );
      listingLifecycle.assert(listing.status, ListingStatus.REINSTATED, listing.globalId);
      const basis = input.basis ?? ReinstatementBasis.COUNTER_NOTICE_UPHELD;
      const reversed = reversesTakedown(basis);
      const before = listingSnapshot(listing);
      const takenDownAt = listing.takenDownAt;
      await updateVersioned(tx, Listing, listing, { status: ListingStatus.REINSTATED });
      await auditChange(tx, 'listing.reinstated', listing, before, {
        ...listingSnapshot(listing),
        basis,
        takedownReversed: reversed,
        reason: input.reason,
      });
      if (reversed) {
        const seller = await lockForChange(tx, Seller, listing.sellerId, null, ['input', 'listingId']);
        await removeTakedownStrike(
          tx,
          seller,
          { rowId: listing.rowId, takenDownAt },
          new Date(),
          `takedown reversed (${basis}): ${input.reason}`,
        );
      }
      return listing;
    }),
  );
}

/** A listing found on the marketplace, to record: its seller and claimed brand as row ids the caller may name. */
export interface NewListing {
  sellerId: string;
  brandId: string;
  title: string;
  url: string;
  /** In the minor unit of the currency (cents, fen), as digits. */
  priceAmount: string;
  priceCurrency: string;
}

export const MAX_LISTING_TITLE_LENGTH = 1000;
export const MAX_LISTING_URL_LENGTH = 2000;

/**
 * The first rule a new listing breaks, as its field and why; null when it keeps them all. The table's checks
 * (price_amount >= 0, price_currency three capitals) and the ones the API adds (a title, an http(s) address).
 */
export function listingRefusal(listing: NewListing): { field: keyof NewListing; reason: string } | null {
  const title = listing.title.trim();
  if (title.length < 1 || title.length > MAX_LISTING_TITLE_LENGTH)
    return { field: 'title', reason: `a title of 1 to ${MAX_LISTING_TITLE_LENGTH} characters is required` };
  let address: URL | null = null;
  try {
    address = new URL(listing.url);
  } catch {
    address = null;
  }
  if (!address || !/^https?:$/.test(address.protocol) || listing.url.length > MAX_LISTING_URL_LENGTH)
    return { field: 'url', reason: `an http(s) address of at most ${MAX_LISTING_URL_LENGTH} characters is required` };
  if (!/^[0-9]{1,15}$/.test(listing.priceAmount))
    return {
      field: 'priceAmount',
      reason: 'a whole number of the currency minor unit (0 or more, e.g. 1999) is required',
    };
  if (!/^[A-Z]{3}$/.test(listing.priceCurrency))
    return { field: 'priceCurrency', reason: 'an ISO 4217 currency code such as CNY is required' };
  return null;
}

/**
 * Records listings found on the marketplace (LIVE), in one INSERT, each audited as `listing.created` with its
 * seller and brand. Case writers only (as every change of case data). Every listing must keep listingRefusal's
 * rules, and its seller and brand must be ones the caller may see: otherwise nothing is written and the
 * refusal names the listing's index. Returns the new rows' ids, in the order given.
 */
export async function createListings(ctx: RequestContext, listings: NewListing[]): Promise<string[]> {
  if (!CASE_WRITERS.includes(ctx.principal.role))
    refuse(
      UserErrorCode.INVALID,
      `The role ${ctx.principal.role} may not record listings (case writers only: ${CASE_WRITERS.join(', ')}).`,
      ['input'],
    );
  if (listings.length === 0) return [];
  listings.forEach((listing, index) => {
    const refusal = listingRefusal(listing);
    if (refusal) refuse(UserErrorCode.INVALID, `${refusal.field}: ${refusal.reason}.`, [String(index), refusal.field]);
  });
  return inTransaction(ctx, async (tx) => {
    for (const [entity, field] of [
      [Seller, 'sellerId'],
      [Brand, 'brandId'],
    ] as const) {
      const ids = [...new Set(listings.map((l) => l[field]))];
      const seen = new Set(
        (await scopedQuery(tx, entity).select('t.id', 'id').andWhere('t.id = ANY(:ids)', { ids }).getRawMany()).map(
          (row: { id: string }) => String(row.id),
        ),
      );
      const missing = listings.findIndex((l) => !seen.has(l[field]));
      if (missing >= 0)
        refuse(UserErrorCode.NOT_FOUND, `No ${entity.name.toLowerCase()} has the id ${listings[missing][field]}.`, [
          String(missing),
          field,
        ]);
    }
    // The audit events are made from the rows as the INSERT returned them: each event is its row's own.
    const rows: Record<
      'id' | 'seller_id' | 'brand_id' | 'title' | 'url' | 'price_amount' | 'price_currency',
      string
    >[] = await tx.db.query(
      `INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status)
         SELECT v.seller_id, v.brand_id, v.title, v.url, v.price_amount, v.price_currency, $7
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY
           AS v(seller_id, brand_id, title, url, price_amount, price_currency, n)
         ORDER BY v.n
         RETURNING id::text, seller_id::text, brand_id::text, title, url, price_amount::text, price_currency`,
      [
        listings.map((l) => l.sellerId),
        listings.map((l) => l.brandId),
        listings.map((l) => l.title.trim()),
        listings.map((l) => l.url),
        listings.map((l) => l.priceAmount),
        listings.map((l) => l.priceCurrency),
        ListingStatus.LIVE,
      ],
    );
    await recordAudit(
      tx,
      ...rows.map((row) => ({
        action: 'listing.created',
        entityType: Listing.name,
        entityId: row.id,
        before: null,
        after: {
          sellerId: row.seller_id,
          brandId: row.brand_id,
          title: row.title,
          url: row.url,
          price: { amount: row.price_amount, currency: row.price_currency },
          status: ListingStatus.LIVE,
        },
      })),
    );
    return rows.map((row) => row.id);
  });
}
