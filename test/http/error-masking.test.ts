import { APP_ROLE } from '../../src/database/data-source';
import { LoggedServer, post, snapshot, startLoggedServer } from './support';
import { useTestServer } from '../support/harness';

/**
 * Unexpected errors reach the client as INTERNAL_SERVER_ERROR with a generic message and an errorId;
 * the server log has the full detail under that id. Forced here through a real fault: PostgreSQL
 * refusing the API's role (eca_app) a privilege it needs, as after a botched migration or grant.
 */

const { db, world } = useTestServer({
  server: false,
  beforeClose: async () => {
    await server?.close();
  },
});
let server: LoggedServer;

beforeAll(async () => {
  // Development mode: the one where Apollo would otherwise put stack traces in responses.
  server = await startLoggedServer(db, { NODE_ENV: 'development' });
});

/** Runs `work` with `privilege` on `table` revoked from the API's role, then grants it back. */
async function without<T>(privilege: string, table: string, work: () => Promise<T>): Promise<T> {
  await db.dataSource.query(`REVOKE ${privilege} ON ${table} FROM ${APP_ROLE}`);
  try {
    return await work();
  } finally {
    await db.dataSource.query(`GRANT ${privilege} ON ${table} TO ${APP_ROLE}`);
  }
}

// Words of the database and of the code that must never reach a client.
const NEVER_SENT =
  /permission denied|SELECT|INSERT|FROM|WHERE|"agency"|agency\b|\blead\b|eca_app|QueryFailedError|42501|stack|\.ts\b|\.js\b|node_modules|\bat \w/;

function expectMasked(response: { status: number; text: string; body: any }): { errorId: string; requestId: string } {
  expect(response.status).toBeLessThan(600);
  const errors = response.body.errors;
  expect(errors).toHaveLength(1);
  const [error] = errors;
  expect(error.message).toMatch(/^Internal error \(id [0-9a-f-]{36}\)\.$/);
  expect(error.extensions).toEqual({
    code: 'INTERNAL_SERVER_ERROR',
    errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    requestId: expect.any(String),
  });
  expect(error.message).toContain(error.extensions.errorId);
  // Nothing of the fault: neither in the error nor anywhere else in the body.
  const { path: _path, ...rest } = error;
  expect(JSON.stringify(rest)).not.toMatch(NEVER_SENT);
  expect(JSON.stringify(response.body.extensions ?? {})).not.toMatch(NEVER_SENT);
  return { errorId: error.extensions.errorId, requestId: error.extensions.requestId };
}

function logLineOf(errorId: string): Record<string, any> {
  const line = server.logs.find((l) => l.errorId === errorId);
  expect(line).toBeDefined();
  return line!;
}

describe('unexpected errors', () => {
  it('are masked for the client, with an errorId that the log has with the full detail', async () => {
    const response = await without('SELECT', 'agency', () =>
      post(server.url, { token: world.keys.brandA, body: { query: '{ agencies(first: 5) { nodes { code name } } }' } }),
    );
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ agencies: null });
    const { errorId, requestId } = expectMasked(response);
    const line = logLineOf(errorId);
    expect(line).toMatchObject({ level: 50, msg: 'unexpected error', requestId, path: ['agencies'] });
    expect(line.err.message).toBe('permission denied for table agency');
    expect(line.err.code).toBe('42501');
    expect(line.err.query).toMatch(/FROM "agency"/);
    expect(line.err.stack).toMatch(/QueryFailedError/);
    // The request's own log line counts it as an error of that code.
    expect(server.logs.find((l) => l.msg === 'request' && l.requestId === requestId)).toMatchObject({
      outcome: 'error',
      errorCodes: ['INTERNAL_SERVER_ERROR'],
    });
  });

  it('in a mutation, roll back everything it wrote', async () => {
    const before = await snapshot(db.dataSource);
    const response = await without('INSERT', 'audit_event', () =>
      post(server.url, {
        token: world.keys.brandA,
        body: {
          query:
            'mutation { reportLead(input: { description: "lost to a fault" }) { lead { id } userErrors { code } } }',
        },
      }),
    );
    const { errorId } = expectMasked(response);
    expect(logLineOf(errorId).err.message).toBe('permission denied for table audit_event');
    expect(await snapshot(db.dataSource)).toEqual(before);
    // The same mutation goes through once the privilege is back.
    const retried = await post(server.url, {
      token: world.keys.brandA,
      body: {
        query: 'mutation { reportLead(input: { description: "after the fault" }) { lead { id } userErrors { code } } }',
      },
    });
    expect(retried.body.data.reportLead.lead.id).toEqual(expect.any(String));
  });

  it('never carry a stack trace, even in development mode', async () => {
    for (const query of ['{ viewer { nope } }', '{ viewer { id }', '{ listings(first: -1) { totalCount } }']) {
      const response = await post(server.url, { token: world.keys.brandA, body: { query } });
      for (const error of response.body.errors) {
        expect(error.extensions.stacktrace).toBeUndefined();
        expect(JSON.stringify(error)).not.toMatch(/\.ts:\d+|node_modules|\bat \w+ \(/);
      }
    }
  });
});
