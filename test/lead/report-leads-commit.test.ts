import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { ProxiedServer, startProxiedServer } from '../operations/support/proxied-server';
import type { TcpProxy } from '../operations/support/tcp-proxy';
import { useTestServer } from '../support/harness';

// reportLeads commits one chunk of 50 items at a time. The connection lost at one chunk's COMMIT (its reply lost
// after PostgreSQL committed, or the COMMIT lost on its way): the chunks before it are answered as kept, that
// chunk's items OUTCOME_UNKNOWN, the later ones NOT_KEPT; a retry of the whole batch with the same keys settles
// every item, each once. When it is the first chunk, nothing was answered as kept: the field is OUTCOME_UNKNOWN.

let proxied: ProxiedServer | undefined;
const { db, world } = useTestServer({ server: false, beforeClose: async () => proxied?.close() });
let proxy: TcpProxy;
let url: string;

beforeAll(async () => {
  proxied = await startProxiedServer(db.apiUrl, { applicationName: 'eca-report-leads-commit' });
  ({ proxy, url } = proxied);
});

const REPORT_LEADS = `mutation($input: ReportLeadsInput!) { reportLeads(input: $input) {
  results { index outcome message lead { id reference } userErrors { code } } userErrors { code } } }`;

async function reportLeads(items: object[]) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${world.keys.brandA}` },
    body: JSON.stringify({ query: REPORT_LEADS, variables: { input: { items } } }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const itemsOf = (run: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    description: `${run}-${i}`,
    sellerIds: [world.gid.sellerA],
    idempotencyKey: `${run}-${i}`,
  }));
/** The index of each kept lead of the run, by its row id. */
async function keptOf(run: string): Promise<Map<number, string>> {
  const rows = await db.dataSource.query(`SELECT id::text, description FROM lead WHERE description LIKE $1`, [
    `${run}-%`,
  ]);
  return new Map(rows.map((r: { id: string; description: string }) => [Number(r.description.split('-').pop()), r.id]));
}
const eventsOf = async (run: string) =>
  (
    await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event a JOIN lead l ON a.entity_type = 'Lead' AND a.entity_id = l.id
       WHERE a.action = 'lead.reported' AND l.description LIKE $1`,
      [`${run}-%`],
    )
  )[0].n;
/**
 * The text only the COMMIT of chunk `chunk` carries: the audit event of its first lead, whose id is known in
 * advance (every item valid, so each takes the next id of lead's identity, in order).
 */
async function commitOfChunk(chunk: number): Promise<string> {
  const [{ next }] = await db.dataSource.query(
    `SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END::text AS next FROM lead_id_seq`,
  );
  return `"entity_id":"${BigInt(next) + BigInt(chunk * 50)}"`;
}
const outcomes = (body: any) => body.data.reportLeads.results.map((r: any) => r.outcome);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The whole batch again, with its keys: every item settled, each kept once, the earlier answers' leads kept. */
async function retrySettles(run: string, items: object[], answered: Map<number, string>) {
  const retry = await reportLeads(items);
  expect(retry.status).toBe(200);
  const kept = await keptOf(run);
  expect(kept.size).toBe(items.length);
  expect(await eventsOf(run)).toBe(items.length);
  for (const result of retry.body.data.reportLeads.results) {
    expect(decodeGlobalId(result.lead.id).rowId).toBe(kept.get(result.index));
    if (answered.has(result.index)) expect(kept.get(result.index)).toBe(answered.get(result.index));
  }
  return outcomes(retry.body);
}

describe('the connection lost at the COMMIT of a later chunk', () => {
  it('after PostgreSQL committed it: earlier chunk CREATED, that chunk OUTCOME_UNKNOWN (kept), later NOT_KEPT', async () => {
    const items = itemsOf('reply-lost', 120);
    const sprung = proxy.dropAfter(await commitOfChunk(1));
    const first = await reportLeads(items);
    await sprung;
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const answered = outcomes(first.body);
    expect(answered).toEqual([
      ...range(0, 50).map(() => 'CREATED'),
      ...range(50, 100).map(() => 'OUTCOME_UNKNOWN'),
      ...range(100, 120).map(() => 'NOT_KEPT'),
    ]);
    const results = first.body.data.reportLeads.results;
    expect(results[60].message).toMatch(/may or may not have been kept.*same idempotencyKey/);
    expect(results[110].message).toMatch(/Not tried/);
    expect(results.slice(50).every((r: any) => r.lead === null)).toBe(true);
    // The chunk whose reply was lost was committed; the one after it never ran.
    const kept = await keptOf('reply-lost');
    expect([...kept.keys()].sort((a, b) => a - b)).toEqual(range(0, 100));
    const created = new Map<number, string>(
      results.slice(0, 50).map((r: any) => [r.index, decodeGlobalId(r.lead.id).rowId]),
    );
    for (const [index, id] of created) expect(kept.get(index)).toBe(id);

    expect(await retrySettles('reply-lost', items, created)).toEqual([
      ...range(0, 100).map(() => 'REPLAYED'),
      ...range(100, 120).map(() => 'CREATED'),
    ]);
  });

  it('before it reached PostgreSQL: that chunk OUTCOME_UNKNOWN but not kept; the retry creates it once', async () => {
    const items = itemsOf('commit-lost', 120);
    const sprung = proxy.dropBefore(await commitOfChunk(1));
    const first = await reportLeads(items);
    await sprung;
    expect(first.status).toBe(200);
    expect(outcomes(first.body)).toEqual([
      ...range(0, 50).map(() => 'CREATED'),
      ...range(50, 100).map(() => 'OUTCOME_UNKNOWN'),
      ...range(100, 120).map(() => 'NOT_KEPT'),
    ]);
    // PostgreSQL rolled back the transaction whose connection ended before its COMMIT.
    expect([...(await keptOf('commit-lost')).keys()].sort((a, b) => a - b)).toEqual(range(0, 50));
    const created = new Map<number, string>(
      first.body.data.reportLeads.results.slice(0, 50).map((r: any) => [r.index, decodeGlobalId(r.lead.id).rowId]),
    );
    expect(await retrySettles('commit-lost', items, created)).toEqual([
      ...range(0, 50).map(() => 'REPLAYED'),
      ...range(50, 120).map(() => 'CREATED'),
    ]);
  });
});

describe('the connection lost at the COMMIT of the first chunk', () => {
  it('answers the field OUTCOME_UNKNOWN (503), as reportLead; the retry answers the kept chunk REPLAYED', async () => {
    const items = itemsOf('first-lost', 60);
    const sprung = proxy.dropAfter(await commitOfChunk(0));
    const first = await reportLeads(items);
    await sprung;
    expect(first.status).toBe(503);
    expect(first.body.data.reportLeads).toBeNull();
    expect(first.body.errors.map((e: any) => e.extensions.code)).toEqual(['OUTCOME_UNKNOWN']);
    expect([...(await keptOf('first-lost')).keys()].sort((a, b) => a - b)).toEqual(range(0, 50));
    expect(await retrySettles('first-lost', items, new Map())).toEqual([
      ...range(0, 50).map(() => 'REPLAYED'),
      ...range(50, 60).map(() => 'CREATED'),
    ]);
  });
});
