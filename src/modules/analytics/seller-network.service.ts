import { DataSource } from 'typeorm';
import { isInternal } from '../../shared/auth/role.js';
import { RequestContext } from '../../shared/context.js';
import { badInput } from '../../shared/errors.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { Lead } from '../lead/lead.entity.js';
import { Listing } from '../listing/listing.entity.js';
import { Referral } from '../referral/referral.entity.js';
import { IdentifierKind } from '../seller/seller-identifier.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { refreshRollupsIfOlderThan, rollupAsOf } from './rollup-refresh.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { inPeriod, leadConditions, listingConditions } from './analytics.sql.js';
import {
  NETWORK_MAX_DEPTH,
  NETWORK_MAX_LINKS,
  NETWORK_MAX_SELLERS,
  NetworkLink,
  OffendingNetwork,
  OffendingSeller,
  RepeatOffenderOrder,
  RepeatOffenders,
  SellerNetwork,
} from './analytics.types.js';

/** Rows of the traversal read at most: bounds the work on a dense graph (a hub identifier shared by thousands). */
export const NETWORK_MAX_TRAVERSAL_ROWS = 5000;
const MAX_RANKED = 100;
const NO_FILTER: ResolvedFilter = {
  from: null,
  to: null,
  brandIds: null,
  regions: null,
  platforms: null,
  agencyIds: null,
  leadSources: null,
};

async function loadSellers(ctx: RequestContext, ids: string[]): Promise<Seller[]> {
  const sellers = await Promise.all(ids.map((id) => loadById(ctx, Seller, String(id))));
  return sellers.filter((seller): seller is Seller => seller !== null);
}

// ---------------------------------------------------------------------------------------------------
// The refreshed rollups (network components, offences per scope): see docs/analytics.md, "Rollups".

/**
 * Recomputes every refreshed analytics rollup from the base tables now, unless the oldest is younger than
 * `maxAgeMs`; one refresh at a time across every server (a call that finds one running returns at once).
 */
export async function refreshAnalyticsRollups(dataSource: DataSource, maxAgeMs = 0): Promise<void> {
  await refreshRollupsIfOlderThan(dataSource, maxAgeMs);
}

// ---------------------------------------------------------------------------------------------------
// Repeat offenders.

const RANKING: Record<RepeatOffenderOrder, string[]> = {
  STRIKES: ['strikes', 'leads', 'takedowns'],
  LEADS: ['leads', 'strikes', 'takedowns'],
  TAKEDOWNS: ['takedowns', 'strikes', 'leads'],
};
const orderBy = (order: RepeatOffenderOrder, prefix = '') =>
  RANKING[order].map((column) => `${prefix}${column} DESC`).join(', ');

/** Leads (created in the period) naming each seller, and its listings taken down in the period: derived tables. */
function offenceCounts(s: Statement): { leads: string; takedowns: string } {
  const leads = s
    .scoped(Lead, 'ol')
    .innerJoin('lead_seller', 'ol_ls', 'ol_ls.lead_id = ol.id')
    .select('ol_ls.seller_id', 'seller_id')
    .addSelect('ol.id', 'lead_id')
    .andWhere(leadConditions(s, 'ol', { period: true }));
  const takedowns = s
    .scoped(Listing, 'ox')
    .select('ox.seller_id', 'seller_id')
    .addSelect('ox.id', 'listing_id')
    .andWhere(
      [`ox.taken_down_at IS NOT NULL`, ...inPeriod(s, 'ox.taken_down_at'), listingConditions(s, 'ox')].join(' AND '),
    );
  return { leads: s.derived(leads), takedowns: s.derived(takedowns) };
}

/** Conditions on a seller `v` for the filter's regions and platforms (the other filters act on the offences). */
function sellerPlace(s: Statement, v: string): string {
  const conditions = ['TRUE'];
  if (s.filter.regions)
    conditions.push(s.filter.regions.length ? `${v}.region IN (${s.bind(s.filter.regions)})` : 'FALSE');
  if (s.filter.platforms)
    conditions.push(s.filter.platforms.length ? `${v}.platform IN (${s.bind(s.filter.platforms)})` : 'FALSE');
  return conditions.join(' AND ');
}

type SellerRow = { id: string; strikes: number; leads: string; takedowns: string };
type NetworkRow = { members: string[]; strikes: string; leads: string; takedowns: string; size: string };

/**
 * Sellers ranked live, over the filter and the caller's scope. The offences are counted first and kept
 * (MATERIALIZED), then each offending seller is read by its key with one visibility check (never a pass over
 * every seller, which the planner chose from the policies' row estimates: 15 s for a brand at scale 10).
 */
function liveOffenders(s: Statement, first: number, order: RepeatOffenderOrder): Promise<SellerRow[]> {
  const counts = offenceCounts(s);
  const visibleSeller = (column: string) => s.exists(Seller, 'sv', (sub, v) => sub.andWhere(`${v}.id = ${column}`));
  return s.rows<SellerRow>(`
    WITH lead_counts AS (SELECT seller_id, count(*) AS leads FROM ${counts.leads} x GROUP BY seller_id),
         takedown_counts AS (SELECT seller_id, count(*) AS takedowns FROM ${counts.takedowns} x GROUP BY seller_id),
         offences AS MATERIALIZED (SELECT seller_id, coalesce(lc.leads, 0) AS leads, coalesce(tc.takedowns, 0) AS takedowns
                                   FROM lead_counts lc FULL JOIN takedown_counts tc USING (seller_id))
    SELECT v.id::text AS id, v.strike_count AS strikes, o.leads, o.takedowns
    FROM offences o JOIN LATERAL (SELECT v.id, v.strike_count FROM seller v
                                  WHERE v.id = o.seller_id AND ${sellerPlace(s, 'v')} AND ${visibleSeller('v.id')} OFFSET 0) v ON TRUE
    ORDER BY ${orderBy(order)}, v.id
    LIMIT ${s.bind(first)}`);
}

/** Networks ranked live: the rollup's components, each counted over the filter and the members you may see (at least two). */
function liveNetworks(n: Statement, first: number, order: RepeatOffenderOrder): Promise<NetworkRow[]> {
  const networkCounts = offenceCounts(n);
  const visibleMember = n.exists(Seller, 'mv', (sub, v) => sub.andWhere(`${v}.id = sn.seller_id`));
  return n.rows<NetworkRow>(`
    WITH offending AS (
           SELECT sn.network_id, count(DISTINCT x.lead_id) AS leads, 0 AS takedowns FROM ${networkCounts.leads} x
             JOIN seller_network sn ON sn.seller_id = x.seller_id GROUP BY sn.network_id
           UNION ALL
           SELECT sn.network_id, 0, count(*) FROM ${networkCounts.takedowns} x
             JOIN seller_network sn ON sn.seller_id = x.seller_id GROUP BY sn.network_id),
         per_network AS (SELECT network_id, sum(leads) AS leads, sum(takedowns) AS takedowns FROM offending GROUP BY network_id),
         -- The members of the offending networks (through the network index), each then checked once for visibility.
         members AS MATERIALIZED (SELECT sn.network_id, sn.seller_id, p.leads, p.takedowns
                                  FROM per_network p JOIN seller_network sn ON sn.network_id = p.network_id)
    SELECT sn.network_id, max(sn.leads) AS leads, max(sn.takedowns) AS takedowns, count(*) AS size, sum(m.strike_count) AS strikes,
           (array_agg(m.id::text ORDER BY m.strike_count DESC, m.id))[1:20] AS members
    FROM members sn JOIN seller m ON m.id = sn.seller_id
    WHERE ${sellerPlace(n, 'm')} AND ${visibleMember}
    GROUP BY sn.network_id HAVING count(*) >= 2
    ORDER BY ${orderBy(order)}, sn.network_id
    LIMIT ${n.bind(first)}`);
}

/**
 * The unfiltered rankings, from the rollups of your scope (refreshed on a schedule): internal roles'
 * sellers from `seller_offence`, a brand's or an agency's from its rows of `scoped_seller_offence`, the
 * networks from its rows of `network_offence` (whose row-level security admits a tenant's rows to it only).
 * Each seller is still checked against your scope (visibility.ts), and the members are loaded through it.
 */
async function rankedFromRollups(ctx: RequestContext, first: number, order: RepeatOffenderOrder) {
  const s = new Statement(ctx, NO_FILTER);
  const scope = ctx.scope;
  const scopeId = scope.kind === 'BRAND' ? scope.brandId : scope.kind === 'AGENCY' ? scope.agencyId : '0';
  const key = (alias: string) => `${alias}.scope = ${s.bind(scope.kind)} AND ${alias}.scope_id = ${s.bind(scopeId)}`;
  const visible = s.exists(Seller, 'sv', (sub, v) => sub.andWhere(`${v}.id = o.seller_id`));
  const sellerRows = await s.rows<SellerRow>(`
    SELECT o.seller_id::text AS id, o.strikes, o.leads, o.takedowns
    FROM ${scope.kind === 'ALL' ? 'seller_offence o WHERE TRUE' : `scoped_seller_offence o WHERE ${key('o')}`} AND ${visible}
    ORDER BY ${orderBy(order, 'o.')}, o.seller_id LIMIT ${s.bind(first)}`);
  const networkRows = await s.rows<NetworkRow>(`
    SELECT n.network_id, n.leads, n.takedowns, n.seller_count AS size, n.strikes, n.members::text[] AS members
    FROM network_offence n WHERE ${key('n')}
    ORDER BY ${orderBy(order, 'n.')}, n.network_id LIMIT ${s.bind(first)}`);
  return { sellerRows, networkRows };
}

export async function repeatOffenders(
  ctx: RequestContext,
  filter: ResolvedFilter,
  first: number,
  order: RepeatOffenderOrder,
): Promise<RepeatOffenders> {
  if (!Number.isInteger(first) || first < 1 || first > MAX_RANKED)
    throw badInput(`"first" must be between 1 and ${MAX_RANKED}, got ${first}.`, 'first');
  // A database whose rollups were never computed (none is after its migrations) computes them once, now.
  if (!(await rollupAsOf(ctx, 'network_offence'))) await refreshAnalyticsRollups(ctx.dataSource);

  // Without a filter, from the rollups of your scope; with one, live over the filter and your scope (the
  // networks' components still from the seller_network rollup).
  const unfiltered = Object.values(filter).every((value) => value === null);
  const { sellerRows, networkRows } = unfiltered
    ? await rankedFromRollups(ctx, first, order)
    : {
        sellerRows: await liveOffenders(new Statement(ctx, filter), first, order),
        networkRows: await liveNetworks(new Statement(ctx, filter), first, order),
      };
  const sellersAsOf = unfiltered
    ? await rollupAsOf(ctx, ctx.scope.kind === 'ALL' ? 'seller_offence' : 'scoped_seller_offence')
    : null;
  const networksAsOf = (await rollupAsOf(ctx, unfiltered ? 'network_offence' : 'seller_network'))!;

  const offenders = await Promise.all(
    sellerRows.map(async (row) => {
      const [seller] = await loadSellers(ctx, [row.id]);
      return (
        seller &&
        Object.assign(new OffendingSeller(), {
          seller,
          strikes: Number(row.strikes),
          leads: Number(row.leads),
          takedowns: Number(row.takedowns),
        })
      );
    }),
  );
  const networks = await Promise.all(
    networkRows.map(async (row) => {
      const networkSellers = await loadSellers(ctx, row.members);
      return (
        networkSellers.length > 0 &&
        Object.assign(new OffendingNetwork(), {
          representative: networkSellers[0],
          sellerCount: Number(row.size),
          sellers: networkSellers,
          strikes: Number(row.strikes),
          leads: Number(row.leads),
          takedowns: Number(row.takedowns),
        })
      );
    }),
  );
  return {
    sellers: offenders.filter((o): o is OffendingSeller => Boolean(o)),
    networks: networks.filter((o): o is OffendingNetwork => Boolean(o)),
    sellersAsOf,
    networksAsOf,
  };
}

// ---------------------------------------------------------------------------------------------------
// One seller's network.

/**
 * The sellers linked to one seller through shared identifiers, breadth first up to `maxDepth` links and
 * NETWORK_MAX_SELLERS sellers (the nearest). The traversal runs over the whole identifier graph (in
 * seller_network_reach); what is answered is kept to the caller's scope: the sellers it may see, the
 * links between them, and identifier kinds (internal roles) and hashes (administrators, investigators).
 */
export async function sellerNetwork(
  ctx: RequestContext,
  sellerGlobalId: string,
  maxDepth: number,
): Promise<SellerNetwork | null> {
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > NETWORK_MAX_DEPTH) {
    throw badInput(`"maxDepth" must be between 1 and ${NETWORK_MAX_DEPTH}, got ${maxDepth}.`, 'maxDepth');
  }
  const start = await loadById(ctx, Seller, decodeIdOf('Seller', sellerGlobalId, 'sellerId'));
  if (!start) return null;

  const s = new Statement(ctx, NO_FILTER);
  const reached = await s.rows<{ seller_id: string; depth: number; reached: string; rows_read: number }>(`
    WITH reach AS (SELECT * FROM seller_network_reach(${s.bind(start.rowId)}, ${s.bind(maxDepth)}, ${s.bind(NETWORK_MAX_TRAVERSAL_ROWS)})),
         nearest AS (SELECT seller_id, depth FROM reach ORDER BY depth, seller_id LIMIT ${s.bind(NETWORK_MAX_SELLERS + 1)})
    SELECT n.seller_id::text AS seller_id, n.depth, (SELECT count(*) FROM reach) AS reached, (SELECT max(rows_read) FROM reach) AS rows_read
    FROM nearest n ORDER BY n.depth, n.seller_id`);
  const truncated =
    reached.length > NETWORK_MAX_SELLERS || Number(reached[0]?.rows_read ?? 0) >= NETWORK_MAX_TRAVERSAL_ROWS;
  // The sellers the caller may see, read by key through its scope. (A visibility test in the statement above
  // was planned as the set of every seller an agency may see, 3,500 through the seller policy: 0.25 s.)
  const shown = reached.slice(0, NETWORK_MAX_SELLERS);
  const sellers = new Map(
    (
      await loadSellers(
        ctx,
        shown.map((row) => row.seller_id),
      )
    ).map((seller) => [seller.rowId, seller]),
  );
  const members = shown
    .filter((row) => sellers.has(row.seller_id))
    .map((row) => ({ seller: sellers.get(row.seller_id)!, depth: row.depth }));

  const internal = isInternal(ctx.principal.role);
  const showHashes = ctx.scope.kind === 'ALL' && !ctx.scope.maskSensitive;
  const linkRows: { seller_a: string; seller_b: string; kind: string; value_hash: string }[] = await ctx.db.query(
    internal
      ? `SELECT seller_a::text, seller_b::text, kind, value_hash FROM seller_network_links($1::bigint[]) ORDER BY seller_a, seller_b, kind LIMIT $2`
      : // Partners and agencies learn that two of their sellers are linked, not by what.
        `SELECT DISTINCT seller_a::text, seller_b::text, NULL AS kind, NULL AS value_hash FROM seller_network_links($1::bigint[]) ORDER BY 1, 2 LIMIT $2`,
    [[...sellers.keys()], NETWORK_MAX_LINKS],
  );
  const links = linkRows.map((row) =>
    Object.assign(new NetworkLink(), {
      from: sellers.get(row.seller_a)!,
      to: sellers.get(row.seller_b)!,
      kind: internal ? (row.kind as IdentifierKind) : null,
      valueHash: showHashes ? row.value_hash : null,
    }),
  );

  return {
    seller: start,
    maxDepth,
    members,
    links,
    truncated,
    totals: await networkTotals(ctx, [...sellers.keys()]),
  };
}

/** Leads, takedowns and sent referrals of a set of sellers, within the caller's scope: one statement. */
async function networkTotals(ctx: RequestContext, sellerIds: string[]) {
  const s = new Statement(ctx, NO_FILTER);
  const ids = s.bind(sellerIds.length ? sellerIds : ['0']);
  const leads = s
    .scoped(Lead, 'tl')
    .innerJoin('lead_seller', 'tl_ls', 'tl_ls.lead_id = tl.id')
    .select('tl.id', 'id')
    .addSelect('tl.investigation_id', 'investigation_id')
    .andWhere(`tl_ls.seller_id IN (${ids})`);
  const takedowns = s
    .scoped(Listing, 'tx')
    .select('count(*)', 'n')
    .andWhere(`tx.seller_id IN (${ids}) AND tx.taken_down_at IS NOT NULL`);
  const referrals = s
    .scoped(Referral, 'tr')
    .select('count(*)', 'n')
    .andWhere(`tr.sent_at IS NOT NULL AND tr.investigation_id IN (SELECT investigation_id FROM network_leads)`);
  const [row] = await s.rows<{ leads: string; takedowns: string; referrals: string }>(`
    WITH network_leads AS ${s.derived(leads)}
    SELECT (SELECT count(DISTINCT id) FROM network_leads) AS leads, ${s.derived(takedowns)} AS takedowns, ${s.derived(referrals)} AS referrals`);
  return {
    sellers: sellerIds.length,
    leads: Number(row.leads),
    takedowns: Number(row.takedowns),
    referrals: Number(row.referrals),
  };
}
