// A joint operation's agreed seized value is attributed once. Shared equally by the
// agencies that took part, each agency's share counted with its first outcome in the operation: months,
// agencies, brands and regions add up to the agreed value exactly once, in every caller's view.
//
// Every figure is compared with the same figure computed here, in SQL, through the owner connection (no
// row-level security), from the rule as docs/analytics.md states it; and the sums are checked by hand.
import { mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { insertLead, OutcomeSpec } from './fixture';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

type View = 'analyst' | 'brandA' | 'brandB' | 'agencyX' | 'agencyY';
const VIEWS: View[] = ['analyst', 'brandA', 'brandB', 'agencyX', 'agencyY'];
interface Money {
  amount: number;
  currency: string;
}

// Odd on purpose: two agencies, one minor unit left over, which goes to agency X (its first outcome is the earlier).
const AGREED = 800_001;

/**
 * | case | brand | sellers (regions)   | agency | outcomes                                                                                   |
 * | J1   | A     | A (CN-ZJ), AB (CN-FJ) | X    | SEIZURE 01-20 (own 1,000,000 CNY) [op], RAID 01-25 [op], FINE 02-20 (1,001 CNY)              |
 * | J2   | B     | B (CN-GD)           | Y      | SEIZURE 02-10 (own 700,000 CNY) [op]                                                        |
 * | J3   | A     | A (CN-ZJ)           | X      | SEIZURE 02-15 (300 USD), not in the operation                                               |
 * The operation: J1's seizure and raid and J2's seizure, agreed at 800,001 CNY.
 * X's share 400,001 with its seizure of 01-20 (not with its raid); Y's 400,000 with its seizure of 02-10.
 */
beforeAll(async () => {
  // One investigation with one referral, sent, acknowledged and actioned, and its outcomes.
  const actioned = (agency: string, sentAt: string, outcomes: OutcomeSpec[]) => ({
    createdAt: '2026-01-02T00:00:00Z',
    status: 'REFERRED',
    referrals: [
      {
        agency,
        status: 'ACTION_TAKEN',
        createdAt: sentAt,
        sentAt,
        acknowledgedAt: sentAt,
        firstActionAt: outcomes[0].at,
        outcomes,
      },
    ],
  });
  const j1 = await insertLead(db.dataSource, world, {
    name: 'J1',
    brands: ['brandA'],
    sellers: ['sellerA', 'sellerAB'],
    source: 'BRAND_REPORT',
    status: 'REFERRED',
    createdAt: '2026-01-01T00:00:00Z',
    investigation: actioned('agencyX', '2026-01-05T00:00:00Z', [
      { kind: 'SEIZURE', at: '2026-01-20T08:00:00Z', seized: [1_000_000, 'CNY'] },
      { kind: 'RAID', at: '2026-01-25T08:00:00Z', arrests: 2 },
      { kind: 'FINE', at: '2026-02-20T08:00:00Z', fine: [1_001, 'CNY'] },
    ]),
  });
  const j2 = await insertLead(db.dataSource, world, {
    name: 'J2',
    brands: ['brandB'],
    sellers: ['sellerB'],
    source: 'BRAND_REPORT',
    status: 'REFERRED',
    createdAt: '2026-01-03T00:00:00Z',
    investigation: actioned('agencyY', '2026-02-01T00:00:00Z', [
      { kind: 'SEIZURE', at: '2026-02-10T08:00:00Z', seized: [700_000, 'CNY'] },
    ]),
  });
  await insertLead(db.dataSource, world, {
    name: 'J3',
    brands: ['brandA'],
    sellers: ['sellerA'],
    source: 'TIP',
    status: 'REFERRED',
    createdAt: '2026-01-04T00:00:00Z',
    investigation: actioned('agencyX', '2026-02-02T00:00:00Z', [
      { kind: 'SEIZURE', at: '2026-02-15T08:00:00Z', seized: [300, 'USD'] },
    ]),
  });
  const outcome = async (referralId: string, kind: string) =>
    toGlobalId(
      'EnforcementOutcome',
      String(
        (
          await db.dataSource.query('SELECT id FROM enforcement_outcome WHERE referral_id = $1 AND kind = $2', [
            referralId,
            kind,
          ])
        )[0].id,
      ),
    );
  await mutate(
    server,
    world.keys.investigator,
    'createJointOperation',
    {
      name: 'Operation Two Months',
      valuationMethod: 'MARKET_PRICE',
      seizedValue: { amount: AGREED, currency: 'CNY' },
      outcomeIds: [
        await outcome(j1.referral0, 'SEIZURE'),
        await outcome(j1.referral0, 'RAID'),
        await outcome(j2.referral0, 'SEIZURE'),
      ],
    },
    'operation { id }',
  );
});

// ---------------------------------------------------------------------------------------------------
// The figures through the API.

interface Filter {
  from?: string;
  to?: string;
  agencyIds?: string[];
  brandIds?: string[];
  regions?: string[];
}
const MONEY = '{ amount currency }';

async function seized(view: View, filter: Filter = {}): Promise<Money[]> {
  const response = await server.gql(
    world.keys[view],
    `query($filter: AnalyticsFilter) { analytics(filter: $filter) { outcomeTotals { seizedValue ${MONEY} } } }`,
    { filter },
  );
  return dataOf(response).analytics.outcomeTotals.seizedValue;
}

/** The money of each region with any. */
async function perRegion(
  view: View,
  filter: Filter = {},
): Promise<{ region: string; seizedValue: Money[]; fines: Money[] }[]> {
  const response = await server.gql(
    world.keys[view],
    `query($filter: AnalyticsFilter) { analytics(filter: $filter) {
    regionBreakdown { region outcomes { seizedValue ${MONEY} fines { amounts ${MONEY} } } } } }`,
    { filter },
  );
  // Regions whose leads of the period have no outcome are listed for their funnel: left out here.
  return dataOf(response)
    .analytics.regionBreakdown.map((r: any) => ({
      region: r.region,
      seizedValue: r.outcomes.seizedValue,
      fines: r.outcomes.fines.amounts,
    }))
    .filter((r: { seizedValue: Money[]; fines: Money[] }) => r.seizedValue.length || r.fines.length);
}

/** Adds up lists of money per currency, sorted by currency as the API sorts them. */
function add(...lists: Money[][]): Money[] {
  const totals = new Map<string, number>();
  for (const money of lists.flat()) totals.set(money.currency, (totals.get(money.currency) ?? 0) + money.amount);
  return [...totals]
    .filter(([, amount]) => amount !== 0)
    .map(([currency, amount]) => ({ amount, currency }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
}

const MONTHS = Array.from({ length: 12 }, (_, i) => ({
  from: new Date(Date.UTC(2026, i, 1)).toISOString(),
  to: new Date(Date.UTC(2026, i + 1, 1)).toISOString(),
}));
const YEAR = { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };

// ---------------------------------------------------------------------------------------------------
// The same figures, computed here in SQL through the owner connection.

/** Scope of a view, as ids for the SQL below: the brand or the agency it is bound to, if any. */
const scopeOf = (view: View) => ({
  brand: view === 'brandA' ? world.ids.brandA : view === 'brandB' ? world.ids.brandB : null,
  agency: view === 'agencyX' ? world.ids.agencyX : view === 'agencyY' ? world.ids.agencyY : null,
});

/**
 * Every outcome with the seized value it counts and the columns the filters and scopes need. The rule:
 * an outcome outside an operation counts its own value; in an operation, the agreed value is cut into as
 * many equal parts as agencies took part, the minor units left over one each to the agencies in the
 * order of their first outcome (time, then id); an agency's part goes to its first outcome, the others none.
 */
const COUNTED = `
  WITH agency_first AS (
    SELECT o.operation_id, r.agency_id, min(o.occurred_at) AS first_at FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
    WHERE o.operation_id IS NOT NULL GROUP BY o.operation_id, r.agency_id
  ),
  carrier AS (
    SELECT f.operation_id, f.first_at,
           (SELECT min(o.id) FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
            WHERE o.operation_id = f.operation_id AND r.agency_id = f.agency_id AND o.occurred_at = f.first_at) AS outcome_id
    FROM agency_first f
  ),
  numbered AS (
    SELECT c.outcome_id, rank() OVER (PARTITION BY c.operation_id ORDER BY c.first_at, c.outcome_id) AS position,
           count(*) OVER (PARTITION BY c.operation_id) AS parts
    FROM carrier c
  ),
  counted AS (
    SELECT o.id, o.occurred_at, r.agency_id, r.investigation_id, r.status,
           CASE WHEN o.operation_id IS NULL THEN o.seized_value_amount::numeric
                WHEN n.outcome_id IS NOT NULL THEN floor(j.seized_value_amount::numeric / n.parts) + CASE WHEN n.position <= j.seized_value_amount % n.parts THEN 1 ELSE 0 END
           END AS amount,
           trim(CASE WHEN o.operation_id IS NULL THEN o.seized_value_currency ELSE j.seized_value_currency END) AS currency,
           o.fine_amount::numeric AS fine_amount, trim(o.fine_currency) AS fine_currency
    FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
    LEFT JOIN joint_operation j ON j.id = o.operation_id
    LEFT JOIN numbered n ON n.outcome_id = o.id
  )`;

/** The outcomes a view sees and the filter keeps ($1 brand scope, $2 agency scope, $3-$4 period, $5 agencies, $6 brands). */
const KEPT = `
  c.status <> 'DRAFT'
  AND ($1::bigint IS NULL OR EXISTS (SELECT 1 FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.investigation_id = c.investigation_id AND lb.brand_id = $1))
  AND ($2::bigint IS NULL OR c.agency_id = $2)
  AND ($3::timestamptz IS NULL OR c.occurred_at >= $3) AND ($4::timestamptz IS NULL OR c.occurred_at < $4)
  AND ($5::bigint[] IS NULL OR c.agency_id = ANY ($5))
  AND ($6::bigint[] IS NULL OR EXISTS (SELECT 1 FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.investigation_id = c.investigation_id AND lb.brand_id = ANY ($6)))`;

const idsOf = (gids: string[] | undefined, names: string[]) =>
  gids ? gids.map((gid) => world.ids[names.find((name) => world.gid[name] === gid)!]) : null;

function parameters(view: View, filter: Filter) {
  const scope = scopeOf(view);
  return [
    scope.brand,
    scope.agency,
    filter.from ?? null,
    filter.to ?? null,
    idsOf(filter.agencyIds, ['agencyX', 'agencyY']),
    idsOf(filter.brandIds, ['brandA', 'brandB']),
  ];
}

async function expectedSeized(view: View, filter: Filter = {}): Promise<Money[]> {
  const rows: { amount: string; currency: string }[] = await db.dataSource.query(
    `${COUNTED}
    SELECT c.currency, sum(c.amount) AS amount FROM counted c WHERE c.amount IS NOT NULL AND ${KEPT} GROUP BY c.currency ORDER BY c.currency`,
    parameters(view, filter),
  );
  return rows.map((row) => ({ amount: Number(row.amount), currency: row.currency }));
}

/**
 * Per region: an outcome's money split equally between the regions of the (visible) leads' sellers of its
 * investigation, units left over to the regions in alphabetical order.
 */
async function expectedPerRegion(
  view: View,
  filter: Filter = {},
): Promise<{ region: string; seizedValue: Money[]; fines: Money[] }[]> {
  const rows: { region: string; kind: string; amount: string; currency: string }[] = await db.dataSource.query(
    `${COUNTED},
    regions AS (
      SELECT DISTINCT l.investigation_id, v.region FROM lead l JOIN lead_seller ls ON ls.lead_id = l.id JOIN seller v ON v.id = ls.seller_id
      WHERE l.investigation_id IS NOT NULL AND ($1::bigint IS NULL OR EXISTS (SELECT 1 FROM lead_brand lb WHERE lb.lead_id = l.id AND lb.brand_id = $1))
    ),
    numbered_regions AS (
      SELECT g.*, rank() OVER (PARTITION BY g.investigation_id ORDER BY g.region) AS position, count(*) OVER (PARTITION BY g.investigation_id) AS parts FROM regions g
    ),
    parts AS (
      SELECT g.region, 'seized' AS kind, c.currency, floor(c.amount / g.parts) + CASE WHEN g.position <= c.amount % g.parts THEN 1 ELSE 0 END AS amount
      FROM counted c JOIN numbered_regions g ON g.investigation_id = c.investigation_id WHERE c.amount IS NOT NULL AND ${KEPT}
      UNION ALL
      SELECT g.region, 'fine', c.fine_currency, floor(c.fine_amount / g.parts) + CASE WHEN g.position <= c.fine_amount % g.parts THEN 1 ELSE 0 END
      FROM counted c JOIN numbered_regions g ON g.investigation_id = c.investigation_id WHERE c.fine_amount IS NOT NULL AND ${KEPT}
    )
    SELECT region, kind, currency, sum(amount) AS amount FROM parts GROUP BY region, kind, currency ORDER BY region, currency`,
    parameters(view, filter),
  );
  const regions = [...new Set(rows.map((row) => row.region))].sort();
  const money = (region: string, kind: string) =>
    rows
      .filter((row) => row.region === region && row.kind === kind)
      .map((row) => ({ amount: Number(row.amount), currency: row.currency }));
  return regions.map((region) => ({ region, seizedValue: money(region, 'seized'), fines: money(region, 'fine') }));
}

// ---------------------------------------------------------------------------------------------------

const cny = (amount: number): Money => ({ amount, currency: 'CNY' });
const usd = (amount: number): Money => ({ amount, currency: 'USD' });

describe("a joint operation's agreed seized value, counted once", () => {
  it('is shared by the two agencies, each share with its first outcome: the figures of every view, as computed in SQL', async () => {
    // Hand-counted: X's share 400,001 (its seizure of 01-20), Y's 400,000 (02-10); J3's 300 USD is X's and brand A's.
    const totals: Record<View, Money[]> = {
      analyst: [cny(AGREED), usd(300)],
      brandA: [cny(400_001), usd(300)],
      brandB: [cny(400_000)],
      agencyX: [cny(400_001), usd(300)],
      agencyY: [cny(400_000)],
    };
    for (const view of VIEWS) {
      expect({ view, figure: await seized(view) }).toEqual({ view, figure: totals[view] });
      expect({ view, figure: await seized(view) }).toEqual({ view, figure: await expectedSeized(view) });
    }
    // The brands' views and the agencies' views each add up to the operation once.
    expect(add(await seized('brandA'), await seized('brandB'))).toEqual(await seized('analyst'));
    expect(add(await seized('agencyX'), await seized('agencyY'))).toEqual(await seized('analyst'));
  });

  it("adds up over the months: January holds X's share, February Y's, the year both, in every view", async () => {
    expect(await seized('analyst', MONTHS[0])).toEqual([cny(400_001)]);
    expect(await seized('analyst', MONTHS[1])).toEqual([cny(400_000), usd(300)]);
    for (const view of VIEWS) {
      const months: Money[][] = [];
      for (const month of MONTHS) {
        const figure = await seized(view, month);
        expect({ view, month: month.from, figure }).toEqual({
          view,
          month: month.from,
          figure: await expectedSeized(view, month),
        });
        months.push(figure);
      }
      const year = await seized(view, YEAR);
      expect({ view, year }).toEqual({ view, year: await seized(view) });
      expect({ view, sumOfMonths: add(...months) }).toEqual({ view, sumOfMonths: year });
    }
  });

  it('adds up over the agencies and over the brands filtered on, in every view', async () => {
    expect(await seized('analyst', { agencyIds: [world.gid.agencyX] })).toEqual([cny(400_001), usd(300)]);
    expect(await seized('analyst', { agencyIds: [world.gid.agencyY] })).toEqual([cny(400_000)]);
    for (const view of VIEWS) {
      const byAgency: Money[][] = [];
      for (const agencyIds of [[world.gid.agencyX], [world.gid.agencyY]]) {
        const figure = await seized(view, { agencyIds });
        expect({ view, agencyIds, figure }).toEqual({
          view,
          agencyIds,
          figure: await expectedSeized(view, { agencyIds }),
        });
        byAgency.push(figure);
      }
      expect({ view, sumOfAgencies: add(...byAgency) }).toEqual({ view, sumOfAgencies: await seized(view) });
      // Agencies within a month too: February is Y's share (and J3, X's).
      const february = [
        await seized(view, { ...MONTHS[1], agencyIds: [world.gid.agencyX] }),
        await seized(view, { ...MONTHS[1], agencyIds: [world.gid.agencyY] }),
      ];
      expect({ view, february: add(...february) }).toEqual({ view, february: await seized(view, MONTHS[1]) });
      const byBrand = [
        await seized(view, { brandIds: [world.gid.brandA] }),
        await seized(view, { brandIds: [world.gid.brandB] }),
      ];
      expect({ view, byBrand: add(...byBrand) }).toEqual({ view, byBrand: await seized(view) });
    }
  });

  it('adds up over the regions: a case in two regions splits its money between them, in every view', async () => {
    expect(await perRegion('analyst')).toEqual([
      // J1's seizure share 400,001 split CN-FJ 200,001 / CN-ZJ 200,000; its fine 1,001 as 501 / 500.
      { region: 'CN-FJ', seizedValue: [cny(200_001)], fines: [cny(501)] },
      { region: 'CN-GD', seizedValue: [cny(400_000)], fines: [] },
      { region: 'CN-ZJ', seizedValue: [cny(200_000), usd(300)], fines: [cny(500)] },
    ]);
    for (const view of VIEWS) {
      const regions = await perRegion(view);
      expect({ view, regions }).toEqual({ view, regions: await expectedPerRegion(view) });
      expect({ view, sumOfRegions: add(...regions.map((r) => r.seizedValue)) }).toEqual({
        view,
        sumOfRegions: await seized(view),
      });
      // A regions filter lists those regions with the same figures (the split is over all of a case's regions).
      const zj = (await perRegion(view, { regions: ['CN-ZJ'] })).map((r) => r.seizedValue);
      expect({ view, zj }).toEqual({ view, zj: regions.filter((r) => r.region === 'CN-ZJ').map((r) => r.seizedValue) });
      for (const month of MONTHS.slice(0, 2)) {
        const inMonth = await perRegion(view, month);
        expect({ view, month: month.from, inMonth }).toEqual({
          view,
          month: month.from,
          inMonth: await expectedPerRegion(view, month),
        });
      }
    }
  });

  it('follows a revaluation and outcomes added later (the share moves to an earlier outcome of the agency)', async () => {
    const [{ id: opId }] = await db.dataSource.query('SELECT id FROM joint_operation');
    const operationId = toGlobalId('JointOperation', String(opId));
    // Agency Y reports an earlier seizure of the same action, added to the operation: Y's first outcome is now in January.
    const [{ id: referralY }] = await db.dataSource.query(
      'SELECT referral_id AS id FROM enforcement_outcome WHERE kind = $1 AND seized_value_amount = 700000',
      ['SEIZURE'],
    );
    const [{ id: earlier }] = await db.dataSource.query(
      `INSERT INTO enforcement_outcome (referral_id, kind, occurred_at, seized_value_amount, seized_value_currency) VALUES ($1, 'SEIZURE', '2026-01-10T08:00:00Z', 5, 'CNY') RETURNING id`,
      [referralY],
    );
    await mutate(
      server,
      world.keys.investigator,
      'addOutcomesToJointOperation',
      { operationId, outcomeIds: [toGlobalId('EnforcementOutcome', String(earlier))] },
      'operation { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'revalueJointOperation',
      { operationId, seizedValue: { amount: 900_001, currency: 'CNY' }, valuationMethod: 'MARKET_PRICE' },
      'operation { id }',
    );
    // Y's first outcome (01-10) is now the earlier: Y carries 450,001 and X 450,000, both in January; February none of it.
    expect(await seized('agencyY')).toEqual([cny(450_001)]);
    expect(await seized('agencyX')).toEqual([cny(450_000), usd(300)]);
    expect(await seized('analyst', MONTHS[0])).toEqual([cny(900_001)]);
    expect(await seized('analyst', MONTHS[1])).toEqual([usd(300)]);
    for (const view of VIEWS) {
      expect({ view, figure: await seized(view) }).toEqual({ view, figure: await expectedSeized(view) });
      for (const month of MONTHS.slice(0, 2))
        expect({ view, figure: await seized(view, month) }).toEqual({
          view,
          figure: await expectedSeized(view, month),
        });
    }
    expect(add(await seized('agencyX'), await seized('agencyY'))).toEqual([cny(900_001), usd(300)]);
  });
});
