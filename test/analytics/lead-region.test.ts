import { dataOf } from '../support/server';
import { insertHistory } from './fixture';
import { useTestServer } from '../support/harness';

// The region breakdown joins the leads a caller may see to lead_region, kept by triggers in the writes'
// transactions (migration 1764200100000). Checked here against the base tables through the owner's connection,
// after writes through the API, for an administrator, a brand and an agency.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    await insertHistory(db.dataSource, world);
  },
});

const REGIONS =
  '{ analytics { regionBreakdown { region funnel { leads triaged investigated referred } outcomes { raids arrests } } } }';

/** Per region, the caller's leads with a seller there (and how many of them were investigated), from the base tables. */
async function expected(scope: { brand?: string; agency?: string }) {
  const leads = scope.brand
    ? 'SELECT lead_id FROM lead_brand WHERE brand_id = $1'
    : scope.agency
      ? `SELECT l.id FROM lead l JOIN referral r ON r.investigation_id = l.investigation_id WHERE r.agency_id = $1 AND r.status <> 'DRAFT'`
      : 'SELECT id FROM lead WHERE $1::bigint IS NULL';
  const rows: { region: string; leads: string; investigated: string }[] = await db.dataSource.query(
    `
    SELECT v.region, count(DISTINCT l.id) AS leads, count(DISTINCT l.id) FILTER (WHERE l.investigation_id IS NOT NULL) AS investigated
    FROM lead l JOIN lead_seller ls ON ls.lead_id = l.id JOIN seller v ON v.id = ls.seller_id
    WHERE l.id IN (${leads}) GROUP BY v.region ORDER BY v.region`,
    [scope.brand ?? scope.agency ?? null],
  );
  return rows.map((row) => ({ region: row.region, leads: Number(row.leads), investigated: Number(row.investigated) }));
}

async function breakdown(token: string) {
  const rows = dataOf(await server.gql(token, REGIONS)).analytics.regionBreakdown;
  return rows.map((row: any) => ({
    region: row.region,
    leads: row.funnel.leads,
    investigated: row.funnel.investigated,
  }));
}

/** lead_region as its definition computes it from lead_seller and seller. */
async function expectRollupMatchesTheTables() {
  const kept = await db.dataSource.query('SELECT lead_id::text, region, sellers FROM lead_region ORDER BY 1, 2');
  const computed = await db.dataSource.query(`SELECT ls.lead_id::text, v.region, count(*)::int AS sellers
    FROM lead_seller ls JOIN seller v ON v.id = ls.seller_id GROUP BY 1, 2 ORDER BY 1, 2`);
  expect(kept).toEqual(computed);
}

async function expectBreakdownsMatchTheTables() {
  // An internal caller's funnel per region is region_funnel's, refreshed on the servers' schedule: refreshed here.
  await db.dataSource.query('SELECT refresh_analytics_rollups()');
  expect(await breakdown(world.keys.admin)).toEqual(await expected({}));
  expect(await breakdown(world.keys.brandA)).toEqual(await expected({ brand: world.ids.brandA }));
  expect(await breakdown(world.keys.brandB)).toEqual(await expected({ brand: world.ids.brandB }));
  expect(await breakdown(world.keys.agencyX)).toEqual(await expected({ agency: world.ids.agencyX }));
  expect(await breakdown(world.keys.agencyY)).toEqual(await expected({ agency: world.ids.agencyY }));
}

describe('lead_region', () => {
  it('gives each caller the leads of its scope per region of their sellers', async () => {
    await expectRollupMatchesTheTables();
    await expectBreakdownsMatchTheTables();
  });

  it('follows leads reported and sellers created through the API, and a seller moving region, in the same transaction', async () => {
    const created = dataOf(
      await server.gql(
        world.keys.investigator,
        `mutation($input: CreateSellerInput!) { createSeller(input: $input) { seller { id } userErrors { code } } }`,
        { input: { platform: 'TAOBAO', externalId: 'new-shop', displayName: 'New shop', region: 'CN-SH' } },
      ),
    ).createSeller;
    expect(created.userErrors).toEqual([]);
    const before = await breakdown(world.keys.brandA);
    // An investigator reports it for brand A (a brand partner may name only the sellers it already sees).
    const reported = dataOf(
      await server.gql(
        world.keys.investigator,
        `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id } userErrors { code } } }`,
        {
          input: {
            description: 'two shops',
            brandIds: [world.gid.brandA],
            sellerIds: [created.seller.id, world.gid.sellerB],
          },
        },
      ),
    ).reportLead;
    expect(reported.userErrors).toEqual([]);
    const after = await breakdown(world.keys.brandA);
    const leadsIn = (rows: { region: string; leads: number }[], region: string) =>
      rows.find((row) => row.region === region)?.leads ?? 0;
    expect(leadsIn(after, 'CN-SH')).toBe(1);
    expect(leadsIn(after, 'CN-GD')).toBe(leadsIn(before, 'CN-GD') + 1);
    // Brand B does not see brand A's new lead, nor the new shop's region.
    expect((await breakdown(world.keys.brandB)).map((row: { region: string }) => row.region)).not.toContain('CN-SH');
    await expectRollupMatchesTheTables();
    await expectBreakdownsMatchTheTables();

    // No mutation moves a seller: the owner does, and the trigger moves its leads with it.
    await db.dataSource.query(`UPDATE seller SET region = 'CN-ZJ' WHERE id = $1`, [world.ids.sellerB]);
    await expectRollupMatchesTheTables();
    await expectBreakdownsMatchTheTables();
    await db.dataSource.query(`UPDATE seller SET region = 'CN-GD' WHERE id = $1`, [world.ids.sellerB]);
  });

  it('is rebuilt from the base tables by rebuild_analytics_rollups (for data loaded around the triggers)', async () => {
    await db.dataSource.query('ALTER TABLE lead_seller DISABLE TRIGGER lead_region_delete');
    const [{ lead_id: leadId, seller_id: sellerId }] = await db.dataSource.query(
      'SELECT lead_id, seller_id FROM lead_seller ORDER BY lead_id DESC LIMIT 1',
    );
    await db.dataSource.query('DELETE FROM lead_seller WHERE lead_id = $1 AND seller_id = $2', [leadId, sellerId]);
    await db.dataSource.query('ALTER TABLE lead_seller ENABLE TRIGGER lead_region_delete');
    await db.dataSource.query('SELECT rebuild_analytics_rollups()');
    await expectRollupMatchesTheTables();
    await expectBreakdownsMatchTheTables();
  });

  it('gives internal callers the funnel from region_funnel as counted live, and says when it was refreshed', async () => {
    const FULL = `query($filter: AnalyticsFilter) { analytics(filter: $filter) { regionBreakdown { region funnelAsOf
      funnel { leads triaged investigated referred actioned convicted stages { stage count conversionFromPrevious } }
      outcomes { raids arrests } } } }`;
    const ask = async (token: string, filter: Record<string, unknown> = {}) =>
      dataOf(await server.gql(token, FULL, { filter })).analytics.regionBreakdown as any[];
    // A period from long ago names every lead, and is counted live.
    const live = (token: string) => ask(token, { from: '2000-01-01T00:00:00Z' });
    const withoutAsOf = (rows: any[]) => rows.map(({ funnelAsOf, ...row }) => row);
    const leadsIn = (rows: any[], region: string) => rows.find((row) => row.region === region)?.funnel.leads ?? 0;

    await db.dataSource.query('SELECT refresh_analytics_rollups()');
    const [{ refreshed }] = await db.dataSource.query(
      `SELECT refreshed_at AS refreshed FROM analytics_rollup WHERE name = 'region_funnel'`,
    );
    const fromRollup = await ask(world.keys.admin);
    expect(fromRollup.length).toBeGreaterThan(1);
    expect(fromRollup.map((row) => row.funnelAsOf)).toEqual(fromRollup.map(() => refreshed.toISOString()));
    expect(fromRollup.some((row) => row.funnel.referred > 0 && row.funnel.actioned > 0)).toBe(true);
    const counted = await live(world.keys.admin);
    expect(counted.every((row) => row.funnelAsOf === null)).toBe(true);
    expect(withoutAsOf(fromRollup)).toEqual(withoutAsOf(counted));
    expect(await ask(world.keys.analyst)).toEqual(fromRollup);
    const [gd] = await ask(world.keys.admin, { regions: ['CN-GD'] });
    expect(gd).toEqual(fromRollup.find((row) => row.region === 'CN-GD'));
    // Partners count theirs live.
    expect((await ask(world.keys.brandA)).every((row) => row.funnelAsOf === null)).toBe(true);

    // A lead reported now is in the live count at once, in the rollup's after its next refresh.
    const reported = dataOf(
      await server.gql(
        world.keys.investigator,
        `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id } userErrors { code } } }`,
        {
          input: {
            description: 'counted after the refresh',
            brandIds: [world.gid.brandB],
            sellerIds: [world.gid.sellerB],
          },
        },
      ),
    ).reportLead;
    expect(reported.userErrors).toEqual([]);
    expect(leadsIn(await live(world.keys.admin), 'CN-GD')).toBe(leadsIn(counted, 'CN-GD') + 1);
    expect(await ask(world.keys.admin)).toEqual(fromRollup);
    await db.dataSource.query('SELECT refresh_analytics_rollups()');
    const refreshedAgain = await ask(world.keys.admin);
    expect(leadsIn(refreshedAgain, 'CN-GD')).toBe(leadsIn(fromRollup, 'CN-GD') + 1);
    expect(new Date(refreshedAgain[0].funnelAsOf).getTime()).toBeGreaterThan(refreshed.getTime());
    expect(withoutAsOf(refreshedAgain)).toEqual(withoutAsOf(await live(world.keys.admin)));
  });
});
