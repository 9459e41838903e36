import { auditChange } from '../../shared/audit/audit.service.js';
import { once } from '../../shared/idempotency.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIn } from '../../shared/data-access/filters.js';
import { lockForChange, scopedQuery, updateVersioned, whereExists } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { sellerFollowUps } from './seller-follow-ups.js';
import { Seller, SellerStatus } from './seller.entity.js';
// A cycle (the repeat-offender module applies its sanctions through updateSellerStatus), used only at call time.
import {
  SELLER_DEFAULT_ORDER,
  SellerFilter,
  SellerOrder,
  sellerSortColumns,
  UpdateSellerStatusInput,
} from './seller.inputs.js';
import { sellerLifecycle } from './seller.states.js';
import {
  activeStrikeSql,
  directActionRule,
  statusAfterStrikeRemoved,
  statusAfterStrikes,
  strikeTerms,
} from '../enforcement-policy/enforcement-policy.js';

export function listSellers(
  ctx: RequestContext,
  filter: SellerFilter | undefined,
  orderBy: SellerOrder | undefined,
  args: ConnectionArgs,
) {
  const qb = scopedQuery(ctx, Seller);
  whereIn(qb, 'status', filter?.status);
  whereIn(qb, 'region', filter?.region);
  whereIn(qb, 'platform', filter?.platform);
  whereDateRange(qb, 'created_at', filter?.createdAt);
  if (filter?.brandIds) {
    const brandIds = filter.brandIds.map((id) => decodeIdOf('Brand', id, 'filter.brandIds'));
    // The listings' table by name, through its scope: listings belong to the module above this one (README, "Architecture").
    whereExists(ctx, qb, 'listing', 'fl', (sub) =>
      whereIn(sub.andWhere('fl.seller_id = t.id'), 'brand_id', brandIds, 'fl'),
    );
  }
  return paginate(ctx, 'sellers', qb, toOrdering(sellerSortColumns, orderBy, SELLER_DEFAULT_ORDER), args);
}

export function sellerSnapshot(seller: Seller) {
  const { status, strikeCount, version } = seller;
  return { status, strikeCount, version };
}

/**
 * An investigator's direct action on a seller, along the seller lifecycle: a sanction (up, steps may be
 * skipped) or a lift (down by one step or more, e.g. RESTRICTED -> WARNED), always with a reason. Audited with
 * the rule (`investigator lift RESTRICTED -> WARNED`); a lift is `seller.lifted`, a sanction
 * `seller.statusChanged`. Strikes are not touched: the next strike counts the active ones again.
 */
export async function updateSellerStatus(ctx: RequestContext, input: UpdateSellerStatusInput): Promise<Seller> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'updateSellerStatus', input, Seller, async () => {
      const seller = await lockForChange(
        tx,
        Seller,
        decodeIdOf('Seller', input.sellerId, 'sellerId'),
        input.expectedVersion,
        ['input', 'sellerId'],
      );
      sellerLifecycle.assert(seller.status, input.status, `${seller.platform}/${seller.externalId}`, [
        'input',
        'status',
      ]);
      const { kind, rule } = directActionRule(seller.status, input.status);
      const before = sellerSnapshot(seller);
      await updateVersioned(tx, Seller, seller, { status: input.status });
      await auditChange(tx, kind === 'lift' ? 'seller.lifted' : 'seller.statusChanged', seller, before, {
        ...sellerSnapshot(seller),
        rule,
        reason: input.reason,
      });
      if (input.status === SellerStatus.CLOSED) {
        // A closed seller is an offender: the sellers already sharing an identifier with it are matched in this change.
        await sellerFollowUps().offendersMade(tx, [seller.rowId]);
      }
      return seller;
    }),
  );
}

/** Active strikes per seller at `now`, in one statement (sellers without any: 0). */
export async function activeStrikes(ctx: RequestContext, sellerIds: string[], now: Date): Promise<Map<string, number>> {
  const rows: { seller_id: string; active: number }[] = await ctx.db.query(
    `SELECT s.seller_id::text, count(*)::int AS active FROM seller_strike s WHERE s.seller_id = ANY($1::bigint[]) AND ${activeStrikeSql('s', '$2')} GROUP BY s.seller_id`,
    [sellerIds, now],
  );
  const counts = new Map(sellerIds.map((id) => [id, 0]));
  for (const row of rows) counts.set(row.seller_id, row.active);
  return counts;
}

/**
 * Gives strikes for listings just taken down, all in one statement: one per listing, unless the same listing
 * has a kept strike within the policy's window (it counts once). `listings` are rows locked for change, and
 * so are their `sellers` (every seller of the listings, in id order). Then each seller's strike count is its
 * active strikes, and its status what they call for (never lower): both audited with the rule, as
 * `seller.struck`, when either changed.
 */
export async function strikeForTakedowns(
  ctx: RequestContext,
  sellers: Seller[],
  listings: { rowId: string; sellerId: string }[],
  now: Date,
  reason: string,
): Promise<void> {
  const terms = strikeTerms(now);
  const sorted = [...listings].sort((a, b) => (BigInt(a.rowId) < BigInt(b.rowId) ? -1 : 1));
  const rows: { seller_id: string; active: number; struck: string[]; already: string[] }[] = await ctx.db.query(
    `WITH taken (listing_id, seller_id) AS (SELECT * FROM unnest($1::bigint[], $2::bigint[])),
     struck AS (
       INSERT INTO seller_strike (seller_id, listing_id, takedown_at, expires_at, reason)
       SELECT t.seller_id, t.listing_id, $3, $4, $5 FROM taken t
       WHERE NOT EXISTS (SELECT 1 FROM seller_strike k WHERE k.listing_id = t.listing_id AND k.removed_at IS NULL AND k.takedown_at > $6)
       ORDER BY t.listing_id
       RETURNING seller_id, listing_id)
     SELECT v.id::text AS seller_id,
       (SELECT count(*) FROM seller_strike s WHERE s.seller_id = v.id AND ${activeStrikeSql('s', '$3')})::int
         + (SELECT count(*) FROM struck n WHERE n.seller_id = v.id)::int AS active,
       ARRAY(SELECT n.listing_id::text FROM struck n WHERE n.seller_id = v.id ORDER BY n.listing_id) AS struck,
       ARRAY(SELECT t.listing_id::text FROM taken t WHERE t.seller_id = v.id AND NOT EXISTS (SELECT 1 FROM struck n WHERE n.listing_id = t.listing_id) ORDER BY t.listing_id) AS already
     FROM unnest($7::bigint[]) AS v(id)`,
    [
      sorted.map((l) => l.rowId),
      sorted.map((l) => l.sellerId),
      now,
      terms.expiresAt,
      reason,
      terms.sameListingSince,
      sellers.map((s) => s.rowId),
    ],
  );
  const bySeller = new Map(rows.map((row) => [row.seller_id, row]));
  for (const seller of sellers) {
    const { active, struck, already } = bySeller.get(seller.rowId)!;
    const { status, rule } = statusAfterStrikes(seller.status, active);
    if (active === seller.strikeCount && status === seller.status && struck.length === 0) continue;
    const before = sellerSnapshot(seller);
    await updateVersioned(ctx, Seller, seller, { strikeCount: active, status });
    await auditChange(ctx, 'seller.struck', seller, before, {
      ...sellerSnapshot(seller),
      rule,
      strikes: active,
      strikeRule: terms.sameListingRule,
      listingIds: struck,
      alreadyCounted: already,
      reason,
    });
  }
}

/**
 * Removes the strike a reversed takedown gave (the listing's kept strike of its last takedown, if that
 * takedown gave one), then recounts the seller's active strikes and lets its status follow them down when
 * the policy says so. `seller` is locked for change. Audited as `seller.strikeRemoved` with the rule.
 */
export async function removeTakedownStrike(
  ctx: RequestContext,
  seller: Seller,
  listing: { rowId: string; takenDownAt: Date | null },
  now: Date,
  reason: string,
): Promise<boolean> {
  if (!listing.takenDownAt) return false;
  const before = (await activeStrikes(ctx, [seller.rowId], now)).get(seller.rowId)!;
  const removed: { id: string; active: boolean }[] = await ctx.db.query(
    `WITH removed AS (
       UPDATE seller_strike s SET removed_at = $3, removed_reason = $4
       WHERE s.listing_id = $1 AND s.seller_id = $2 AND s.removed_at IS NULL AND s.takedown_at >= $5
       RETURNING s.id, s.expires_at > $3 AS active)
     SELECT id::text, active FROM removed ORDER BY id`,
    [listing.rowId, seller.rowId, now, reason, listing.takenDownAt],
  );
  if (removed.length === 0) return false;
  const after = before - removed.filter((r) => r.active).length;
  const { status, rule } = statusAfterStrikeRemoved(seller.status, before, after);
  const snapshot = sellerSnapshot(seller);
  await updateVersioned(ctx, Seller, seller, { strikeCount: after, status });
  await auditChange(ctx, 'seller.strikeRemoved', seller, snapshot, {
    ...sellerSnapshot(seller),
    rule,
    strikes: after,
    listingId: listing.rowId,
    strikeIds: removed.map((r) => r.id),
    reason,
  });
  return true;
}
