import { Client } from 'pg';
import { buildServer, ServerProcess, startServerProcess } from './support/server-process';
import { useTestServer } from '../support/harness';
import { waitFor } from '../support/wait-for';

// The compiled server as a real process: SIGTERM while requests are in flight, then check that each
// accepted request got its full answer, that new connections were refused, and that it exited 0.
const { db, world, server } = useTestServer({
  server: false,
  beforeServer: async () => {
    main = buildServer();
  },
  timeout: 180_000,
});
let main: string;

// Compiling the server is CPU work that takes a while on a busy machine: more time than a test step.

const BURST = 20;
const QUERY = 'query Burst { viewer { id role } listings(first: 5) { totalCount nodes { id title } } }';

type Outcome =
  { kind: 'answered'; status: number; body: any; connection: string | null } | { kind: 'refused'; code: string };

async function send(server: ServerProcess, token: string, requestId: string): Promise<Outcome> {
  try {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
      body: JSON.stringify({ query: QUERY }),
    });
    // A cut connection would fail here, while reading the body.
    return {
      kind: 'answered',
      status: response.status,
      body: await response.json(),
      connection: response.headers.get('connection'),
    };
  } catch (error) {
    return { kind: 'refused', code: String((error as { cause?: { code?: string } }).cause?.code ?? error) };
  }
}

it('on SIGTERM, finishes the requests in flight, refuses new ones, closes the pool and exits 0', async () => {
  const server = await startServerProcess(main, {
    // The API's login, as deployed: the database is migrated already, the server holds no owner credential.
    DATABASE_URL: db.apiUrl,
    // As deployed, not NODE_ENV=test: libraries behave differently under test (Apollo's own signal handling).
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATABASE_POOL_SIZE: String(BURST + 5),
    SHUTDOWN_GRACE_MS: '15000',
  });
  // Hold every request at its first query (the API key lookup) until the test lets go, so that the
  // whole burst is provably in flight inside the server when SIGTERM arrives.
  const blocker = new Client({ connectionString: db.url });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE api_key IN ACCESS EXCLUSIVE MODE');
    const burst = Array.from({ length: BURST }, (_, i) => send(server, world.keys.admin, `burst-${i}`));
    // (Watched from another connection: inside a transaction, pg_stat_activity is a frozen snapshot.)
    await waitFor('the burst to wait on the lock', async () => {
      const [{ n }] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'enforcement-api' AND wait_event_type = 'Lock'`,
      );
      return n === BURST;
    });

    server.child.kill('SIGTERM');
    await server.waitForLog((line) => /^shutting down/.test(line.msg));
    // Mid-burst, new requests are refused at the door; none is half-answered.
    const late = await Promise.all(Array.from({ length: 5 }, (_, i) => send(server, world.keys.admin, `late-${i}`)));
    for (const outcome of late) expect(outcome).toEqual({ kind: 'refused', code: 'ECONNREFUSED' });

    await blocker.query('COMMIT');
    const answered = await Promise.all(burst);
    for (const outcome of answered) {
      expect(outcome).toMatchObject({ kind: 'answered', status: 200, connection: 'close' });
      if (outcome.kind !== 'answered') continue;
      expect(outcome.body.errors).toBeUndefined();
      expect(outcome.body.data.viewer.role).toBe('ADMIN');
      expect(outcome.body.data.listings.nodes).toHaveLength(4);
    }
    expect(await server.exited).toBe(0);
  } finally {
    server.child.kill('SIGKILL');
    await blocker.end().catch(() => undefined);
  }

  const logs = server.logs();
  expect(
    logs.filter((line) => line.msg === 'request' && /^burst-/.test(line.requestId) && line.status === 200),
  ).toHaveLength(BURST);
  expect(logs.at(-1)).toMatchObject({ msg: 'stopped', requestsCut: false });
  // The pool was closed: no connection of the server is left.
  const [{ n }] = await db.dataSource.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'enforcement-api'`,
  );
  expect(n).toBe(0);
});
