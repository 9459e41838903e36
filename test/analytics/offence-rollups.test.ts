import { dataOf } from '../support/server';
import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { insertHistory } from './fixture';
import { useTestServer } from '../support/harness';

// The unfiltered repeat-offender rankings of every caller come from rollups keyed by scope, refreshed by the
// servers' schedule (refresh_analytics_rollups): each ranking is checked here against the same figure counted
// independently from the base tables through the owner's connection, before and after writes through the API.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    await insertHistory(db.dataSource, world);
    await refreshAnalyticsRollups(db.dataSource);
  },
});

const OFFENDERS = (
  filter = '',
) => `{ analytics${filter} { repeatOffenders(first: 100, orderBy: STRIKES) { sellersAsOf networksAsOf
  sellers { seller { displayName } strikes leads takedowns } networks { representative { displayName } sellerCount sellers { displayName } strikes leads takedowns } } } }`;
const ALL_TIME = '(filter: { from: "1970-01-01T00:00:00Z" })';
type Row = [string, number, number, number];

async function ranking(token: string, filter = '') {
  const offenders = dataOf(await server.gql(token, OFFENDERS(filter))).analytics.repeatOffenders;
  return {
    ...offenders,
    rows: offenders.sellers.map((o: any): Row => [o.seller.displayName, o.strikes, o.leads, o.takedowns]),
  };
}

/** A scope's offences counted from the base tables (the rules of visibility.ts, written out), ranked by strikes. */
async function expected(scope: { brand?: string; agency?: string }): Promise<Row[]> {
  const leads = scope.brand
    ? 'SELECT lead_id FROM lead_brand WHERE brand_id = $1'
    : scope.agency
      ? `SELECT l.id FROM lead l JOIN referral r ON r.investigation_id = l.investigation_id WHERE r.agency_id = $1 AND r.status <> 'DRAFT'`
      : 'SELECT id FROM lead WHERE $1::bigint IS NULL';
  const listings = scope.brand
    ? 'SELECT id FROM listing WHERE brand_id = $1'
    : scope.agency
      ? `SELECT listing_id FROM lead_listing WHERE lead_id IN (${leads})`
      : 'SELECT id FROM listing WHERE $1::bigint IS NULL';
  // An agency sees the sellers on its leads only; a brand every seller of its leads and listings.
  const visible = scope.agency ? `v.id IN (SELECT seller_id FROM lead_seller WHERE lead_id IN (${leads}))` : 'TRUE';
  const rows: { name: string; strikes: number; leads: string; takedowns: string }[] = await db.dataSource.query(
    `
    WITH l AS (SELECT seller_id, count(*) AS n FROM lead_seller WHERE lead_id IN (${leads}) GROUP BY seller_id),
         t AS (SELECT seller_id, count(*) AS n FROM listing WHERE taken_down_at IS NOT NULL AND id IN (${listings}) GROUP BY seller_id)
    SELECT v.display_name AS name, v.strike_count AS strikes, coalesce(l.n, 0) AS leads, coalesce(t.n, 0) AS takedowns
    FROM seller v LEFT JOIN l ON l.seller_id = v.id LEFT JOIN t ON t.seller_id = v.id
    WHERE (l.n IS NOT NULL OR t.n IS NOT NULL) AND ${visible}
    ORDER BY 2 DESC, 3 DESC, 4 DESC, v.id`,
    [scope.brand ?? scope.agency ?? null],
  );
  return rows.map((row) => [row.name, row.strikes, Number(row.leads), Number(row.takedowns)]);
}

const callers = () => [
  { token: world.keys.admin, scope: {} },
  { token: world.keys.brandA, scope: { brand: world.ids.brandA } },
  { token: world.keys.brandB, scope: { brand: world.ids.brandB } },
  { token: world.keys.agencyX, scope: { agency: world.ids.agencyX } },
  { token: world.keys.agencyY, scope: { agency: world.ids.agencyY } },
];

async function expectRankingsMatchTheTables() {
  for (const { token, scope } of callers()) {
    const rollup = await ranking(token);
    expect(rollup.sellersAsOf).not.toBeNull();
    expect(rollup.rows).toEqual(await expected(scope));
    // The live ranking (a filter that keeps every case) agrees with the rollup, networks included.
    const live = await ranking(token, ALL_TIME);
    expect(live.sellersAsOf).toBeNull();
    expect(rollup.rows).toEqual(live.rows);
    expect(rollup.networks).toEqual(live.networks);
  }
}

describe('repeat-offender rollups', () => {
  it("rank each caller's offenders as the base tables count them, within its scope", async () => {
    await expectRankingsMatchTheTables();
    // Brand A's rows and brand B's differ: each sees its own (seller B: 1 lead for A, 3 leads and a takedown for B).
    expect((await ranking(world.keys.brandA)).rows).toContainEqual(['Seller of Beta', 1, 1, 0]);
    expect((await ranking(world.keys.brandB)).rows).toContainEqual(['Seller of Beta', 1, 3, 1]);
    // The rollup tables themselves keep a tenant to its rows (row-level security), whatever the API asks.
    const [rows] = await db.dataSource.transaction(async (m) => {
      await m.query(`SELECT set_config('eca.scope', 'BRAND', true), set_config('eca.brand_id', $1, true)`, [
        world.ids.brandA,
      ]);
      await m.query('SET LOCAL ROLE eca_app');
      return m.query(
        `SELECT count(*) FILTER (WHERE scope = 'BRAND' AND scope_id = $1) AS own, count(*) AS rows FROM scoped_seller_offence`,
        [world.ids.brandA],
      );
    });
    expect(Number(rows.own)).toBeGreaterThan(0);
    expect(Number(rows.rows)).toBe(Number(rows.own));
  });

  it('follow writes through the API at the next refresh, and say how fresh they are', async () => {
    const before = await ranking(world.keys.brandA);
    const beforeB = await ranking(world.keys.brandB);
    const beforeY = await ranking(world.keys.agencyY);
    const wrote = Date.now();
    // Brand A reports seller AB again; an investigator takes down seller B's listing of brand B... and brand A's bag.
    const reported = dataOf(
      await server.gql(
        world.keys.brandA,
        `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id } userErrors { code } } }`,
        { input: { description: 'the shoe again', sellerIds: [world.gid.sellerAB] } },
      ),
    ).reportLead;
    expect(reported.userErrors).toEqual([]);
    const takenDown = dataOf(
      await server.gql(
        world.keys.investigator,
        `mutation($input: TakeDownListingsInput!) { takeDownListings(input: $input) { userErrors { code } } }`,
        { input: { listingIds: [world.gid.listingA1], reason: 'counterfeit' } },
      ),
    ).takeDownListings;
    expect(takenDown.userErrors).toEqual([]);

    // Until the next refresh the rankings are those of their asOf, which is older than the writes.
    const stale = await ranking(world.keys.brandA);
    expect(stale.rows).toEqual(before.rows);
    expect(new Date(stale.sellersAsOf).getTime()).toBeLessThan(wrote);

    await refreshAnalyticsRollups(db.dataSource); // what the servers' schedule runs
    const after = await ranking(world.keys.brandA);
    expect(new Date(after.sellersAsOf).getTime()).toBeGreaterThanOrEqual(wrote - 1000);
    const counts = (rows: Row[], name: string) => rows.find((row) => row[0] === name)?.slice(2);
    expect(counts(after.rows, 'Seller of both')).toEqual([2, 0]); // AB: one more lead (was 1)
    expect(counts(after.rows, 'Seller of Alpha')).toEqual([3, 1]); // A: its bag taken down (was 0); a takedown also recomputes its strikes
    expect(after.rows).not.toEqual(before.rows);
    // Brand B's and agency Y's counts did not move: neither sees brand A's lead or listing (the strikes, a
    // seller's own figure, changed with the takedown for every caller).
    const offences = (rows: Row[]) => rows.map(([name, , leads, takedowns]) => [name, leads, takedowns]).sort();
    expect(offences((await ranking(world.keys.brandB)).rows)).toEqual(offences(beforeB.rows));
    expect(offences((await ranking(world.keys.agencyY)).rows)).toEqual(offences(beforeY.rows));
    await expectRankingsMatchTheTables();
  });

  it('skip a refresh while the rollups are younger than the maximum age', async () => {
    const [{ refreshed_at: first }] = await db.dataSource.query(
      `SELECT refreshed_at FROM analytics_rollup WHERE name = 'network_offence'`,
    );
    await refreshAnalyticsRollups(db.dataSource, 3_600_000);
    const [{ refreshed_at: second }] = await db.dataSource.query(
      `SELECT refreshed_at FROM analytics_rollup WHERE name = 'network_offence'`,
    );
    expect(second).toEqual(first);
    await refreshAnalyticsRollups(db.dataSource);
    const [{ refreshed_at: third }] = await db.dataSource.query(
      `SELECT refreshed_at FROM analytics_rollup WHERE name = 'network_offence'`,
    );
    expect(third.getTime()).toBeGreaterThan(first.getTime());
  });
});
