import { dataOf } from '../support/server';
import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { insertHistory } from './fixture';
import { useTestServer } from '../support/harness';

// Every expected number below is counted by hand from the table in fixture.ts.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    await insertHistory(db.dataSource, world);
    await refreshAnalyticsRollups(db.dataSource);
  },
});

const FUNNEL =
  'enforcementFunnel { leads triaged investigated referred actioned convicted stages { stage count conversionFromPrevious } }';
const MONEY = '{ amount currency }';
const OUTCOMES = `outcomeTotals { raids seizures densDestroyed arrests seizedValue ${MONEY} convictions fines { count amounts ${MONEY} } }`;
const DURATION = '{ count medianDays p90Days }';
const TIMES = `timeToAction { leadToInvestigation ${DURATION} investigationToReferral ${DURATION} referralToAcknowledgement ${DURATION}
  referralToFirstAction ${DURATION} referralToConviction ${DURATION} }`;
const REGIONS = `regionBreakdown { region funnel { leads triaged investigated referred actioned convicted }
  outcomes { raids seizures densDestroyed arrests seizedValue ${MONEY} convictions fines { count amounts ${MONEY} } } }`;

async function analytics(token: string, selection: string, filter: Record<string, unknown> = {}) {
  return dataOf(
    await server.gql(token, `query($filter: AnalyticsFilter) { analytics(filter: $filter) { ${selection} } }`, {
      filter,
    }),
  ).analytics;
}

const funnel = (
  leads: number,
  triaged: number,
  investigated: number,
  referred: number,
  actioned: number,
  convicted: number,
) => ({ leads, triaged, investigated, referred, actioned, convicted });
const noOutcomes = {
  raids: 0,
  seizures: 0,
  densDestroyed: 0,
  arrests: 0,
  seizedValue: [],
  convictions: 0,
  fines: { count: 0, amounts: [] },
};

describe('the enforcement funnel', () => {
  it('counts each stage and the conversion between consecutive stages (internal roles: every case)', async () => {
    const { enforcementFunnel } = await analytics(world.keys.analyst, FUNNEL);
    // Actioned: L1 (raid), L2 (fine), L3 (raid): a FINE is action taken.
    expect(enforcementFunnel).toMatchObject(funnel(7, 4, 3, 3, 3, 1));
    expect(enforcementFunnel.stages).toEqual([
      { stage: 'LEADS', count: 7, conversionFromPrevious: null },
      { stage: 'TRIAGED', count: 4, conversionFromPrevious: 0.5714 },
      { stage: 'INVESTIGATED', count: 3, conversionFromPrevious: 0.75 },
      { stage: 'REFERRED', count: 3, conversionFromPrevious: 1 },
      { stage: 'ACTIONED', count: 3, conversionFromPrevious: 1 },
      { stage: 'CONVICTED', count: 1, conversionFromPrevious: 0.3333 },
    ]);
  });

  it('is filtered by period, brand, region, platform, agency and lead source', async () => {
    const f = async (filter: Record<string, unknown>) =>
      (await analytics(world.keys.admin, FUNNEL, filter)).enforcementFunnel;
    expect(await f({ from: '2026-01-10T00:00:00Z', to: '2026-02-10T00:00:00Z' })).toMatchObject(
      funnel(3, 3, 2, 2, 2, 0),
    );
    expect(await f({ brandIds: [world.gid.brandB] })).toMatchObject(funnel(3, 1, 1, 1, 1, 0));
    expect(await f({ regions: ['CN-ZJ'] })).toMatchObject(funnel(3, 2, 1, 1, 1, 1));
    expect(await f({ platforms: ['TMALL'] })).toMatchObject(funnel(3, 1, 1, 1, 1, 0));
    expect(await f({ agencyIds: [world.gid.agencyX] })).toMatchObject(funnel(2, 2, 2, 2, 2, 1));
    expect(await f({ leadSources: ['BRAND_REPORT'] })).toMatchObject(funnel(5, 2, 2, 2, 2, 1));
    expect(await f({ regions: ['CN-ZJ'], leadSources: ['TIP'] })).toMatchObject(funnel(1, 1, 0, 0, 0, 0));
    expect(await f({ regions: [] })).toMatchObject(funnel(0, 0, 0, 0, 0, 0));
  });

  it("counts only the caller's cases: a brand its brand's leads, an agency its own sent referrals", async () => {
    expect((await analytics(world.keys.brandA, FUNNEL)).enforcementFunnel).toMatchObject(funnel(5, 3, 2, 2, 2, 1));
    expect((await analytics(world.keys.brandB, FUNNEL)).enforcementFunnel).toMatchObject(funnel(3, 1, 1, 1, 1, 0));
    // Agency X: L1 and L3 (L2's referral to X is a draft); agency Y: L2.
    expect((await analytics(world.keys.agencyX, FUNNEL)).enforcementFunnel).toMatchObject(funnel(2, 2, 2, 2, 2, 1));
    expect((await analytics(world.keys.agencyY, FUNNEL)).enforcementFunnel).toMatchObject(funnel(1, 1, 1, 1, 1, 0));
  });

  it('gives zeros to a brand partner filtering on another brand, and to an agency filtering on another agency', async () => {
    expect(
      (await analytics(world.keys.brandA, FUNNEL, { brandIds: [world.gid.brandB] })).enforcementFunnel,
    ).toMatchObject(funnel(0, 0, 0, 0, 0, 0));
    expect(
      (await analytics(world.keys.agencyX, FUNNEL, { agencyIds: [world.gid.agencyY] })).enforcementFunnel,
    ).toMatchObject(funnel(0, 0, 0, 0, 0, 0));
  });
});

describe('outcome totals', () => {
  it('add up raids, dens, arrests, seized value per currency, convictions and fines', async () => {
    expect((await analytics(world.keys.investigator, OUTCOMES)).outcomeTotals).toEqual({
      raids: 2,
      seizures: 1,
      densDestroyed: 3,
      arrests: 8,
      convictions: 2,
      seizedValue: [
        { amount: 4000, currency: 'CNY' },
        { amount: 500, currency: 'USD' },
      ],
      fines: { count: 1, amounts: [{ amount: 2000, currency: 'CNY' }] },
    });
  });

  it('count the outcomes that occurred in the period, of the filtered cases', async () => {
    expect((await analytics(world.keys.admin, OUTCOMES, { from: '2026-02-01T00:00:00Z' })).outcomeTotals).toEqual({
      ...noOutcomes,
      raids: 1,
      densDestroyed: 2,
      arrests: 5,
      seizedValue: [{ amount: 3000, currency: 'CNY' }],
    });
    expect((await analytics(world.keys.admin, OUTCOMES, { agencyIds: [world.gid.agencyY] })).outcomeTotals).toEqual({
      ...noOutcomes,
      fines: { count: 1, amounts: [{ amount: 2000, currency: 'CNY' }] },
    });
    expect(
      (await analytics(world.keys.admin, OUTCOMES, { regions: ['CN-GD'], leadSources: ['BRAND_REPORT'] }))
        .outcomeTotals,
    ).toEqual({
      ...noOutcomes,
      raids: 1,
      densDestroyed: 2,
      arrests: 5,
      seizedValue: [{ amount: 3000, currency: 'CNY' }],
    });
  });

  it('are scoped per role', async () => {
    expect((await analytics(world.keys.brandA, OUTCOMES)).outcomeTotals).toEqual({
      raids: 1,
      seizures: 1,
      densDestroyed: 1,
      arrests: 3,
      convictions: 2,
      seizedValue: [
        { amount: 1000, currency: 'CNY' },
        { amount: 500, currency: 'USD' },
      ],
      fines: { count: 1, amounts: [{ amount: 2000, currency: 'CNY' }] },
    });
    expect((await analytics(world.keys.brandB, OUTCOMES)).outcomeTotals).toEqual({
      ...noOutcomes,
      raids: 1,
      densDestroyed: 2,
      arrests: 5,
      seizedValue: [{ amount: 3000, currency: 'CNY' }],
    });
    expect((await analytics(world.keys.agencyX, OUTCOMES)).outcomeTotals).toEqual({
      ...noOutcomes,
      raids: 2,
      seizures: 1,
      densDestroyed: 3,
      arrests: 8,
      convictions: 2,
      seizedValue: [
        { amount: 4000, currency: 'CNY' },
        { amount: 500, currency: 'USD' },
      ],
    });
    expect((await analytics(world.keys.agencyY, OUTCOMES)).outcomeTotals).toEqual({
      ...noOutcomes,
      fines: { count: 1, amounts: [{ amount: 2000, currency: 'CNY' }] },
    });
    expect((await analytics(world.keys.brandA, OUTCOMES, { brandIds: [world.gid.brandB] })).outcomeTotals).toEqual(
      noOutcomes,
    );
    expect((await analytics(world.keys.agencyY, OUTCOMES, { agencyIds: [world.gid.agencyX] })).outcomeTotals).toEqual(
      noOutcomes,
    );
  });
});

describe('time to action', () => {
  const stats = (count: number, medianDays: number | null, p90Days: number | null) => ({ count, medianDays, p90Days });

  it('gives the median and 90th percentile of each step, in days', async () => {
    expect((await analytics(world.keys.analyst, TIMES)).timeToAction).toEqual({
      leadToInvestigation: stats(3, 4, 8.8),
      investigationToReferral: stats(3, 6, 9.2),
      referralToAcknowledgement: stats(3, 1, 1.8),
      referralToFirstAction: stats(3, 6, 9.2),
      referralToConviction: stats(1, 15, 15),
    });
  });

  it('is scoped and filtered like the funnel', async () => {
    expect((await analytics(world.keys.brandA, TIMES)).timeToAction).toEqual({
      leadToInvestigation: stats(2, 3, 3.8),
      investigationToReferral: stats(2, 4, 5.6),
      referralToAcknowledgement: stats(2, 1.5, 1.9),
      referralToFirstAction: stats(2, 6.5, 9.3),
      referralToConviction: stats(1, 15, 15),
    });
    expect((await analytics(world.keys.agencyY, TIMES)).timeToAction).toEqual({
      leadToInvestigation: stats(1, 4, 4),
      investigationToReferral: stats(1, 6, 6),
      referralToAcknowledgement: stats(1, 2, 2),
      referralToFirstAction: stats(1, 10, 10),
      referralToConviction: stats(0, null, null),
    });
    const none = stats(0, null, null);
    expect((await analytics(world.keys.brandB, TIMES, { brandIds: [world.gid.brandA] })).timeToAction).toEqual({
      leadToInvestigation: none,
      investigationToReferral: none,
      referralToAcknowledgement: none,
      referralToFirstAction: none,
      referralToConviction: none,
    });
    expect((await analytics(world.keys.admin, TIMES, { agencyIds: [world.gid.agencyX] })).timeToAction).toMatchObject({
      leadToInvestigation: stats(2, 6, 9.2),
      investigationToReferral: stats(2, 6, 9.2),
      referralToConviction: stats(1, 15, 15),
    });
  });
});

describe('region breakdown', () => {
  it("gives the funnel and outcomes per region of the leads' sellers", async () => {
    const { regionBreakdown } = await analytics(world.keys.admin, REGIONS);
    expect(regionBreakdown).toEqual([
      {
        region: 'CN-FJ',
        funnel: funnel(1, 1, 1, 1, 1, 0),
        outcomes: { ...noOutcomes, fines: { count: 1, amounts: [{ amount: 2000, currency: 'CNY' }] } },
      },
      {
        region: 'CN-GD',
        funnel: funnel(3, 1, 1, 1, 1, 0),
        outcomes: {
          ...noOutcomes,
          raids: 1,
          densDestroyed: 2,
          arrests: 5,
          seizedValue: [{ amount: 3000, currency: 'CNY' }],
        },
      },
      {
        region: 'CN-ZJ',
        funnel: funnel(3, 2, 1, 1, 1, 1),
        outcomes: {
          raids: 1,
          seizures: 1,
          densDestroyed: 1,
          arrests: 3,
          convictions: 2,
          seizedValue: [
            { amount: 1000, currency: 'CNY' },
            { amount: 500, currency: 'USD' },
          ],
          fines: { count: 0, amounts: [] },
        },
      },
    ]);
  });

  it('is scoped per role', async () => {
    const brandA = (await analytics(world.keys.brandA, REGIONS)).regionBreakdown;
    expect(brandA.map((r: any) => [r.region, r.funnel.leads, r.outcomes.raids])).toEqual([
      ['CN-FJ', 1, 0],
      ['CN-GD', 1, 0],
      ['CN-ZJ', 3, 1],
    ]);
    const agencyX = (await analytics(world.keys.agencyX, REGIONS)).regionBreakdown;
    expect(agencyX.map((r: any) => [r.region, r.funnel.leads, r.outcomes.arrests])).toEqual([
      ['CN-GD', 1, 5],
      ['CN-ZJ', 1, 3],
    ]);
    expect((await analytics(world.keys.brandA, REGIONS, { brandIds: [world.gid.brandB] })).regionBreakdown).toEqual([]);
  });
});

describe('repeat offenders', () => {
  const OFFENDERS = (order: string) => `repeatOffenders(first: 10, orderBy: ${order}) { sellersAsOf networksAsOf
    sellers { seller { displayName } strikes leads takedowns } networks { representative { displayName } sellerCount sellers { displayName } strikes leads takedowns } }`;
  const rows = (offenders: any) =>
    offenders.sellers.map((o: any) => [o.seller.displayName, o.strikes, o.leads, o.takedowns]);

  it('ranks sellers by strikes, leads or takedowns, the others breaking ties', async () => {
    const byStrikes = (await analytics(world.keys.admin, OFFENDERS('STRIKES'))).repeatOffenders;
    expect(rows(byStrikes)).toEqual([
      ['Seller of Alpha', 4, 3, 0],
      ['Seller of Beta', 1, 3, 1],
      ['Seller of both', 0, 1, 0],
    ]);
    expect(rows((await analytics(world.keys.admin, OFFENDERS('LEADS'))).repeatOffenders)).toEqual([
      ['Seller of Alpha', 4, 3, 0],
      ['Seller of Beta', 1, 3, 1],
      ['Seller of both', 0, 1, 0],
    ]);
    expect(rows((await analytics(world.keys.admin, OFFENDERS('TAKEDOWNS'))).repeatOffenders)).toEqual([
      ['Seller of Beta', 1, 3, 1],
      ['Seller of Alpha', 4, 3, 0],
      ['Seller of both', 0, 1, 0],
    ]);
    expect(new Date(byStrikes.networksAsOf).getTime()).toBeLessThanOrEqual(Date.now());
    // Without a filter, internal roles read the seller_offence rollup; with one, the ranking is live: the same here.
    expect(byStrikes.sellersAsOf).not.toBeNull();
    const live = (await analytics(world.keys.admin, OFFENDERS('STRIKES'), { from: '2025-01-01T00:00:00Z' }))
      .repeatOffenders;
    expect(live.sellersAsOf).toBeNull();
    expect(rows(live)).toEqual(rows(byStrikes));
    expect(
      rows(
        (await analytics(world.keys.admin, OFFENDERS('TAKEDOWNS'), { from: '2025-01-01T00:00:00Z' })).repeatOffenders,
      ),
    ).toEqual([
      ['Seller of Beta', 1, 3, 1],
      ['Seller of Alpha', 4, 3, 0],
      ['Seller of both', 0, 1, 0],
    ]);
  });

  it('ranks networks of sellers sharing identifiers, counting each lead once', async () => {
    const { networks } = (await analytics(world.keys.admin, OFFENDERS('STRIKES'))).repeatOffenders;
    // Sellers A and B share a phone: leads L1, L3, L4, L5, L6; B1 taken down.
    expect(networks).toEqual([
      {
        representative: { displayName: 'Seller of Alpha' },
        sellerCount: 2,
        sellers: [{ displayName: 'Seller of Alpha' }, { displayName: 'Seller of Beta' }],
        strikes: 5,
        leads: 5,
        takedowns: 1,
      },
    ]);
  });

  it("counts only the caller's cases", async () => {
    // Brand A: L1, L4, L5 name seller A; L2 seller AB; L5 seller B. B1 is brand B's listing.
    const brandA = (await analytics(world.keys.brandA, OFFENDERS('STRIKES'))).repeatOffenders;
    expect(brandA.sellersAsOf).not.toBeNull(); // without a filter, every caller's ranking is its scope's rollup
    expect(rows(brandA)).toEqual([
      ['Seller of Alpha', 4, 3, 0],
      ['Seller of Beta', 1, 1, 0],
      ['Seller of both', 0, 1, 0],
    ]);
    expect(brandA.networks.map((n: any) => [n.sellerCount, n.leads, n.takedowns])).toEqual([[2, 3, 0]]);
    const brandB = (await analytics(world.keys.brandB, OFFENDERS('LEADS'))).repeatOffenders;
    expect(rows(brandB)).toEqual([
      ['Seller of Beta', 1, 3, 1],
      ['Seller of Alpha', 4, 1, 0],
    ]);
    const agencyY = (await analytics(world.keys.agencyY, OFFENDERS('STRIKES'))).repeatOffenders;
    expect(rows(agencyY)).toEqual([['Seller of both', 0, 1, 0]]);
    expect(agencyY.networks).toEqual([]);
    const filtered = (await analytics(world.keys.brandA, OFFENDERS('STRIKES'), { brandIds: [world.gid.brandB] }))
      .repeatOffenders;
    expect(filtered.sellers).toEqual([]);
    expect(filtered.networks).toEqual([]);
  });

  it('refuses a page size out of range', async () => {
    const response = await server.gql(
      world.keys.admin,
      '{ analytics { repeatOffenders(first: 500) { sellers { strikes } } } }',
    );
    expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the analytics filter', () => {
  it('refuses ids of the wrong type and an empty period', async () => {
    const wrongType = await server.gql(
      world.keys.admin,
      `query($f: AnalyticsFilter) { analytics(filter: $f) { enforcementFunnel { leads } } }`,
      { f: { brandIds: [world.gid.agencyX] } },
    );
    expect(wrongType.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const empty = await server.gql(
      world.keys.admin,
      `query($f: AnalyticsFilter) { analytics(filter: $f) { enforcementFunnel { leads } } }`,
      { f: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } },
    );
    expect(empty.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('accepts an id of a brand that does not exist (zero figures)', async () => {
    const { enforcementFunnel } = await analytics(world.keys.admin, FUNNEL, {
      brandIds: [toGlobalId('Brand', 999999)],
    });
    expect(enforcementFunnel.leads).toBe(0);
  });
});

describe('series', () => {
  const SERIES = (kind: string, granularity: string) =>
    `${kind}(granularity: ${granularity}) { granularity from to buckets { start ${
      kind === 'outcomeSeries'
        ? 'raids seizures arrests densDestroyed convictions fines'
        : 'listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed'
    } } }`;
  const period = { from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };

  it('count outcomes per month, and per week from the Monday of the first week', async () => {
    const { outcomeSeries } = await analytics(world.keys.admin, SERIES('outcomeSeries', 'MONTH'), period);
    expect(outcomeSeries).toEqual({
      granularity: 'MONTH',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      buckets: [
        {
          start: '2026-01-01T00:00:00.000Z',
          raids: 1,
          seizures: 1,
          arrests: 3,
          densDestroyed: 1,
          convictions: 2,
          fines: 1,
        },
        {
          start: '2026-02-01T00:00:00.000Z',
          raids: 1,
          seizures: 0,
          arrests: 5,
          densDestroyed: 2,
          convictions: 0,
          fines: 0,
        },
        {
          start: '2026-03-01T00:00:00.000Z',
          raids: 0,
          seizures: 0,
          arrests: 0,
          densDestroyed: 0,
          convictions: 0,
          fines: 0,
        },
      ],
    });
    const weekly = (
      await analytics(world.keys.agencyY, SERIES('outcomeSeries', 'WEEK'), {
        from: '2026-01-01T00:00:00Z',
        to: '2026-02-01T00:00:00Z',
      })
    ).outcomeSeries;
    expect(weekly.from).toBe('2025-12-29T00:00:00.000Z');
    expect(weekly.buckets.map((b: any) => [b.start.slice(0, 10), b.fines])).toEqual([
      ['2025-12-29', 0],
      ['2026-01-05', 0],
      ['2026-01-12', 0],
      ['2026-01-19', 0],
      ['2026-01-26', 1],
    ]);
  });

  it("count seeded takedowns by taken_down_at, within each caller's listings", async () => {
    const feb = async (token: string) =>
      (await analytics(token, SERIES('takedownSeries', 'MONTH'), period)).takedownSeries.buckets.map(
        (b: any) => b.listingsTakenDown,
      );
    expect(await feb(world.keys.admin)).toEqual([0, 1, 0]);
    expect(await feb(world.keys.brandB)).toEqual([0, 1, 0]);
    expect(await feb(world.keys.agencyX)).toEqual([0, 1, 0]);
    expect(await feb(world.keys.brandA)).toEqual([0, 0, 0]);
    expect(await feb(world.keys.agencyY)).toEqual([0, 0, 0]);
  });

  it('refuses more than 1,000 buckets', async () => {
    const response = await server.gql(
      world.keys.admin,
      `{ analytics(filter: { from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { takedownSeries(granularity: DAY) { from } } }`,
    );
    expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
