// reportLeads: up to 300 reports in one request, each by reportLead's own rules and each answered on its own
// (created, replayed, refused), in chunks of 50 committed one by one. Every answer is checked in the database
// through the owner's connection: exactly the items answered CREATED hold a lead, with its links, its key and one
// audit event; a refused item leaves nothing.
import { parse } from 'graphql';
import { operationCost } from '../../src/http/query-limits';
import { buildAppSchema } from '../../src/schema';
import { decodeGlobalId, toGlobalId } from '../../src/shared/relay/global-id';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const REPORT_LEADS = `mutation($input: ReportLeadsInput!) { reportLeads(input: $input) {
  results { index idempotencyKey outcome message lead { id reference status source description fastTrack } userErrors { code field message } }
  userErrors { code field message } } }`;

type Item = Record<string, unknown>;
type Expected = { outcome: 'CREATED' | 'REFUSED'; code?: string; field?: string[] };

const owner = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
const reportLeads = async (token: string, items: Item[]) =>
  dataOf(await server.gql(token, REPORT_LEADS, { input: { items } })).reportLeads;
const rowId = (globalId: string) => decodeGlobalId(globalId).rowId;

/** 300 items of brand A's partner, most valid, every tenth-or-so broken in a way of its own. */
function batch(run: string): { items: Item[]; expected: Expected[] } {
  const items: Item[] = [];
  const expected: Expected[] = [];
  for (let i = 0; i < 300; i += 1) {
    const item: Item = {
      description: `${run}-${i}`,
      sellerIds: [world.gid.sellerA],
      listingIds: i % 2 ? [world.gid.listingA1] : [],
      reporterPriority: i % 101,
      idempotencyKey: `${run}-key-${i}`,
    };
    const at = (...field: string[]) => ['input', 'items', String(i), ...field];
    let wants: Expected = { outcome: 'CREATED' };
    if (i % 20 === 3) {
      item.brandIds = [world.gid.brandB]; // another brand: as if it did not exist
      wants = { outcome: 'REFUSED', code: 'NOT_FOUND', field: at('brandIds', '0') };
    } else if (i % 20 === 7) {
      item.source = 'PLATFORM_DETECTION'; // a brand partner reports BRAND_REPORT only
      wants = { outcome: 'REFUSED', code: 'INVALID', field: at('source') };
    } else if (i % 20 === 11) {
      item.sellerIds = [world.gid.sellerA, toGlobalId('Seller', '987654321')]; // no such seller
      wants = { outcome: 'REFUSED', code: 'NOT_FOUND', field: at('sellerIds', '1') };
    } else if (i % 20 === 13) {
      item.sellerIds = [world.gid.sellerB]; // brand B's seller: out of brand A's scope
      wants = { outcome: 'REFUSED', code: 'NOT_FOUND', field: at('sellerIds', '0') };
    } else if (i % 50 === 17) {
      item.description = 'x'.repeat(10_001);
      wants = { outcome: 'REFUSED', code: 'INVALID', field: at('description') };
    } else if (i % 50 === 19) {
      item.listingIds = ['not-an-id'];
      wants = { outcome: 'REFUSED', code: 'INVALID', field: at('listingIds', '0') };
    } else if (i % 50 === 29) {
      item.reporterPriority = 101;
      wants = { outcome: 'REFUSED', code: 'INVALID', field: at('reporterPriority') };
    }
    items.push(item);
    expected.push(wants);
  }
  return { items, expected };
}

async function storedFor(run: string) {
  return owner(
    `SELECT l.id::text, l.reference, l.description, l.status, l.source, l.reported_by_id::text AS reporter,
       (SELECT array_agg(brand_id::text ORDER BY brand_id) FROM lead_brand WHERE lead_id = l.id) AS brands,
       (SELECT array_agg(seller_id::text ORDER BY seller_id) FROM lead_seller WHERE lead_id = l.id) AS sellers,
       (SELECT count(*)::int FROM lead_listing WHERE lead_id = l.id) AS listings,
       (SELECT count(*)::int FROM audit_event a WHERE a.entity_type = 'Lead' AND a.entity_id = l.id AND a.action = 'lead.reported') AS events
     FROM lead l WHERE l.description LIKE $1 ORDER BY l.id`,
    [`${run}-%`],
  );
}
const keysOf = async (run: string) =>
  (await owner(`SELECT key FROM idempotency_key WHERE key LIKE $1 ORDER BY key`, [`${run}-key-%`])).map(
    (r: { key: string }) => r.key,
  );

describe('reportLeads with 300 items, some invalid', () => {
  const run = 'bulk300';
  let items: Item[];
  let expected: Expected[];
  let first: any;
  beforeAll(() => ({ items, expected } = batch(run)));

  it('answers each item for what it is, and stores exactly the valid ones', async () => {
    first = await reportLeads(world.keys.brandA, items);
    expect(first.userErrors).toEqual([]);
    expect(first.results).toHaveLength(300);
    const stored = await storedFor(run);
    const byDescription = new Map(stored.map((row: any) => [row.description, row]));
    for (const [i, result] of first.results.entries()) {
      const wants = expected[i];
      expect({ i, index: result.index, key: result.idempotencyKey, outcome: result.outcome }).toEqual({
        i,
        index: i,
        key: `${run}-key-${i}`,
        outcome: wants.outcome,
      });
      if (wants.outcome === 'REFUSED') {
        expect({ i, lead: result.lead, errors: result.userErrors.map((e: any) => [e.code, e.field]) }).toEqual({
          i,
          lead: null,
          errors: [[wants.code, wants.field]],
        });
        expect(result.userErrors[0].message.length).toBeGreaterThan(10);
        continue;
      }
      expect(result.userErrors).toEqual([]);
      const row = byDescription.get(`${run}-${i}`) as any;
      expect({ i, row: Boolean(row) }).toEqual({ i, row: true });
      expect(result.lead).toMatchObject({
        id: toGlobalId('Lead', row.id),
        reference: row.reference,
        status: 'NEW',
        source: 'BRAND_REPORT',
        description: `${run}-${i}`,
      });
      expect(row).toMatchObject({
        status: 'NEW',
        source: 'BRAND_REPORT',
        reporter: expect.any(String),
        brands: [world.ids.brandA],
        sellers: [world.ids.sellerA],
        listings: i % 2,
        events: 1,
      });
    }
    const created = expected.filter((e) => e.outcome === 'CREATED').length;
    expect(created).toBeGreaterThan(200);
    expect(created).toBeLessThan(300);
    expect(stored).toHaveLength(created);
    // Refused items leave neither a lead nor their idempotency key: the keys kept are exactly the created items'.
    const keys = items.filter((_, i) => expected[i].outcome === 'CREATED').map((item) => item.idempotencyKey);
    expect(await keysOf(run)).toEqual([...keys].sort());
    // One audit event per lead, none for a refused item: every lead.reported event of the request is one of these.
    const [{ events }] = await owner(
      `SELECT count(*)::int AS events FROM audit_event WHERE action = 'lead.reported' AND entity_id = ANY($1::bigint[])`,
      [stored.map((row: any) => row.id)],
    );
    expect(events).toBe(created);
    expect(new Set(stored.map((row: any) => row.reporter)).size).toBe(1);
    // Six chunks, each appending its events under the chain's lock; the rolled-back items' events were dropped.
    const verification = dataOf(
      await server.gql(world.keys.admin, '{ auditChainVerification { ok eventsChecked problem } }'),
    ).auditChainVerification;
    expect(verification).toMatchObject({ ok: true, problem: null });
  });

  it('answers the same batch again as REPLAYED, the same leads, and creates nothing new', async () => {
    const [{ leads: leadsBefore, events: eventsBefore }] = await owner(
      `SELECT (SELECT count(*)::int FROM lead) AS leads, (SELECT count(*)::int FROM audit_event) AS events`,
    );
    const again = await reportLeads(world.keys.brandA, items);
    for (const [i, result] of again.results.entries()) {
      const was = first.results[i];
      expect({ i, outcome: result.outcome, lead: result.lead?.id ?? null }).toEqual({
        i,
        outcome: was.outcome === 'CREATED' ? 'REPLAYED' : 'REFUSED',
        lead: was.lead?.id ?? null,
      });
      if (was.outcome === 'REFUSED') expect(result.userErrors).toEqual(was.userErrors);
    }
    expect(
      await owner(
        `SELECT (SELECT count(*)::int FROM lead) AS leads, (SELECT count(*)::int FROM audit_event) AS events`,
      ),
    ).toEqual([{ leads: leadsBefore, events: eventsBefore }]);
  });

  it('mixes replayed, new, repeated and conflicting keys in one batch', async () => {
    const old = (i: number) => items[i];
    const fresh = (n: number) => ({
      description: `mix-${n}`,
      sellerIds: [world.gid.sellerA],
      idempotencyKey: `mix-key-${n}`,
    });
    const answer = await reportLeads(world.keys.brandA, [
      old(0),
      fresh(1),
      old(1),
      fresh(1), // the same key and report again within the batch: the lead made just before
      { ...fresh(1), description: 'mix-other' }, // the same key for another report
      fresh(2),
    ]);
    const results = answer.results.map((r: any) => [
      r.outcome,
      r.lead?.id ?? null,
      r.userErrors.map((e: any) => e.code),
    ]);
    expect(results).toEqual([
      ['REPLAYED', first.results[0].lead.id, []],
      ['CREATED', expect.any(String), []],
      ['REPLAYED', first.results[1].lead.id, []],
      ['REPLAYED', results[1][1], []],
      ['REFUSED', null, ['IDEMPOTENCY_CONFLICT']],
      ['CREATED', expect.any(String), []],
    ]);
    expect(answer.results[4].userErrors[0].field).toEqual(['input', 'items', '4', 'idempotencyKey']);
    const stored = await owner(`SELECT id::text, description FROM lead WHERE description LIKE 'mix-%' ORDER BY id`);
    expect(stored).toEqual([
      { id: rowId(results[1][1]), description: 'mix-1' },
      { id: rowId(results[5][1]), description: 'mix-2' },
    ]);
  });
});

describe('two batches with the same keys at once', () => {
  it('make each lead once: every key is CREATED by one of them and REPLAYED by the other, with the same lead', async () => {
    const items = Array.from({ length: 40 }, (_, i) => ({
      description: `race-${i}`,
      sellerIds: [world.gid.sellerA],
      idempotencyKey: `race-key-${i}`,
    }));
    // In opposite orders, so that each waits for a key the other holds: PostgreSQL finds the deadlock, one chunk
    // is rolled back and run again once the other committed, and then finds every key taken.
    const [forward, backward] = await Promise.all([
      reportLeads(world.keys.brandA, items),
      reportLeads(world.keys.brandA, [...items].reverse()),
    ]);
    const stored = await owner(`SELECT id::text, description FROM lead WHERE description LIKE 'race-%'`);
    expect(stored).toHaveLength(40);
    const leadOf = new Map(stored.map((row: any) => [row.description, row.id]));
    for (const [i, item] of items.entries()) {
      const a = forward.results[i];
      const b = backward.results[39 - i];
      expect([a.outcome, b.outcome].sort()).toEqual(['CREATED', 'REPLAYED']);
      expect(rowId(a.lead.id)).toBe(leadOf.get(item.description));
      expect(rowId(b.lead.id)).toBe(leadOf.get(item.description));
    }
    const [{ events }] = await owner(
      `SELECT count(*)::int AS events FROM audit_event WHERE action = 'lead.reported' AND entity_id = ANY($1::bigint[])`,
      [[...leadOf.values()]],
    );
    expect(events).toBe(40);
  });
});

describe('what reportLeads refuses whole', () => {
  const count = async () => (await owner(`SELECT count(*)::int AS n FROM lead`))[0].n;

  it('refuses 301 items, naming the limit, and stores none of them', async () => {
    const before = await count();
    const items = Array.from({ length: 301 }, (_, i) => ({ description: `over-${i}`, idempotencyKey: `over-${i}` }));
    const answer = await reportLeads(world.keys.brandA, items);
    expect(answer.results).toEqual([]);
    expect(answer.userErrors).toEqual([
      { code: 'INVALID', field: ['input', 'items'], message: expect.stringContaining('at most 300 items') },
    ]);
    expect(await count()).toBe(before);
    expect(await owner(`SELECT key FROM idempotency_key WHERE key LIKE 'over-%'`)).toEqual([]);
  });

  it('refuses an empty list', async () => {
    const answer = await reportLeads(world.keys.brandA, []);
    expect(answer).toEqual({
      results: [],
      userErrors: [{ code: 'INVALID', field: ['input', 'items'], message: expect.stringContaining('at least one') }],
    });
  });

  it('is for the roles that report leads: agencies and analysts are forbidden, and nothing is stored', async () => {
    for (const key of [world.keys.agencyX, world.keys.analyst]) {
      const response = await server.gql(key, REPORT_LEADS, {
        input: { items: [{ description: 'forbidden-bulk', brandIds: [world.gid.brandA] }] },
      });
      expect(response.body.data?.reportLeads).toBeNull();
      expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    expect(await owner(`SELECT id FROM lead WHERE description = 'forbidden-bulk'`)).toEqual([]);
  });
});

describe('reportLeads by an investigator', () => {
  it("applies reportLead's rules for internal callers: a brand is required, any source is taken", async () => {
    const answer = await reportLeads(world.keys.investigator, [
      {
        description: 'inv-bulk-1',
        brandIds: [world.gid.brandA, world.gid.brandB],
        source: 'PLATFORM_DETECTION',
        riskScore: 70,
      },
      { description: 'inv-bulk-2' },
      { description: 'inv-bulk-3', brandIds: [world.gid.brandB], sellerIds: [world.gid.sellerB] },
    ]);
    expect(answer.results.map((r: any) => [r.outcome, r.userErrors.map((e: any) => e.field)])).toEqual([
      ['CREATED', []],
      ['REFUSED', [['input', 'items', '1', 'brandIds']]],
      ['CREATED', []],
    ]);
    expect(
      await owner(
        `SELECT l.description, l.source, l.risk_score, array_agg(b.brand_id::text ORDER BY b.brand_id) AS brands
         FROM lead l JOIN lead_brand b ON b.lead_id = l.id WHERE l.description LIKE 'inv-bulk-%' GROUP BY l.id ORDER BY l.description`,
      ),
    ).toEqual([
      {
        description: 'inv-bulk-1',
        source: 'PLATFORM_DETECTION',
        risk_score: 70,
        brands: [world.ids.brandA, world.ids.brandB].sort(),
      },
      { description: 'inv-bulk-3', source: 'PLATFORM_DETECTION', risk_score: 50, brands: [world.ids.brandB] },
    ]);
    // Without keys, nothing is remembered for a retry (as reportLead without one).
    expect(answer.results.map((r: any) => r.idempotencyKey)).toEqual([null, null, null]);
  });
});

describe('the price of reportLeads', () => {
  const document = parse(
    'mutation($input: ReportLeadsInput!) { reportLeads(input: $input) { results { index outcome lead { id } userErrors { code } } userErrors { code } } }',
  );
  const single = parse(
    'mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id } userErrors { code } } }',
  );
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ description: `price-${i}` }));

  it('grows with the items sent: each item about what reportLead costs, sent alone', async () => {
    const schema = await buildAppSchema();
    const cost = (n: number) => operationCost(schema, document, undefined, { input: { items: items(n) } });
    const alone = operationCost(schema, single, undefined, { input: { description: 'x' } });
    expect(alone).toBe(10 + 1 + 1);
    // n mutations of 10, and n/300 of a payload priced at 300 results of 3 (result, lead, user error) and its user error.
    expect(cost(1)).toBe(10 + Math.ceil(901 / 300));
    expect(cost(150)).toBe(1500 + Math.ceil((901 * 150) / 300));
    expect(cost(300)).toBe(3000 + 901);
    expect(cost(300)).toBeGreaterThan(300 * alone);
    // Past the limit the request is refused whole: priced as the limit.
    expect(cost(301)).toBe(cost(300));
  });
});
