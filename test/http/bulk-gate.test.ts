import type { GraphQLRequestContext } from '@apollo/server';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { bulkGate } from '../../src/http/bulk-gate';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

// Bulk requests (reportLeads) hold their connection for seconds: at most half the pool runs them at once, the
// others wait for their turn without a connection, so that the rest of the pool stays for everything else.

const { db, world, server } = useTestServer();

const REPORT_LEADS = `mutation($input: ReportLeadsInput!) { reportLeads(input: $input) { results { index outcome } userErrors { code } } }`;
const AUDIT_CHAIN_LOCK = 72_100_001; // src/shared/audit/audit.service.ts

/** The test server's backends waiting for the audit chain's lock (a change at its COMMIT round trip). */
const waitingAtTheChain = async (): Promise<number> =>
  (
    await db.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
       AND application_name = 'eca-test-server' AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
    )
  )[0].n;

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting until ${what}`);
}

describe('bulk requests at once', () => {
  it('runs at most half the pool of them; the others wait without a connection, and reads go on meanwhile', async () => {
    // The audit chain's lock held by an owner transaction: every batch stops at its first chunk's COMMIT,
    // holding its connection, until the lock is let go.
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    const batches = Array.from({ length: 12 }, (_, b) =>
      server.gql(world.keys.brandA, REPORT_LEADS, {
        input: {
          items: [0, 1].map((i) => ({ description: `bulk-gate ${b}-${i}`, idempotencyKey: `bulk-gate-${b}-${i}` })),
        },
      }),
    );
    try {
      await until(async () => (await waitingAtTheChain()) === 5, '5 batches wait at the chain');
      // A read is answered at once: 5 of the pool's 10 connections are free (12 batches would have held all 10).
      const viewer = dataOf(await server.gql(world.keys.analyst, '{ viewer { role } }'));
      expect(viewer.viewer.role).toBe('ANALYST');
      // Still 5: the 7 other batches wait their turn, not at the database.
      expect(await waitingAtTheChain()).toBe(5);
    } finally {
      await holder.commitTransaction();
      await holder.release();
    }
    const answers = await Promise.all(batches);
    for (const answer of answers)
      expect(dataOf(answer).reportLeads.results.map((r: any) => r.outcome)).toEqual(['CREATED', 'CREATED']);
    // What was answered is what was kept: every report once, with its audit event (owner connection).
    const [kept] = await db.dataSource.query(
      `SELECT count(*)::int AS leads, count(DISTINCT l.description)::int AS distinct_descriptions,
              count(a.seq)::int AS events
       FROM lead l LEFT JOIN audit_event a ON a.entity_type = 'Lead' AND a.entity_id = l.id AND a.action = 'lead.reported'
       WHERE l.description LIKE 'bulk-gate %'`,
    );
    expect(kept).toEqual({ leads: 24, distinct_descriptions: 24, events: 24 });
  });
});

describe('the bulk gate', () => {
  const schema = buildSchema(readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8'));
  const request = (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    return {
      document,
      operation: document.definitions[0] as OperationDefinitionNode,
      schema,
      request: { query, variables },
    } as unknown as GraphQLRequestContext<object>;
  };
  const bulk = () => request('mutation { reportLeads(input: { items: [] }) { userErrors { code } } }');
  const sent = (gate: ReturnType<typeof bulkGate>, requestContext: object) =>
    (gate.plugin.requestDidStart as any)().then((listener: any) => listener.willSendResponse(requestContext));

  it('hands a freed slot to the next in line, and refuses one that waited too long with SERVICE_UNAVAILABLE and Retry-After', async () => {
    const gate = bulkGate(1, 100);
    const [first, second, third] = [bulk(), bulk(), bulk()];
    await gate.admit(first);
    const secondIn = gate.admit(second);
    const thirdIn = gate.admit(third);
    expect(gate.stats()).toEqual({ running: 1, waiting: 2 });
    await sent(gate, first);
    await secondIn;
    expect(gate.stats()).toEqual({ running: 1, waiting: 1 });
    await expect(thirdIn).rejects.toMatchObject({
      message: expect.stringMatching(/Too many bulk requests.*nothing was changed.*Retry in 5 s/),
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5, http: { status: 503 } },
    });
    await sent(gate, second);
    await sent(gate, third); // refused: held no slot, frees none
    expect(gate.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it('lets every other operation through, a fragment-wrapped batch included', async () => {
    const gate = bulkGate(1, 100);
    await gate.admit(
      request('mutation { closeLead(input: { leadId: "x", reason: DUPLICATE }) { userErrors { code } } }'),
    );
    await gate.admit(request('query { viewer { role } }'));
    expect(gate.stats()).toEqual({ running: 0, waiting: 0 });
    await gate.admit(
      request('mutation { ...F } fragment F on Mutation { reportLeads(input: { items: [] }) { userErrors { code } } }'),
    );
    expect(gate.stats()).toEqual({ running: 1, waiting: 0 });
  });

  it('takes a takedown of more than 50 listings as bulk, from its variables or inline, and a smaller one not', async () => {
    const TAKE_DOWN = `mutation($input: TakeDownListingsInput!) { takeDownListings(input: $input) { userErrors { code } } }`;
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `TGlzdGluZzox${i}`);
    const gate = bulkGate(10, 100);
    await gate.admit(request(TAKE_DOWN, { input: { listingIds: ids(50), reason: 'counterfeit' } }));
    await gate.admit(request(TAKE_DOWN, { input: { listingIds: ids(1), reason: 'counterfeit' } }));
    expect(gate.stats()).toEqual({ running: 0, waiting: 0 });
    await gate.admit(request(TAKE_DOWN, { input: { listingIds: ids(51), reason: 'counterfeit' } }));
    expect(gate.stats()).toEqual({ running: 1, waiting: 0 });
    const inline = `mutation { takeDownListings(input: { listingIds: [${ids(51)
      .map((id) => `"${id}"`)
      .join(', ')}], reason: "counterfeit" }) { userErrors { code } } }`;
    await gate.admit(request(inline));
    expect(gate.stats()).toEqual({ running: 2, waiting: 0 });
  });
});
