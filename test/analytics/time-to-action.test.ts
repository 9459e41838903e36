import { dataOf } from '../support/server';
import { insertHistory } from './fixture';
import { useTestServer } from '../support/harness';

// timeToAction reads each investigation by its key from the cohort's leads and referrals, and a brand's
// outcome totals are reached from its leads' investigations: both checked here against the same
// figures computed independently from the base tables through the owner's connection, before and after writes
// through the API, for an administrator, each brand and each agency.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    await insertHistory(db.dataSource, world);
  },
});

const FIGURES = `{ analytics { timeToAction { leadToInvestigation { count medianDays p90Days } investigationToReferral { count medianDays p90Days } }
  outcomeTotals { raids seizures arrests convictions } } }`;
const round = (value: unknown) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);

/** The leads, sent referrals and outcomes a scope may see (visibility.ts, written out), and the figures over them. */
async function expected(scope: { brand?: string; agency?: string }) {
  const leads = scope.brand
    ? 'SELECT lead_id FROM lead_brand WHERE brand_id = $1'
    : scope.agency
      ? `SELECT l.id FROM lead l JOIN referral r ON r.investigation_id = l.investigation_id WHERE r.agency_id = $1 AND r.status <> 'DRAFT'`
      : 'SELECT id FROM lead WHERE $1::bigint IS NULL';
  const referrals = scope.brand
    ? `SELECT r.id FROM referral r WHERE r.status <> 'DRAFT' AND r.investigation_id IN (SELECT l.investigation_id FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1)`
    : scope.agency
      ? `SELECT id FROM referral WHERE agency_id = $1 AND status <> 'DRAFT'`
      : 'SELECT id FROM referral WHERE $1::bigint IS NULL';
  const days = (later: string, earlier: string) => `extract(epoch FROM (${later} - ${earlier})) / 86400.0`;
  const [toInvestigation] = await db.dataSource.query(
    `
    SELECT count(*) AS count, percentile_cont(0.5) WITHIN GROUP (ORDER BY w) AS median, percentile_cont(0.9) WITHIN GROUP (ORDER BY w) AS p90
    FROM (SELECT ${days('i.created_at', 'l.created_at')} AS w FROM lead l JOIN investigation i ON i.id = l.investigation_id WHERE l.id IN (${leads})) x`,
    [scope.brand ?? scope.agency ?? null],
  );
  const [toReferral] = await db.dataSource.query(
    `
    SELECT count(*) AS count, percentile_cont(0.5) WITHIN GROUP (ORDER BY w) AS median, percentile_cont(0.9) WITHIN GROUP (ORDER BY w) AS p90
    FROM (SELECT ${days('r.sent_at', 'i.created_at')} AS w FROM referral r JOIN investigation i ON i.id = r.investigation_id
          WHERE r.sent_at IS NOT NULL AND r.id IN (${referrals})
            AND EXISTS (SELECT 1 FROM lead l WHERE l.investigation_id = r.investigation_id AND l.id IN (${leads}))) x`,
    [scope.brand ?? scope.agency ?? null],
  );
  const [outcomes] = await db.dataSource.query(
    `
    SELECT count(*) FILTER (WHERE kind = 'RAID') AS raids, count(*) FILTER (WHERE kind = 'SEIZURE') AS seizures,
           coalesce(sum(arrests), 0) AS arrests, coalesce(sum(convictions), 0) AS convictions
    FROM enforcement_outcome WHERE referral_id IN (${referrals})`,
    [scope.brand ?? scope.agency ?? null],
  );
  const stats = (row: { count: string; median: unknown; p90: unknown }) => ({
    count: Number(row.count),
    medianDays: round(row.median),
    p90Days: round(row.p90),
  });
  return {
    timeToAction: { leadToInvestigation: stats(toInvestigation), investigationToReferral: stats(toReferral) },
    outcomeTotals: {
      raids: Number(outcomes.raids),
      seizures: Number(outcomes.seizures),
      arrests: Number(outcomes.arrests),
      convictions: Number(outcomes.convictions),
    },
  };
}

async function expectFiguresMatchTheTables() {
  const callers = [
    { token: world.keys.admin, scope: {} },
    { token: world.keys.brandA, scope: { brand: world.ids.brandA } },
    { token: world.keys.brandB, scope: { brand: world.ids.brandB } },
    { token: world.keys.agencyX, scope: { agency: world.ids.agencyX } },
    { token: world.keys.agencyY, scope: { agency: world.ids.agencyY } },
  ];
  for (const { token, scope } of callers)
    expect(dataOf(await server.gql(token, FIGURES)).analytics).toEqual(await expected(scope));
  // timeToAction reads the investigation's created_at copied onto leads and referrals (migration 1764300200000).
  const [copies] = await db.dataSource.query(`
    SELECT (SELECT count(*) FROM lead l LEFT JOIN investigation i ON i.id = l.investigation_id WHERE l.investigation_created_at IS DISTINCT FROM i.created_at)::int AS leads,
           (SELECT count(*) FROM referral r LEFT JOIN investigation i ON i.id = r.investigation_id WHERE r.investigation_created_at IS DISTINCT FROM i.created_at)::int AS referrals`);
  expect(copies).toEqual({ leads: 0, referrals: 0 });
}

describe('time to action and outcome totals', () => {
  it('match the base tables for every caller', async () => {
    await expectFiguresMatchTheTables();
  });

  it('follow a lead triaged and investigated through the API', async () => {
    const mutate = async (token: string, name: string, input: Record<string, unknown>, selection: string) => {
      const payload = dataOf(
        await server.gql(
          token,
          `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { ${selection} userErrors { code } } }`,
          { input },
        ),
      )[name];
      expect(payload.userErrors).toEqual([]);
      return payload;
    };
    const before = dataOf(await server.gql(world.keys.brandA, FIGURES)).analytics.timeToAction.leadToInvestigation
      .count;
    const { lead } = await mutate(
      world.keys.brandA,
      'reportLead',
      { description: 'again', sellerIds: [world.gid.sellerA] },
      'lead { id }',
    );
    await mutate(world.keys.investigator, 'triageLead', { leadId: lead.id, riskScore: 80 }, 'lead { id }');
    await mutate(
      world.keys.investigator,
      'openInvestigation',
      { leadIds: [lead.id], summary: 'a new case' },
      'investigation { id }',
    );
    expect(dataOf(await server.gql(world.keys.brandA, FIGURES)).analytics.timeToAction.leadToInvestigation.count).toBe(
      before + 1,
    );
    await expectFiguresMatchTheTables();
  });

  it("follow a correction of an investigation's creation time (the copies on its leads and referrals are kept)", async () => {
    const [investigation] = await db.dataSource.query(
      `SELECT i.id FROM investigation i WHERE EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = i.id AND r.sent_at IS NOT NULL) ORDER BY i.id LIMIT 1`,
    );
    await db.dataSource.query(`UPDATE investigation SET created_at = created_at - interval '2 days' WHERE id = $1`, [
      investigation.id,
    ]);
    await expectFiguresMatchTheTables();
  });
});
