import { verifyAuditChain } from '../../src/shared/audit/audit.service';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { dataOf, startTestServer, TestServer } from '../support/server';

/**
 * The audit append in the COMMIT's round trip (audit.service.ts, migration 1764300200000): each server chains
 * its events on the tail of its own last append. Two servers on one database make each other's prediction
 * wrong: the change is then rolled back to the savepoint before audit_chain_append and appended under the
 * lock with the head read first. Whatever path each change took, every lead has its event, the chain and its
 * signatures verify, leaves are dense and seq order is leaf order (commit order).
 */

let db: TestDatabase;
let world: World;
let first: TestServer;
let second: TestServer;
beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  first = await startTestServer(db);
  second = await startTestServer(db);
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await db?.drop();
});

/** The change's COMMIT round trip with the predicted append. */
const PREDICTED = /^SAVEPOINT audit_append;\s+SELECT audit_chain_append\(/;
const REPORT = `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id reference } userErrors { code } } }`;
const report = async (server: TestServer, description: string) => {
  const { reportLead } = dataOf(await server.gql(world.keys.brandA, REPORT, { input: { description, sellerIds: [world.gid.sellerA] } }));
  expect(reportLead.userErrors).toEqual([]);
  return decodeGlobalId(reportLead.lead.id).rowId;
};

/** The SQL a server sent, from its logger (every statement of a request's connection is logged there). */
function sentBy(server: TestServer): () => string[] {
  const spy = jest.spyOn(server.dataSource.logger, 'logQuery');
  return () => spy.mock.calls.map((call) => String(call[0]));
}

async function expectChainWhole(leadIds: string[]) {
  const events = await db.dataSource.query(
    `SELECT entity_id::text, leaf_index::text, seq::text, signature IS NOT NULL AS signed FROM audit_event WHERE action = 'lead.reported' AND entity_id = ANY($1::bigint[])`,
    [leadIds],
  );
  expect(events.map((e: { entity_id: string }) => e.entity_id).sort()).toEqual([...leadIds].sort());
  expect(events.every((e: { signed: boolean }) => e.signed)).toBe(true);
  const [{ leaves, size, disorder }] = await db.dataSource.query(
    `SELECT count(*)::int AS leaves, (max(leaf_index) + 1)::int AS size,
            count(*) FILTER (WHERE seq < lag)::int AS disorder
     FROM (SELECT leaf_index, seq, lag(seq) OVER (ORDER BY leaf_index) FROM audit_event) e`,
  );
  expect(leaves).toBe(size);
  expect(disorder).toBe(0);
  const verification = await verifyAuditChain(db.dataSource.manager, { audit: first.config.audit });
  expect(verification.ok).toBe(true);
}

it('a prediction made wrong by another server is refused, and the change is appended under the lock instead', async () => {
  const ids = [await report(first, 'first learns the tail'), await report(second, 'second moves the head')];
  const sent = sentBy(first);
  ids.push(await report(first, 'first predicts the tail it wrote'));
  // Refused by audit_chain_append (the head is the second server's), then appended the two-round-trip way.
  expect(sent().some((sql) => PREDICTED.test(sql))).toBe(true);
  expect(sent()).toContain('ROLLBACK TO SAVEPOINT audit_append');
  expect(sent().some((sql) => sql.includes('audit_chain_lock_head'))).toBe(true);
  // The fallback taught it the tail: its next change is appended in one round trip.
  const before = sent().length;
  ids.push(await report(first, 'first predicts again'));
  const next = sent().slice(before);
  expect(next.some((sql) => PREDICTED.test(sql))).toBe(true);
  expect(next).not.toContain('ROLLBACK TO SAVEPOINT audit_append');
  await expectChainWhole(ids);
});

it('two servers reporting at once: every change kept once, the chain whole', async () => {
  const reports = Array.from({ length: 24 }, (_, i) => report(i % 2 ? first : second, `at once ${i}`));
  const ids = await Promise.all(reports);
  const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM lead WHERE description LIKE 'at once %'`);
  expect(n).toBe(24);
  await expectChainWhole(ids);
});
