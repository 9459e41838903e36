import { StatementCounter } from '../../src/database/statement-counter';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { dataOf, startTestServer, TestServer } from '../support/server';
import { buildCase, mutate } from '../support/cases';

let db: TestDatabase;
let server: TestServer;
let world: World;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  server = await startTestServer(db);
  // Twelve cases of brand A, each referred to agency X and actioned, so that every nested list has rows.
  for (let i = 0; i < 12; i += 1) {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: `count ${i}` });
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
    await mutate(server, world.keys.agencyX, 'recordEnforcementOutcome', { referralId: c.referralId, kind: 'RAID', occurredAt: '2026-05-01T00:00:00Z', arrests: 1 }, 'outcome { id }');
  }
});
afterAll(async () => {
  await server.close();
  await db.drop();
});

const counter = () => server.dataSource.logger as StatementCounter;

async function statementsOf(token: string, query: string, variables: Record<string, unknown>) {
  const before = counter().statements;
  const data = dataOf(await server.gql(token, query, variables));
  return { statements: counter().statements - before, data };
}

/** The brand portal's case list (canonical operation 1). */
const CASE_LIST = `query($first: Int) { leads(first: $first) { edges { node { reference status
  sellers { displayName region } investigation { status referrals { status agency { name } outcomes { kind arrests } } } } } } }`;

describe('SQL statements per request', () => {
  it('a brand portal case list costs the same few statements for 5 or 50 leads (no N+1)', async () => {
    const small = await statementsOf(world.keys.brandA, CASE_LIST, { first: 5 });
    const large = await statementsOf(world.keys.brandA, CASE_LIST, { first: 50 });
    expect(small.data.leads.edges).toHaveLength(5);
    expect(large.data.leads.edges).toHaveLength(12);
    expect(large.data.leads.edges[0].node.investigation.referrals[0].outcomes).toEqual([{ kind: 'RAID', arrests: 1 }]);
    expect(large.statements).toBe(small.statements);
    // authentication; BEGIN, scope settings, COMMIT; leads, sellers, investigations, referrals, agencies, outcomes
    expect(large.statements).toBe(10);
  });

  it('an agency sync page of referrals with evidence, sellers and leads does not grow with the page', async () => {
    const SYNC = `query($first: Int) { referrals(first: $first) { nodes { reference status disclosedEvidence { sha256 custodyTransfers { toCustodian } }
      investigation { leads(first: 10) { nodes { reference sellers { displayName } listings(first: 5) { nodes { title } } } } } } } }`;
    const small = await statementsOf(world.keys.agencyX, SYNC, { first: 2 });
    const large = await statementsOf(world.keys.agencyX, SYNC, { first: 12 });
    expect(large.data.referrals.nodes).toHaveLength(12);
    expect(large.statements).toBe(small.statements);
  });

  it('a node lookup costs one statement beyond the request\'s fixed ones', async () => {
    const { leads } = dataOf(await server.gql(world.keys.brandA, '{ leads(first: 1) { nodes { id } } }'));
    const lookup = await statementsOf(world.keys.brandA, 'query($id: ID!) { node(id: $id) { id ... on Lead { reference status } } }', { id: leads.nodes[0].id });
    expect(lookup.data.node.reference).toMatch(/^LD-/);
    // authentication; BEGIN, scope settings, COMMIT; the lead
    expect(lookup.statements).toBe(5);
  });
});
