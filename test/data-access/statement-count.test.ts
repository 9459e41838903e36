import { Client } from 'pg';
import { StatementCounter } from '../../src/database/statement-counter';
import { dataOf } from '../support/server';
import { buildCase, mutate } from '../support/cases';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { useTestServer } from '../support/harness';

// The canonical operations of the benchmark (bench/ops.mjs), each costing a number of SQL statements that
// grows with the nesting of the query, never with the page size or the amount of data.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    queries = jest.spyOn(Client.prototype, 'query');
  },
});
/** The counter's logQuery, watched: its calls carry each statement's SQL, shown when a count is wrong. */
let sent: jest.SpyInstance;
/**
 * Every query a pg client sends, watched at the driver: one call is one round trip (a simple-protocol text of
 * several statements, or a prepared statement's parse, bind and execute, goes and comes back once). Installed
 * before the server's pool opens its connections, which bind it.
 */
let queries: jest.SpyInstance;
/** Sellers of region CN-ZJ, each with one listing of brand A, added to the world (global ids). */
const extra = { sellers: [] as string[], listings: [] as string[] };

beforeAll(async () => {
  sent = jest.spyOn(counter(), 'logQuery');
  // Twelve cases of brand A, each referred to agency X and actioned, so that every nested list has rows.
  for (let i = 0; i < 12; i += 1) {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: `count ${i}` });
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
    await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      { referralId: c.referralId, kind: 'RAID', occurredAt: new Date().toISOString(), arrests: 1 },
      'outcome { id }',
    );
  }
  // Four more sellers in CN-ZJ with a live listing of brand A each: reportLead's five-listing input and
  // the takedown series' growing data.
  for (let i = 0; i < 4; i += 1) {
    const [seller] = await db.dataSource.query(
      `INSERT INTO seller (platform, external_id, display_name, region, status, strike_count) VALUES ('TAOBAO', $1, $2, 'CN-ZJ', 'ACTIVE', 0) RETURNING id`,
      [`count-${i}`, `Counted seller ${i}`],
    );
    const [listing] = await db.dataSource.query(
      `INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status) VALUES ($1, $2, $3, $4, 1000, 'CNY', 'LIVE') RETURNING id`,
      [seller.id, world.ids.brandA, `Alpha copy ${i}`, `https://x/count-${i}`],
    );
    extra.sellers.push(toGlobalId('Seller', String(seller.id)));
    extra.listings.push(toGlobalId('Listing', String(listing.id)));
  }
});

const counter = () => server.dataSource.logger as StatementCounter;

async function count(token: string, query: string, variables: Record<string, unknown>) {
  const before = counter().statements;
  const calls = sent.mock.calls.length;
  const data = dataOf(await server.gql(token, query, variables));
  const sql = sent.mock.calls.slice(calls).map((call) =>
    String((call as unknown[])[0])
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 120),
  );
  return { statements: counter().statements - before, sql, data };
}

/*
 * The fixed cost of a request is measured here, not written down. `{ viewer { id role } }` reads no table: the
 * viewer is the principal that authentication already put in the context (PrincipalResolver.viewer returns
 * ctx.principal) and id and role are its own fields. So what it costs is what every request costs before
 * a resolver reads anything: authentication (unless cached), opening the transaction with the caller's
 * scope, COMMIT. A warm-up request with the same key comes first, so that a cached authentication is warm
 * for both the viewer and the measured request. (Were the transaction ever opened only when a resolver
 * reads, the viewer would cost less than a reading request's fixed part and the counts below would come
 * out too high: these tests would fail, the node lookup's one statement first, rather than pass wrongly.)
 */
const VIEWER = '{ viewer { id role } }';

/** The statements of one request beyond the fixed ones, with the fixed ones (`overhead`) measured just before. */
async function dataStatementsOf(token: string, query: string, variables: Record<string, unknown> = {}) {
  dataOf(await server.gql(token, VIEWER)); // warm-up, same key
  const fixed = await count(token, VIEWER, {});
  expect(fixed.data.viewer.id).toBeTruthy();
  // With the key's principal remembered: one round trip opening the transaction (BEGIN, the scope settings
  // and the key's re-check in one simple query) and COMMIT.
  expect(fixed.statements).toBe(2);
  const measured = await count(token, query, variables);
  return {
    overhead: fixed.statements,
    statements: measured.statements - fixed.statements,
    sql: measured.sql,
    data: measured.data,
  };
}

type Measured = Awaited<ReturnType<typeof dataStatementsOf>>;

/** Asserts the data statements of a request; when wrong, prints the SQL the request sent. */
function expectDataStatements(measured: Measured, expected: number) {
  if (measured.statements !== expected) {
    console.error(
      `${measured.statements} data statements (expected ${expected}) beyond ${measured.overhead} fixed ones:\n${measured.sql.join('\n')}`,
    );
  }
  expect(measured.statements).toBe(expected);
}

/** The brand portal's case list (canonical operation 1). */
const CASE_LIST = `query($first: Int) { leads(first: $first) { edges { node { reference status
  sellers { displayName region } investigation { status referrals { status agency { name } outcomes { kind arrests } } } } } } }`;

// The tests run in order and later ones add data (cases, takedowns, leads): the first ones count on the
// twelve cases of beforeAll only.
describe('SQL statements per request', () => {
  it('a brand portal case list costs the same statements for 5 or 50 leads (no N+1)', async () => {
    const small = await dataStatementsOf(world.keys.brandA, CASE_LIST, { first: 5 });
    const large = await dataStatementsOf(world.keys.brandA, CASE_LIST, { first: 50 });
    expect(small.data.leads.edges).toHaveLength(5);
    expect(large.data.leads.edges).toHaveLength(12);
    expect(large.data.leads.edges[0].node.investigation.referrals[0].outcomes).toEqual([{ kind: 'RAID', arrests: 1 }]);
    // the page of leads with their sellers, investigations, referrals, agencies and outcomes: the selection
    // compiled into one statement (src/shared/data-access/selection-sql.ts), which carries the request's COMMIT
    // (the operation's only root field: request-transaction.ts, finalRead), so nothing beyond the fixed two
    expectDataStatements(small, 0);
    expectDataStatements(large, 0);
  });

  it('an agency sync page of referrals with evidence, sellers and leads does not grow with the page', async () => {
    const SYNC = `query($first: Int) { referrals(first: $first) { nodes { reference status disclosedEvidence { sha256 custodyTransfers { toCustodian } }
      investigation { leads(first: 10) { nodes { reference sellers { displayName } listings(first: 5) { nodes { title } } } } } } } }`;
    const small = await dataStatementsOf(world.keys.agencyX, SYNC, { first: 2 });
    const large = await dataStatementsOf(world.keys.agencyX, SYNC, { first: 12 });
    expect(small.data.referrals.nodes).toHaveLength(2);
    expect(large.data.referrals.nodes).toHaveLength(12);
    // Custody transfers and listings are links the compiler does not follow (it declines), so the resolvers read:
    // the page of referrals; their disclosed evidence; investigations; custody transfers of the evidence;
    // the first 10 leads per investigation (one LATERAL query); their sellers; the first 5 listings per lead (LATERAL)
    expectDataStatements(small, 7);
    expectDataStatements(large, 7);
  });

  it("a node lookup costs no statement beyond the request's fixed ones (its one statement carries the COMMIT)", async () => {
    const { leads } = dataOf(await server.gql(world.keys.brandA, '{ leads(first: 1) { nodes { id } } }'));
    const lookup = await dataStatementsOf(
      world.keys.brandA,
      'query($id: ID!) { node(id: $id) { id ... on Lead { reference status } } }',
      { id: leads.nodes[0].id },
    );
    expect(lookup.data.node.reference).toMatch(/^LD-/);
    // the lead, in the round trip of the request's COMMIT (the operation's only root field)
    expectDataStatements(lookup, 0);
  });

  it('the enforcement funnel, of one brand and of everything, is one statement however many cases there are', async () => {
    const FUNNEL = `{ analytics { enforcementFunnel { leads triaged investigated referred actioned convicted stages { stage count conversionFromPrevious } } } }`;
    const brandBefore = await dataStatementsOf(world.keys.brandA, FUNNEL);
    const allBefore = await dataStatementsOf(world.keys.analyst, FUNNEL);
    // Four more cases, two of each brand, referred and actioned.
    for (let i = 0; i < 4; i += 1) {
      const c = await buildCase(server, world, {
        referTo: world.gid.agencyX,
        tag: `funnel ${i}`,
        brand: i % 2 ? 'B' : 'A',
      });
      await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
      await mutate(
        server,
        world.keys.agencyX,
        'recordEnforcementOutcome',
        { referralId: c.referralId, kind: 'RAID', occurredAt: new Date().toISOString(), arrests: 1 },
        'outcome { id }',
      );
    }
    const brandAfter = await dataStatementsOf(world.keys.brandA, FUNNEL);
    const allAfter = await dataStatementsOf(world.keys.analyst, FUNNEL);
    expect(brandAfter.data.analytics.enforcementFunnel.actioned).toBe(
      brandBefore.data.analytics.enforcementFunnel.actioned + 2,
    );
    expect(allAfter.data.analytics.enforcementFunnel.actioned).toBe(
      allBefore.data.analytics.enforcementFunnel.actioned + 4,
    );
    // one aggregate over the scoped leads, joined to their sent referrals and outcomes per investigation
    for (const measured of [brandBefore, allBefore, brandAfter, allAfter]) expectDataStatements(measured, 1);
  });

  it('monthly takedowns of a region over a year are one statement however many takedowns there are', async () => {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)).toISOString();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    const SERIES = `query($filter: AnalyticsFilter) { analytics(filter: $filter) { takedownSeries(granularity: MONTH) {
      buckets { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } } } }`;
    const filter = { from, to, regions: ['CN-ZJ'] };
    const total = (measured: Measured, key: string) =>
      measured.data.analytics.takedownSeries.buckets.reduce((sum: number, bucket: any) => sum + bucket[key], 0);
    const before = await dataStatementsOf(world.keys.analyst, SERIES, { filter });
    // Listings of CN-ZJ sellers taken down (one of them twice, reinstated between) and a seller restricted.
    const inv = world.keys.investigator;
    await mutate(
      server,
      inv,
      'takeDownListings',
      { listingIds: [world.gid.listingA1, ...extra.listings], reason: 'counterfeit' },
      'listings { id }',
    );
    await mutate(
      server,
      inv,
      'reinstateListing',
      { listingId: extra.listings[0], reason: 'counter-notice' },
      'listing { id }',
    );
    await mutate(
      server,
      inv,
      'takeDownListings',
      { listingIds: [extra.listings[0]], reason: 'counterfeit again' },
      'listings { id }',
    );
    await mutate(
      server,
      inv,
      'updateSellerStatus',
      { sellerId: extra.sellers[1], status: 'RESTRICTED', reason: 'repeat' },
      'seller { id }',
    );
    const after = await dataStatementsOf(world.keys.analyst, SERIES, { filter });
    expect(after.data.analytics.takedownSeries.buckets).toHaveLength(12);
    expect(total(before, 'listingsTakenDown')).toBe(0);
    expect(total(after, 'listingsTakenDown')).toBe(6);
    expect(total(after, 'listingsReinstated')).toBe(1);
    expect(total(after, 'sellersRestricted')).toBe(1);
    // one statement: the month series LEFT JOINed to the takedowns, reinstatements and sanctions (UNION ALL)
    expectDataStatements(before, 1);
    expectDataStatements(after, 1);
  });
});

// The write operations' round trips: what runs under the audit chain's lock is counted.
describe('SQL statements per change', () => {
  it('reportLead costs the same statements for one seller and listing as for five', async () => {
    const REPORT = `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id reference } userErrors { code message field } } }`;
    const one = await dataStatementsOf(world.keys.brandA, REPORT, {
      input: { description: 'one of each', sellerIds: [world.gid.sellerA], listingIds: [world.gid.listingA1] },
    });
    const five = await dataStatementsOf(world.keys.brandA, REPORT, {
      input: {
        description: 'five of each',
        sellerIds: [world.gid.sellerA, ...extra.sellers],
        listingIds: [world.gid.listingA1, ...extra.listings],
      },
    });
    expect(one.data.reportLead.userErrors).toEqual([]);
    expect(five.data.reportLead.userErrors).toEqual([]);
    const { node } = dataOf(
      await server.gql(
        world.keys.brandA,
        'query($id: ID!) { node(id: $id) { ... on Lead { sellers { id } listings(first: 10) { nodes { id } } } } }',
        { id: five.data.reportLead.lead.id },
      ),
    );
    expect(node.sellers).toHaveLength(5);
    expect(node.listings.nodes).toHaveLength(5);
    // The named sellers, checked visible (one query for all); the named listings (likewise); the brand's
    // decided reports of the fast-track window (brand_report_stats: one index range of per-day counters, kept
    // by triggers on lead_brand and lead, which add no statement; it read the brand's whole report history);
    // INSERT lead with its id drawn and its reference numbered in the statement, and INSERT lead_brand,
    // lead_seller and lead_listing in its WITH (each an INSERT ... SELECT unnest), all one statement (without
    // RETURNING: a brand may read a lead only once it names the brand, policies.sql.ts); the lead read back;
    // then, last, the audit chain's advisory lock with its head and the next seqs (one statement,
    // audit_chain_lock_head); the signed INSERT audit_event with the COMMIT (one round trip). The chain's lock is
    // held for these last two round trips only. Nothing is read after it (the payload is the lead as read back),
    // so no transaction is opened again and the request ends there: 8 round trips in all, counted here as 6
    // beyond the 2 of a read.
    expectDataStatements(one, 6);
    expectDataStatements(five, 6);
    // The last two round trips of the change, and of the request.
    const [lock, commit] = one.sql.slice(-2);
    expect(lock).toMatch(/^SELECT head, size::text, seqs::text\[\] FROM audit_chain_lock_head/);
    expect(commit).toMatch(/^INSERT INTO "audit_event"/);
  });
});

/**
 * The round trips of one request to PostgreSQL on its connection (the client whose first query opens the
 * transaction), after a warm-up request with the same key (authentication cached). Queries of other clients
 * in the meantime (the pool opening a connection) are not the request's.
 */
async function roundTripsOf(token: string, query: string, variables: Record<string, unknown> = {}) {
  dataOf(await server.gql(token, VIEWER));
  const before = queries.mock.calls.length;
  const data = dataOf(await server.gql(token, query, variables));
  const sent = queries.mock.calls.slice(before).map((call, i) => {
    const text = typeof call[0] === 'string' ? call[0] : (call[0] as { text: string }).text;
    return { client: queries.mock.contexts[before + i], text: String(text).replace(/\s+/g, ' ').trim().slice(0, 160) };
  });
  const request = sent.find((call) => call.text.startsWith('START TRANSACTION'))?.client;
  const calls = sent.filter((call) => call.client === request).map((call) => call.text);
  return { roundTrips: calls.length, calls, data };
}

function expectRoundTrips(measured: Awaited<ReturnType<typeof roundTripsOf>>, expected: number) {
  if (measured.roundTrips !== expected)
    console.error(`${measured.roundTrips} round trips (expected ${expected}):\n${measured.calls.join('\n')}`);
  expect(measured.roundTrips).toBe(expected);
}

// The canonical reads of the benchmark (bench/ops.mjs), as sent there. Each costs two round trips whatever
// the depth of its selection: the transaction opened with the caller's scope and the key's check, then the data
// (the selection compiled into one statement, src/shared/data-access/selection-sql.ts) with COMMIT: the operation
// has one root field, whose statement ends the read transaction (request-transaction.ts, finalRead).
const BENCH_CASE_LIST = `query CaseList($first: Int!) { leads(first: $first) { pageInfo { hasNextPage } nodes { id reference status riskScore createdAt
  sellers { displayName region status } investigation { reference status referrals { reference status sentAt agency { code name } outcomes { kind occurredAt arrests } } } } } }`;
const BENCH_AGENCY_SYNC = `query AgencySync($first: Int!) { referrals(first: $first) { pageInfo { hasNextPage } nodes { id reference status sentAt
  disclosedEvidence { kind sha256 custodian } investigation { reference status leads(first: 10) { nodes { reference status sellers { displayName region } } } } } } }`;
const BENCH_NODE = 'query Node($id: ID!) { node(id: $id) { id ... on Lead { reference status riskScore createdAt } } }';

describe('round trips per canonical read', () => {
  it('the brand portal case list (op 1): two round trips, the statement of data with COMMIT, for 1 or 50 leads', async () => {
    for (const first of [1, 50]) {
      const measured = await roundTripsOf(world.keys.brandA, BENCH_CASE_LIST, { first });
      expect(measured.data.leads.nodes.length).toBeGreaterThanOrEqual(1);
      expectRoundTrips(measured, 2);
      // The connection's prepared statement of the selection (PREPARE'd by SQL on its first use), then COMMIT.
      expect(measured.calls[1]).toMatch(/^SET LOCAL plan_cache_mode = auto; (PREPARE|EXECUTE) "eca_[A-Za-z0-9_-]+"/);
      expectDataStatements(await dataStatementsOf(world.keys.brandA, BENCH_CASE_LIST, { first }), 0);
    }
    // Deeper (edges, cursors, the investigation's leads and their sellers): still two.
    const deeper = `query { leads(first: 20) { edges { cursor node { reference sellers { displayName } investigation { leads(first: 5) { nodes { reference sellers { region } } } referrals { agency { name } outcomes { kind } } } } } pageInfo { endCursor } } }`;
    expectRoundTrips(await roundTripsOf(world.keys.brandA, deeper), 2);
    expectRoundTrips(await roundTripsOf(world.keys.investigator, deeper), 2);
    // With a second root field, the data statements are ordinary reads and COMMIT ends the request: one more.
    expectRoundTrips(
      await roundTripsOf(world.keys.brandA, `query { viewer { id } ${deeper.slice('query {'.length)}`),
      3,
    );
  });

  it('the agency sync (op 2): two round trips, the statement of data with COMMIT', async () => {
    for (const first of [2, 100]) {
      const measured = await roundTripsOf(world.keys.agencyX, BENCH_AGENCY_SYNC, { first });
      expect(measured.data.referrals.nodes.length).toBeGreaterThanOrEqual(2);
      expect(measured.data.referrals.nodes[0].investigation.leads.nodes[0].sellers.length).toBeGreaterThanOrEqual(1);
      expectRoundTrips(measured, 2);
      expectDataStatements(await dataStatementsOf(world.keys.agencyX, BENCH_AGENCY_SYNC, { first }), 0);
    }
  });

  it('a node lookup (op 3): two round trips, the statement of data with COMMIT', async () => {
    const { leads } = dataOf(await server.gql(world.keys.brandA, '{ leads(first: 1) { nodes { id } } }'));
    const measured = await roundTripsOf(world.keys.brandA, BENCH_NODE, { id: leads.nodes[0].id });
    expect(measured.data.node.reference).toMatch(/^LD-/);
    expectRoundTrips(measured, 2);
    expectDataStatements(await dataStatementsOf(world.keys.brandA, BENCH_NODE, { id: leads.nodes[0].id }), 0);
  });
});
