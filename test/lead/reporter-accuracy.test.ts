// Reporter accuracy: the share of a brand's reports confirmed versus rejected, over
// time, for the brand and analysts; a brand above the configured accuracy has its reports triaged first.
// What counts as confirmed and rejected is the enforcement policy's (test/policy for its rules).
import { loadFeatureSettings } from '../../src/shared/settings';
import { resolveFilter } from '../../src/modules/analytics/analytics.sql';
import { countsPerBrand } from '../../src/modules/reporter-accuracy/reporter-accuracy.service';
import { Role } from '../../src/shared/auth/role';
import type { Scope } from '../../src/shared/auth/scope';
import { systemContext } from '../../src/shared/context';
import { testConfig } from '../support/server';
import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const previous = { accuracy: process.env.FAST_TRACK_ACCURACY, min: process.env.FAST_TRACK_MIN_DECIDED };

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    // Read when the schema is first built: 75 % over at least 4 decided reports.
    process.env.FAST_TRACK_ACCURACY = '0.75';
    process.env.FAST_TRACK_MIN_DECIDED = '4';
  },
});
afterAll(() => {
  for (const [name, value] of [
    ['FAST_TRACK_ACCURACY', previous.accuracy],
    ['FAST_TRACK_MIN_DECIDED', previous.min],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const report = async (token: string, description: string, extra: Record<string, unknown> = {}) =>
  (await mutate(server, token, 'reportLead', { description, riskScore: 40, ...extra }, 'lead { id fastTrack }'))
    .lead as { id: string; fastTrack: boolean };
const close = (leadId: string, reason: string) =>
  mutate(server, world.keys.investigator, 'closeLead', { leadId, reason }, 'lead { id }');

// `first: 10`, as a client that knows its few brands asks: the default of 100 brands with a series priced at its
// bound (1,000 buckets) costs 100,401, and the dozen queries of this file on one key would spend its budget.
const ACCURACY = `query($from: DateTimeISO) { analytics(filter: { from: $from }) { reporterAccuracy(granularity: MONTH, first: 10) {
  brand { name } fastTrack
  period { leadsReported leadsConfirmed leadsRejected listingsReported listingsConfirmed listingsRejected accuracy }
  allTime { leadsReported leadsConfirmed leadsRejected listingsConfirmed listingsRejected accuracy }
  series { start leadsReported accuracy } } } }`;
const accuracyAs = async (token: string, from?: string) =>
  dataOf(await server.gql(token, ACCURACY, { from: from ?? null })).analytics.reporterAccuracy;

describe('reporter accuracy', () => {
  it("counts each brand's reports confirmed (resolved by takedown) and rejected (not counterfeit, insufficient evidence), per report: listings shown, not counted", async () => {
    // Brand A: 5 reports; 3 confirmed by takedown, 1 rejected, 1 open; one listing reported, taken down.
    const a = [];
    for (let i = 0; i < 5; i += 1)
      a.push(
        await report(world.keys.brandA, `Alpha report ${i}`, i === 0 ? { listingIds: [world.gid.listingA1] } : {}),
      );
    await mutate(
      server,
      world.keys.investigator,
      'takeDownListings',
      { listingIds: [world.gid.listingA1], reason: 'Confirmed counterfeit' },
      'listings { id }',
    );
    for (const lead of a.slice(0, 3)) await close(lead.id, 'RESOLVED_BY_TAKEDOWN');
    await close(a[3].id, 'NOT_COUNTERFEIT');
    // Brand B: 2 reports, both rejected.
    for (const lead of [
      await report(world.keys.brandB, 'Beta report 1'),
      await report(world.keys.brandB, 'Beta report 2'),
    ])
      await close(lead.id, 'INSUFFICIENT_EVIDENCE');

    // Without a period the figures come from the scheduled rollup: none before its refresh.
    expect(await accuracyAs(world.keys.analyst)).toEqual([]);
    await refreshAnalyticsRollups(db.dataSource);
    const all = await accuracyAs(world.keys.analyst);
    expect(all.map((b: any) => b.brand.name)).toEqual(['Alpha', 'Beta']);
    expect(all[0]).toMatchObject({
      fastTrack: true,
      allTime: {
        leadsReported: 5,
        leadsConfirmed: 3,
        leadsRejected: 1,
        listingsConfirmed: 1,
        listingsRejected: 0,
        accuracy: 0.75,
      },
    });
    expect(all[1]).toMatchObject({
      fastTrack: false,
      allTime: { leadsReported: 2, leadsConfirmed: 0, leadsRejected: 2, accuracy: 0 },
    });
    // Over time: this month's bucket holds the reports, the eleven before it none.
    expect(all[0].series).toHaveLength(12);
    expect(all[0].series.at(-1)).toMatchObject({ leadsReported: 5, accuracy: 0.75 });
    expect(all[0].series[0]).toMatchObject({ leadsReported: 0, accuracy: null });
    // A period after every report: nothing in it, the all-time figures unchanged.
    const later = await accuracyAs(world.keys.analyst, new Date(Date.now() + 60_000).toISOString());
    expect(later[0]).toMatchObject({ period: { leadsReported: 0, accuracy: null }, allTime: { leadsReported: 5 } });
  });

  it('shows a brand partner its own accuracy only, and an agency none of brands it does not see', async () => {
    const a = await accuracyAs(world.keys.brandA);
    expect(a.map((b: any) => b.brand.name)).toEqual(['Alpha']);
    expect(a[0].allTime.accuracy).toBe(0.75);
    expect((await accuracyAs(world.keys.brandB)).map((b: any) => b.brand.name)).toEqual(['Beta']);
    expect(await accuracyAs(world.keys.agencyX)).toEqual([]);
  });

  it('answers the `first` brands with most reports, with their figures, priced by what is asked', async () => {
    const FIRST = `query($first: Int!) { analytics { reporterAccuracy(first: $first) {
      brand { name } allTime { leadsReported accuracy } series { leadsReported } } } }`;
    const ask = (first: number) => server.gql(world.keys.analyst, FIRST, { first });
    const all = dataOf(await ask(2)).analytics.reporterAccuracy;
    const one = await ask(1);
    expect(dataOf(one).analytics.reporterAccuracy).toEqual([all[0]]);
    expect(all[0]).toMatchObject({ brand: { name: 'Alpha' }, allTime: { leadsReported: 5, accuracy: 0.75 } });
    // Priced by `first`: 1 (analytics) + per brand its object, brand, allTime and a series at its bound; 2 brands twice one.
    const cost = (response: { body: any }) => response.body.extensions.cost.requestedQueryCost;
    expect(cost(await ask(2)) - 1).toBe(2 * (cost(one) - 1));
    const small = (first: number) =>
      server.gql(world.keys.analyst, `{ analytics { reporterAccuracy(first: ${first}) { brand { name } } } }`);
    for (const first of [0, -1, 1001]) {
      const [error] = (await small(first)).body.errors ?? [];
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error?.message).toMatch(/first must be between 1 and 1000/);
    }
  });

  it('fast-tracks the reports of an accurate brand to the front of the triage queue', async () => {
    const fromA = await report(world.keys.brandA, 'Alpha report, fast track');
    const fromB = await report(world.keys.brandB, 'Beta report, normal', { riskScore: 90 });
    const byInvestigator = await report(world.keys.investigator, 'Platform detection', {
      brandIds: [world.gid.brandB],
      riskScore: 95,
      source: 'PLATFORM_DETECTION',
    });
    expect([fromA.fastTrack, fromB.fastTrack, byInvestigator.fastTrack]).toEqual([true, false, false]);
    const queue = dataOf(
      await server.gql(
        world.keys.investigator,
        `{ leads(first: 3, filter: { status: [NEW] }, orderBy: { field: TRIAGE_PRIORITY, direction: DESC }) {
      nodes { id fastTrack riskScore } pageInfo { endCursor hasNextPage } } }`,
      ),
    ).leads;
    expect(queue.nodes.map((n: any) => n.id)).toEqual([fromA.id, byInvestigator.id, fromB.id]);
    // Keyset pages through the queue.
    const next = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($after: String) { leads(first: 10, after: $after, filter: { status: [NEW] }, orderBy: { field: TRIAGE_PRIORITY, direction: DESC }) { nodes { id } } }`,
        { after: queue.pageInfo.endCursor },
      ),
    ).leads;
    expect(next.nodes.map((n: any) => n.id)).not.toContain(fromA.id);
    // The brand sees that its report is fast-tracked.
    expect(
      dataOf(
        await server.gql(world.keys.brandA, `query($id: ID!) { node(id: $id) { ... on Lead { fastTrack } } }`, {
          id: fromA.id,
        }),
      ).node.fastTrack,
    ).toBe(true);
  });

  it('takes its threshold from the settings', () => {
    expect(loadFeatureSettings({}).fastTrack).toEqual({ accuracy: 0.9, minDecided: 10, windowDays: 365 });
    expect(() => loadFeatureSettings({ FAST_TRACK_ACCURACY: '90%', FAST_TRACK_MIN_DECIDED: '0' })).toThrow(
      /FAST_TRACK_ACCURACY must be a share[\s\S]*FAST_TRACK_MIN_DECIDED must be a whole number/,
    );
  });
});

describe('reporter accuracy from the scheduled rollup', () => {
  const FIGURES =
    'leadsReported leadsConfirmed leadsRejected listingsReported listingsConfirmed listingsRejected accuracy';
  const QUERY = `query($filter: AnalyticsFilter) { analytics(filter: $filter) { reporterAccuracy(granularity: MONTH, first: 10) {
    brand { name } asOf allTime { ${FIGURES} } period { ${FIGURES} } series { start ${FIGURES} } } } }`;
  const ask = async (token: string, filter: Record<string, unknown> | null = null) =>
    dataOf(await server.gql(token, QUERY, { filter })).analytics.reporterAccuracy;
  const refreshedAt = async () =>
    (await db.dataSource.query(`SELECT refreshed_at FROM analytics_rollup WHERE name = 'reporter_accuracy_day'`))[0]
      .refreshed_at as Date;

  it('holds the live figures and a direct count (owner connection) after a refresh, and says when it was counted', async () => {
    // A listing named on two reports of brand A counts once, at the first.
    await report(world.keys.brandA, 'Alpha report naming listing A2', { listingIds: [world.gid.listingA2] });
    await report(world.keys.brandA, 'Alpha report naming listing A2 again', { listingIds: [world.gid.listingA2] });
    await refreshAnalyticsRollups(db.dataSource);
    const asOf = (await refreshedAt()).toISOString();

    for (const token of [world.keys.analyst, world.keys.brandA, world.keys.brandB, world.keys.agencyX]) {
      const fromRollup = await ask(token);
      for (const brand of fromRollup) expect(brand.asOf).toBe(asOf);
      // Live: a period from the first bucket to now covers every report and the same buckets.
      const start = fromRollup[0]?.series[0].start ?? '2026-01-01T00:00:00.000Z';
      const live = await ask(token, { from: start, to: new Date(Date.now() + 60_000).toISOString() });
      const strip = (list: any[]) => list.map(({ brand, allTime, series }) => ({ brand, allTime, series }));
      expect(strip(fromRollup)).toEqual(strip(live));
      for (const brand of live) expect(new Date(brand.asOf).getTime()).toBeGreaterThan(new Date(asOf).getTime());
    }

    // Direct count of every brand's reports and the listings of its own named on them.
    const direct = await db.dataSource.query(`
      SELECT b.name, count(DISTINCT l.id)::int AS leads, count(DISTINCT x.id)::int AS listings
      FROM brand b JOIN lead_brand lb ON lb.brand_id = b.id JOIN lead l ON l.id = lb.lead_id AND l.source = 'BRAND_REPORT'
      LEFT JOIN lead_listing ll ON ll.lead_id = l.id LEFT JOIN listing x ON x.id = ll.listing_id AND x.brand_id = b.id
      GROUP BY b.name ORDER BY b.name`);
    const all = await ask(world.keys.analyst);
    expect(
      all
        .map((b: any) => ({ name: b.brand.name, leads: b.allTime.leadsReported, listings: b.allTime.listingsReported }))
        .sort((x: any, y: any) => x.name.localeCompare(y.name)),
    ).toEqual(direct);
    expect(all[0].allTime.listingsReported).toBe(2); // listings A1 and A2, A2 once

    // A report after the refresh: not in the rollup's figures (same asOf) until the next refresh; live at once.
    await report(world.keys.brandB, 'Beta report after the refresh');
    const stale = (await ask(world.keys.brandB))[0];
    const beta = direct.find((row: any) => row.name === 'Beta');
    expect(stale).toMatchObject({ asOf, allTime: { leadsReported: beta.leads } });
    expect((await ask(world.keys.brandB, { from: '2026-01-01T00:00:00Z' }))[0].allTime.leadsReported).toBe(
      beta.leads + 1,
    );
    await refreshAnalyticsRollups(db.dataSource);
    expect((await ask(world.keys.brandB))[0].allTime.leadsReported).toBe(beta.leads + 1);
  });

  it("keeps to the caller's rows by its own predicate, the table's policy aside (read as the owner, which it does not bind)", async () => {
    await refreshAnalyticsRollups(db.dataSource);
    // Rows the callers below must leave out: every brand's (scope ALL) and another agency's.
    await db.dataSource.query(
      `INSERT INTO reporter_accuracy_day (scope, scope_id, brand_id, day, leads_reported, leads_confirmed, leads_rejected,
      listings_reported, listings_confirmed, listings_rejected) VALUES ('AGENCY', $1, $2, current_date, 5, 5, 0, 0, 0, 0)`,
      [world.ids.agencyY, world.ids.brandA],
    );
    const filter = resolveFilter(null);
    const callers: Scope[] = [
      { kind: 'BRAND', role: Role.BRAND_PARTNER, brandId: world.ids.brandA },
      { kind: 'BRAND', role: Role.BRAND_PARTNER, brandId: world.ids.brandB },
      { kind: 'AGENCY', role: Role.AGENCY_LIAISON, agencyId: world.ids.agencyX },
    ];
    for (const scope of callers) {
      // The owner's connection: no policy applies, so only the statements' own predicates keep to the scope.
      const ctx = { ...systemContext(db.dataSource, testConfig()), scope };
      const fromRollup = await countsPerBrand(ctx, filter, false, true);
      const live = await countsPerBrand(ctx, filter, false, false);
      expect(Object.fromEntries(fromRollup)).toEqual(Object.fromEntries(live));
      expect([...fromRollup.keys()].every((brandId) => scope.kind !== 'BRAND' || brandId === scope.brandId)).toBe(true);
    }
    expect(
      (await countsPerBrand({ ...systemContext(db.dataSource, testConfig()), scope: callers[2] }, filter, false, true))
        .size,
    ).toBe(0);
    await refreshAnalyticsRollups(db.dataSource);
  });
});
