import { dataOf } from '../support/server';
import { insertHistory, insertLead } from './fixture';
import { useTestServer } from '../support/harness';

// A brand partner's outcome figures are read from its leads' investigations (analytics.service.ts,
// filteredOutcomes): each is checked against a direct count through the owner connection, before and
// after a new case with outcomes is written.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    await insertHistory(db.dataSource, world);
  },
});

const PERIOD = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
const FIGURES = `outcomeTotals { raids seizures densDestroyed arrests convictions fines { count } }
  outcomeSeries(granularity: MONTH) { buckets { start raids seizures arrests densDestroyed convictions fines } }`;

/** The outcomes of the sent referrals of the investigations of the brand's leads, counted by the owner. */
async function directCounts(brandId: string) {
  const [row] = await db.dataSource.query(
    `SELECT count(*) FILTER (WHERE o.kind = 'RAID')::int AS raids, count(*) FILTER (WHERE o.kind = 'SEIZURE')::int AS seizures,
            coalesce(sum(o.dens_destroyed), 0)::int AS dens, coalesce(sum(o.arrests), 0)::int AS arrests,
            coalesce(sum(o.convictions), 0)::int AS convictions, count(*) FILTER (WHERE o.kind = 'FINE')::int AS fines
     FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
     WHERE r.status <> 'DRAFT' AND o.occurred_at >= $2 AND o.occurred_at < $3
       AND r.investigation_id IN (SELECT l.investigation_id FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1)`,
    [brandId, PERIOD.from, PERIOD.to],
  );
  return row;
}

async function expectDirectCounts(token: string, brandId: string) {
  const { outcomeTotals, outcomeSeries } = dataOf(
    await server.gql(token, `query($filter: AnalyticsFilter) { analytics(filter: $filter) { ${FIGURES} } }`, {
      filter: PERIOD,
    }),
  ).analytics;
  const direct = await directCounts(brandId);
  expect(outcomeTotals).toEqual({
    raids: direct.raids,
    seizures: direct.seizures,
    densDestroyed: direct.dens,
    arrests: direct.arrests,
    convictions: direct.convictions,
    fines: { count: direct.fines },
  });
  const sum = (key: string) =>
    outcomeSeries.buckets.reduce((total: number, bucket: Record<string, number>) => total + bucket[key], 0);
  expect({
    raids: sum('raids'),
    seizures: sum('seizures'),
    dens: sum('densDestroyed'),
    arrests: sum('arrests'),
    convictions: sum('convictions'),
    fines: sum('fines'),
  }).toEqual(direct);
  return direct;
}

describe("a brand partner's outcome figures", () => {
  it("equal a direct count over its leads' investigations, before and after a new case is written", async () => {
    const beforeA = await expectDirectCounts(world.keys.brandA, world.ids.brandA);
    const beforeB = await expectDirectCounts(world.keys.brandB, world.ids.brandB);
    expect(beforeA.raids + beforeA.seizures + beforeA.fines).toBeGreaterThan(0);

    await insertLead(db.dataSource, world, {
      name: 'N1',
      brands: ['brandB'],
      sellers: ['sellerB'],
      source: 'BRAND_REPORT',
      status: 'REFERRED',
      createdAt: '2026-03-01T00:00:00Z',
      investigation: {
        createdAt: '2026-03-02T00:00:00Z',
        status: 'REFERRED',
        referrals: [
          {
            agency: 'agencyX',
            status: 'ACTION_TAKEN',
            createdAt: '2026-03-03T00:00:00Z',
            sentAt: '2026-03-04T00:00:00Z',
            outcomes: [
              { kind: 'RAID', at: '2026-03-10T00:00:00Z', arrests: 4, dens: 2 },
              { kind: 'SEIZURE', at: '2026-04-02T00:00:00Z' },
            ],
          },
        ],
      },
    });

    const afterB = await expectDirectCounts(world.keys.brandB, world.ids.brandB);
    expect(afterB).toEqual({
      ...beforeB,
      raids: beforeB.raids + 1,
      seizures: beforeB.seizures + 1,
      dens: beforeB.dens + 2,
      arrests: beforeB.arrests + 4,
    });
    // The other brand's figures do not move.
    expect(await expectDirectCounts(world.keys.brandA, world.ids.brandA)).toEqual(beforeA);
  });
});
