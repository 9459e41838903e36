import { Client } from 'pg';
import { TOO_SLOW_MESSAGE } from '../../src/http/format-error';
import { dataOf } from '../support/server';
import { buildCase } from '../support/cases';
import { useTestServer } from '../support/harness';

// A query of one compiled root field sends its statement with the read transaction's COMMIT, as
// `EXECUTE` of the connection's prepared statement (`PREPARE`d by SQL on its first use): request-transaction.ts,
// finalRead. These tests look at it from PostgreSQL's side, through the owner's connection.

const { db, world, server } = useTestServer({
  beforeClose: async () => {
    await owner.end();
  },
});
/** The owner's connection that locks the lead table. */
let owner: Client;
const NODE = 'query($id: ID!) { node(id: $id) { id ... on Lead { reference status } } }';

beforeAll(async () => {
  await buildCase(server, world, { referTo: world.gid.agencyX, brand: 'A' });
  owner = new Client({ connectionString: db.url });
  await owner.connect();
});

/** The server's backends, as the owner sees them (outside the lock's transaction, whose view of them would stay as first read). */
const backends = async () =>
  (await db.dataSource.query(
    `SELECT pid, state, wait_event_type, query FROM pg_stat_activity WHERE application_name = 'eca-test-server' AND datname = current_database()`,
  )) as { pid: number; state: string; wait_event_type: string | null; query: string }[];

describe('a read whose statement carries its COMMIT', () => {
  it('fails as that statement fails, PREPARE included, and its connection then answers the same read, preparing it again only if PostgreSQL lost it', async () => {
    const { leads } = dataOf(await server.gql(world.keys.brandA, '{ leads(first: 1) { nodes { id reference } } }'));
    const [lead] = leads.nodes;
    // The lead table locked by the owner: the lookup waits in PostgreSQL, and is cancelled there.
    await owner.query('BEGIN');
    await owner.query('LOCK TABLE lead IN ACCESS EXCLUSIVE MODE');
    const answer = server.gql(world.keys.brandA, NODE, { id: lead.id });
    let waiting: Awaited<ReturnType<typeof backends>>[number] | undefined;
    for (let i = 0; i < 200 && !waiting; i += 1) {
      waiting = (await backends()).find((b) => b.wait_event_type === 'Lock' && /EXECUTE "eca_/.test(b.query));
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(waiting).toBeDefined();
    // Its first use on this connection: prepared, executed and committed in one query.
    expect(waiting!.query).toMatch(
      /^SET LOCAL plan_cache_mode = auto;\s+PREPARE "eca_[A-Za-z0-9_-]+" AS SELECT [\s\S]+;\s+EXECUTE "eca_[A-Za-z0-9_-]+"\('\d+'\);\s+COMMIT$/,
    );
    await owner.query('SELECT pg_cancel_backend($1)', [waiting!.pid]);
    await owner.query('ROLLBACK');
    const failed = (await answer).body as any;
    // As any cancelled statement is answered (format-error.ts): the field null, SERVICE_UNAVAILABLE.
    expect(failed.data).toEqual({ node: null });
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({
      message: TOO_SLOW_MESSAGE,
      path: ['node'],
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    // Nothing left open: every backend of the server idle, outside a transaction.
    expect((await backends()).filter((b) => b.state !== 'idle')).toEqual([]);

    // The same read again, twice: answered, on the same connection (the pool lends its last one). Whether the PREPARE
    // before the cancelled EXECUTE was kept was asked of PostgreSQL after the failure, so the second lookup prepares
    // it again only if it is gone (a PREPARE of an existing name would fail), and the third only executes it.
    for (const prepared of [/(PREPARE "eca_[A-Za-z0-9_-]+" AS [\s\S]+;\s+)?/, /()/]) {
      const again = dataOf(await server.gql(world.keys.brandA, NODE, { id: lead.id }));
      expect(again.node).toEqual({ id: lead.id, reference: lead.reference, status: expect.any(String) });
      const same = (await backends()).find((b) => b.pid === waiting!.pid);
      expect(same?.state).toBe('idle');
      expect(same?.query).toMatch(
        new RegExp(
          `^SET LOCAL plan_cache_mode = auto;\\s+${prepared.source}EXECUTE "eca_[A-Za-z0-9_-]+"\\('\\d+'\\);\\s+COMMIT$`,
        ),
      );
    }
    expect((await backends()).filter((b) => b.state !== 'idle')).toEqual([]);
  });

  it('is an ordinary read when the operation has a second root field: the request commits at its end', async () => {
    const { leads } = dataOf(await server.gql(world.keys.brandA, '{ leads(first: 1) { nodes { id } } }'));
    const before = new Map((await backends()).map((b) => [b.pid, b.query]));
    const both = dataOf(
      await server.gql(world.keys.brandA, `query($id: ID!) { viewer { id } node(id: $id) { id } }`, {
        id: leads.nodes[0].id,
      }),
    );
    expect(both.node.id).toBe(leads.nodes[0].id);
    // The request's connection: its last statement the request's own COMMIT (the lookup was an ordinary read before it).
    const used = (await backends()).filter((b) => before.get(b.pid) !== b.query);
    expect(used.map((b) => b.query)).toEqual(['COMMIT']);
    expect((await backends()).filter((b) => b.state !== 'idle')).toEqual([]);
  });
});
