import { dataOf } from '../support/server';
import { buildCase, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

// Reinstatements, repeated takedowns and seller sanctions come from the audit trail: made here through the API.

const { db, world, server } = useTestServer();

beforeAll(async () => {
  // Seeded history (no audit event): listing B2 taken down long ago.
  await db.dataSource.query(
    `UPDATE listing SET status = 'TAKEN_DOWN', taken_down_at = '2026-02-03T00:00:00Z' WHERE id = $1`,
    [world.ids.listingB2],
  );
  await buildCase(server, world, { referTo: world.gid.agencyX });
  const inv = world.keys.investigator;
  await mutate(
    server,
    inv,
    'takeDownListings',
    { listingIds: [world.gid.listingA1], reason: 'counterfeit' },
    'listings { id }',
  );
  await mutate(
    server,
    inv,
    'reinstateListing',
    { listingId: world.gid.listingA1, reason: 'counter-notice' },
    'listing { id }',
  );
  await mutate(
    server,
    inv,
    'takeDownListings',
    { listingIds: [world.gid.listingA1], reason: 'counterfeit again' },
    'listings { id }',
  );
  await mutate(
    server,
    inv,
    'updateSellerStatus',
    { sellerId: world.gid.sellerA, status: 'RESTRICTED', reason: 'repeat' },
    'seller { id }',
  );
  await mutate(
    server,
    inv,
    'updateSellerStatus',
    { sellerId: world.gid.sellerB, status: 'RESTRICTED', reason: 'repeat' },
    'seller { id }',
  );
  await mutate(
    server,
    inv,
    'updateSellerStatus',
    { sellerId: world.gid.sellerB, status: 'SUSPENDED', reason: 'repeat' },
    'seller { id }',
  );
  await mutate(
    server,
    inv,
    'updateSellerStatus',
    { sellerId: world.gid.sellerAB, status: 'CLOSED', reason: 'fraud' },
    'seller { id }',
  );
});

const SERIES = `query($filter: AnalyticsFilter) { analytics(filter: $filter) { takedownSeries(granularity: DAY) {
  buckets { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } } } }`;

/**
 * The series of the last three days, added up over its buckets. It ends tomorrow: an internal caller's counts of
 * today come from the rollups (listing_takedown_day, seller_sanction_day), which hold every whole day before the
 * period's end; `to` given, they end there (ending today, today's come from the listings and the audit log).
 */
async function totals(token: string, filter: Record<string, unknown> = {}, to = new Date(Date.now() + 86_400_000)) {
  const from = new Date(Date.now() - 2 * 86_400_000);
  const { buckets } = dataOf(await server.gql(token, SERIES, { filter: { from, to, ...filter } })).analytics
    .takedownSeries;
  expect(buckets).toHaveLength(to.getTime() > Date.now() + 43_200_000 ? 4 : 3);
  const sum = (key: string) => buckets.reduce((total: number, bucket: any) => total + bucket[key], 0);
  return [
    sum('listingsTakenDown'),
    sum('listingsReinstated'),
    sum('sellersRestricted'),
    sum('sellersSuspended'),
    sum('sellersClosed'),
  ];
}

describe('the takedown series', () => {
  it('counts every takedown (the last one and earlier ones), reinstatements and seller sanctions', async () => {
    // A1 taken down twice and reinstated once; sellers A and B restricted, B suspended, AB closed.
    expect(await totals(world.keys.admin)).toEqual([2, 1, 2, 1, 1]);
    expect(await totals(world.keys.analyst)).toEqual([2, 1, 2, 1, 1]);
  });

  it("counts only the listings and sellers of the caller's cases", async () => {
    // Brand A: listing A1; sellers A (A1) and AB (A2). Brand B: sellers B (B1) and AB (B2).
    expect(await totals(world.keys.brandA)).toEqual([2, 1, 1, 0, 1]);
    expect(await totals(world.keys.brandB)).toEqual([0, 0, 1, 1, 1]);
    // Agency X: the case referred to it names seller A (no listing).
    expect(await totals(world.keys.agencyX)).toEqual([0, 0, 1, 0, 0]);
    expect(await totals(world.keys.agencyY)).toEqual([0, 0, 0, 0, 0]);
    expect(await totals(world.keys.brandA, { brandIds: [world.gid.brandB] })).toEqual([0, 0, 0, 0, 0]);
  });

  it("reads a partner's sanctions from seller_sanction, kept by the writes (owner connection), in the seller rule's scope", async () => {
    const [sanctions] = await db.dataSource.query(
      `SELECT count(*)::int AS n, bool_and(s.at = e.at AND s.seller_id = e.entity_id AND s.status = e.after ->> 'status') AS as_logged
         FROM seller_sanction s JOIN audit_event e ON e.seq = s.audit_seq`,
    );
    expect(sanctions).toEqual({ n: 4, as_logged: true });
    // A filter on sellers takes the path that reads each sanction's seller: the same counts.
    const everyPlatform = { platforms: ['TAOBAO', 'TMALL'] };
    for (const key of [world.keys.brandA, world.keys.brandB, world.keys.agencyX, world.keys.agencyY])
      expect(await totals(key)).toEqual(await totals(key, everyPlatform));
    // A seller comes into a brand's scope with its first listing of the brand, and its sanctions with it.
    const [{ id }] = await db.dataSource.query(
      `INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status)
       VALUES ($1, $2, 'Beta bag', 'https://shop.example/b9', 100, 'CNY', 'LIVE') RETURNING id`,
      [world.ids.sellerA, world.ids.brandB],
    );
    try {
      expect(await totals(world.keys.brandB)).toEqual([0, 0, 2, 1, 1]);
    } finally {
      await db.dataSource.query(`DELETE FROM listing WHERE id = $1`, [id]);
    }
    expect(await totals(world.keys.brandB)).toEqual([0, 0, 1, 1, 1]);
  });

  it('is filtered by brand, region and platform', async () => {
    expect(await totals(world.keys.admin, { brandIds: [world.gid.brandA] })).toEqual([2, 1, 1, 0, 1]);
    expect(await totals(world.keys.admin, { regions: ['CN-GD'] })).toEqual([0, 0, 1, 1, 0]);
    expect(await totals(world.keys.admin, { platforms: ['TAOBAO'] })).toEqual([2, 1, 1, 0, 1]);
    expect(await totals(world.keys.admin, { agencyIds: [world.gid.agencyX] })).toEqual([0, 0, 1, 0, 0]);
  });

  it('keeps seeded takedowns, which have no audit event, by their taken_down_at', async () => {
    const { buckets } = dataOf(
      await server.gql(
        world.keys.brandB,
        `{ analytics(filter: { from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z" }) {
      takedownSeries(granularity: MONTH) { buckets { start listingsTakenDown } } } }`,
      ),
    ).analytics.takedownSeries;
    expect(buckets).toEqual([
      { start: '2026-01-01T00:00:00.000Z', listingsTakenDown: 0 },
      { start: '2026-02-01T00:00:00.000Z', listingsTakenDown: 1 },
    ]);
  });

  it("reads an internal caller's whole days from the rollups, kept exact by the writes (owner connection), and today's live", async () => {
    const kept = () =>
      db.dataSource.query(
        `SELECT region, status, sanctions FROM seller_sanction_day WHERE day = (now() AT TIME ZONE 'UTC')::date ORDER BY 1, 2`,
      );
    expect(await kept()).toEqual([
      { region: 'CN-FJ', status: 'CLOSED', sanctions: 1 },
      { region: 'CN-GD', status: 'RESTRICTED', sanctions: 1 },
      { region: 'CN-GD', status: 'SUSPENDED', sanctions: 1 },
      { region: 'CN-ZJ', status: 'RESTRICTED', sanctions: 1 },
    ]);
    // Today's from the live path (the period ends now) and from the rollups (it ends tomorrow) agree.
    const endingNow = new Date(Date.now() + 1000);
    expect(await totals(world.keys.admin, {}, endingNow)).toEqual([2, 1, 2, 1, 1]);
    expect(await totals(world.keys.admin, { regions: ['CN-GD'] }, endingNow)).toEqual([0, 0, 1, 1, 0]);

    // A seller whose region changes takes its sanctions along (as its takedowns).
    await db.dataSource.query(`UPDATE seller SET region = 'CN-ZJ' WHERE id = $1`, [world.ids.sellerB]);
    try {
      expect(await kept()).toEqual([
        { region: 'CN-FJ', status: 'CLOSED', sanctions: 1 },
        { region: 'CN-ZJ', status: 'RESTRICTED', sanctions: 2 },
        { region: 'CN-ZJ', status: 'SUSPENDED', sanctions: 1 },
      ]);
      for (const to of [undefined, endingNow]) {
        expect(await totals(world.keys.admin, { regions: ['CN-GD'] }, to)).toEqual([0, 0, 0, 0, 0]);
        expect(await totals(world.keys.admin, { regions: ['CN-ZJ'] }, to)).toEqual([2, 1, 2, 1, 0]);
      }
    } finally {
      await db.dataSource.query(`UPDATE seller SET region = 'CN-GD' WHERE id = $1`, [world.ids.sellerB]);
    }
    const back = await kept();
    expect(back).toHaveLength(4);
    // Rebuilt from the audit log, it holds the same.
    await db.dataSource.query('SELECT rebuild_analytics_rollups()');
    expect(await kept()).toEqual(back);
  });
});
