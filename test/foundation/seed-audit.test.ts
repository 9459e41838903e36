// The seeded history is in the audit log as the API would have written it: the chain verifies over it, every
// seeded case has its events (one per version, ending in the row as stored), every status sequence is one the
// domain's state machines allow, and the dashboard's sanction series show the sellers' sanctions.
import { investigationLifecycle } from '../../src/modules/investigation/investigation.states';
import { leadLifecycle } from '../../src/modules/lead/lead.states';
import { referralLifecycle, ReferralStatus } from '../../src/modules/referral/referral.states';
import { sellerLifecycle } from '../../src/modules/seller/seller.states';
import { verifyAuditChain } from '../../src/shared/audit/audit.service';
import { StateMachine } from '../../src/shared/state-machine';
import { Marketplace, ReferralPlan } from '../../src/seed/case-plan';
import { CasePlanner } from '../../src/seed/case-planner';
import { Random } from '../../src/seed/random';
import { seedDataset, SeedCounts } from '../../src/seed/seed';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld } from '../support/fixtures';
import { dataOf, startTestServer, testConfig } from '../support/server';

let db: TestDatabase;
let counts: SeedCounts;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = testConfig();
  counts = await seedDataset(db.dataSource, {
    scale: 0.01,
    identifierHashKey: config.identifierHashKey,
    audit: config.audit,
    now: new Date(),
  });
});
afterAll(async () => {
  await db.drop();
});

const CASE_TABLES: Record<string, { table: string; status: string | null }> = {
  Lead: { table: 'lead', status: 'status' },
  Investigation: { table: 'investigation', status: 'status' },
  Referral: { table: 'referral', status: 'status' },
  Evidence: { table: 'evidence', status: null },
  Seller: { table: 'seller', status: 'status' },
};

it('writes the seeded history into the audit log: the chain and its signatures verify', async () => {
  const [{ events }] = await db.dataSource.query(`SELECT count(*)::int AS events FROM audit_event`);
  expect(events).toBe(counts.auditEvents);
  expect(events).toBeGreaterThan(counts.leads);
  const verification = await verifyAuditChain(db.dataSource.manager, { audit: testConfig().audit });
  expect(verification).toMatchObject({ ok: true, problems: [], treeSize: events, eventsChecked: events });
  // In commit order: seq and leaf follow each other and time never goes back.
  const [order] = await db.dataSource.query(`SELECT
    count(*) FILTER (WHERE at < prev_at)::int AS "backInTime",
    count(*) FILTER (WHERE leaf_index <> prev_leaf + 1)::int AS "leafGaps"
    FROM (SELECT at, leaf_index, lag(at) OVER w AS prev_at, lag(leaf_index) OVER w AS prev_leaf FROM audit_event WINDOW w AS (ORDER BY seq)) e`);
  expect(order).toEqual({ backInTime: 0, leafGaps: 0 });
});

it('gives every seeded case its events: one per version, the last one the row as stored', async () => {
  for (const [type, { table, status }] of Object.entries(CASE_TABLES)) {
    // A seeded seller was not created through the API (no seller.created): one event per change after version 1.
    const [row] = await db.dataSource.query(
      `SELECT count(*)::int AS rows,
         count(*) FILTER (WHERE t.version - ${type === 'Seller' ? 1 : 0} <> coalesce(e.n, 0))::int AS "versionsWithoutEvents",
         count(*) FILTER (WHERE e.n > 0 AND (e.last_version <> t.version ${status ? `OR e.last_status IS DISTINCT FROM t.${status}` : ''}))::int AS "lastEventNotTheRow"
       FROM ${table} t
       LEFT JOIN LATERAL (
         SELECT count(*) AS n,
                (array_agg((a.after ->> 'version')::int ORDER BY a.seq DESC))[1] AS last_version,
                (array_agg(a.after ->> 'status' ORDER BY a.seq DESC))[1] AS last_status
         FROM audit_event a WHERE a.entity_type = $1 AND a.entity_id = t.id) e ON true
       `,
      [type],
    );
    expect({ type, ...row }).toEqual({ type, rows: row.rows, versionsWithoutEvents: 0, lastEventNotTheRow: 0 });
    expect(row.rows).toBeGreaterThan(0);
  }
  // Findings, outcomes, custody transfers, escalations and feedback: one event each, naming what they were recorded on.
  const [once] = await db.dataSource.query(`SELECT
    (SELECT count(*)::int FROM finding f WHERE (SELECT count(*) FROM audit_event a WHERE a.entity_type = 'Finding' AND a.entity_id = f.id
       AND a.action = 'finding.recorded' AND (a.after ->> 'investigationId')::bigint = f.investigation_id) <> 1) AS findings,
    (SELECT count(*)::int FROM enforcement_outcome o WHERE (SELECT count(*) FROM audit_event a WHERE a.entity_type = 'EnforcementOutcome' AND a.entity_id = o.id
       AND a.action = 'enforcementOutcome.recorded' AND (a.after ->> 'referralId')::bigint = o.referral_id AND a.after ->> 'kind' = o.kind) <> 1) AS outcomes,
    (SELECT count(*)::int FROM custody_transfer c WHERE (SELECT count(*) FROM audit_event a WHERE a.entity_type = 'Evidence' AND a.entity_id = c.evidence_id
       AND a.action = 'evidence.custodyTransferred' AND (a.after ->> 'transferId')::bigint = c.id AND a.after ->> 'custodian' = c.to_custodian) <> 1) AS custody,
    (SELECT count(*)::int FROM referral_escalation x WHERE (SELECT count(*) FROM audit_event a WHERE a.entity_type = 'ReferralEscalation' AND a.entity_id = x.id
       AND a.action = 'referral.escalated' AND a.at = x.created_at AND (a.after ->> 'referralId')::bigint = x.referral_id AND a.after ->> 'missedDeadline' = x.missed_deadline) <> 1) AS escalations,
    (SELECT count(*)::int FROM referral_feedback x WHERE (SELECT count(*) FROM audit_event a WHERE a.entity_type = 'ReferralFeedback' AND a.entity_id = x.id
       AND a.action = 'referral.feedbackAdded' AND a.at = x.created_at AND (a.after ->> 'referralId')::bigint = x.referral_id) <> 1) AS feedback,
    (SELECT count(*)::int FROM lead l WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.entity_type = 'Lead'
       AND a.entity_id = l.id AND a.action = 'lead.reported' AND a.at = l.created_at)) AS "leadsNotReported"`);
  expect(once).toEqual({ findings: 0, outcomes: 0, custody: 0, escalations: 0, feedback: 0, leadsNotReported: 0 });
});

it("takes only the moves the domain's state machines allow, from each lifecycle's first status", async () => {
  const lifecycles: Record<string, [StateMachine<string>, string]> = {
    Lead: [leadLifecycle as StateMachine<string>, 'NEW'],
    Investigation: [investigationLifecycle as StateMachine<string>, 'OPEN'],
    Referral: [referralLifecycle as StateMachine<string>, 'DRAFT'],
    Seller: [sellerLifecycle as StateMachine<string>, 'ACTIVE'],
  };
  for (const [type, [lifecycle, first]] of Object.entries(lifecycles)) {
    const moves: { from: string | null; to: string; n: number }[] = await db.dataSource.query(
      `SELECT before ->> 'status' AS from, after ->> 'status' AS to, count(*)::int AS n FROM audit_event
       WHERE entity_type = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [type],
    );
    expect(moves.length).toBeGreaterThan(0);
    const refused = moves.filter((m) =>
      m.from === null ? m.to !== first : m.from !== m.to && !lifecycle.can(m.from, m.to),
    );
    expect({ type, refused }).toEqual({ type, refused: [] });
    // Each event starts where the one before it on the same record ended.
    const [{ broken }] = await db.dataSource.query(
      `SELECT count(*)::int AS broken FROM (
         SELECT before, lag(after) OVER (PARTITION BY entity_id ORDER BY seq) AS previous FROM audit_event WHERE entity_type = $1) e
       WHERE previous IS NOT NULL AND (before ->> 'status' IS DISTINCT FROM previous ->> 'status' OR (before ->> 'version')::int <> (previous ->> 'version')::int)`,
      [type],
    );
    expect({ type, broken }).toEqual({ type, broken: 0 });
  }
});

it("shows the sellers' sanctions in the dashboard's series over the seeded year", async () => {
  const world = await createWorld(db.dataSource);
  const server = await startTestServer(db);
  try {
    const { analytics } = dataOf(
      await server.gql(
        world.keys.analyst,
        `{ analytics { takedownSeries(granularity: MONTH) { buckets { sellersRestricted sellersSuspended sellersClosed } }
                       } }`,
      ),
    );
    const sum = (buckets: Record<string, number>[], key: string) => buckets.reduce((n, b) => n + b[key], 0);
    const sanctions = analytics.takedownSeries.buckets;
    expect(sum(sanctions, 'sellersRestricted')).toBeGreaterThan(0);
    expect(sum(sanctions, 'sellersSuspended')).toBeGreaterThan(0);
    expect(sum(sanctions, 'sellersClosed')).toBeGreaterThan(0);
    expect(sanctions.filter((b: Record<string, number>) => b.sellersRestricted > 0).length).toBeGreaterThan(1);
    // The same figures as the audit events say, read through the owner's connection.
    const [{ restricted }] = await db.dataSource.query(
      `SELECT count(*)::int AS restricted FROM audit_event WHERE entity_type = 'Seller' AND after ->> 'status' = 'RESTRICTED'
         AND at >= date_trunc('month', now() AT TIME ZONE 'UTC' - interval '11 months') AT TIME ZONE 'UTC'`,
    );
    expect(sum(sanctions, 'sellersRestricted')).toBe(restricted);
  } finally {
    await server.close();
  }
});

it('refuses, while it plans, a move the lifecycle does not allow', () => {
  const planner = new CasePlanner(new Random(1), { agencies: [] } as unknown as Marketplace, Date.now());
  planner.plan.referrals.push({ statuses: [ReferralStatus.DRAFT], since: [0] } as unknown as ReferralPlan);
  expect(() => planner.moveReferral(0, ReferralStatus.CLOSED, 1)).toThrow(
    'seed: referral 0 cannot move from DRAFT to CLOSED (referral lifecycle)',
  );
  expect(planner.plan.history.length).toBe(0);
  planner.moveReferral(0, ReferralStatus.SENT, 1);
  expect(planner.plan.referrals[0].statuses).toEqual([ReferralStatus.DRAFT, ReferralStatus.SENT]);
  expect(planner.plan.history.length).toBe(1);
});
