import http from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../../src/database/data-source';
import { App, createApp } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import {
  API_KEY_REVOKED_CHANNEL,
  Authenticator,
  createApiKey,
  revokeApiKey,
} from '../../src/modules/principal/principal.service';
import { Role } from '../../src/shared/auth/role';
import { hashToken } from '../../src/shared/auth/api-key-token';
import { systemContext } from '../../src/shared/context';
import { testConfig } from '../support/server';
import { PostgresServer, startPostgresServer } from './support/postgres-server';
import { useTestServer } from '../support/harness';

// Two instances of the API over one database, as behind a load balancer: a key revoked through one must be
// refused by the other within a second, before its request is parsed, validated or priced.

interface Instance {
  app: App;
  dataSource: DataSource;
  server: http.Server;
  url: string;
  logText: () => string;
}

const { db, world, server } = useTestServer({
  server: false,
  beforeClose: async () => {
    await stopInstance(a);
    await stopInstance(b);
  },
});
let a: Instance;
let b: Instance;

async function startInstance(name: string): Promise<Instance> {
  let logText = '';
  const dataSource = await createDataSource({
    url: db.apiUrl,
    api: true,
    poolSize: 5,
    applicationName: `eca-test-${name}`,
  }).initialize();
  const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => void (logText += line) });
  const app = await createApp(dataSource, testConfig(), logger);
  const server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    app,
    dataSource,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logText: () => logText,
  };
}

async function stopInstance(instance: Instance | undefined): Promise<void> {
  if (!instance) return;
  instance.server.closeAllConnections();
  await new Promise((resolve) => instance.server.close(resolve));
  await instance.app.apollo.stop();
  await instance.dataSource.destroy();
}

beforeAll(async () => {
  a = await startInstance('a');
  b = await startInstance('b');
});

async function post(instance: Instance, token: string, query: string, variables?: object) {
  const response = await fetch(`${instance.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    requestId: response.headers.get('x-request-id')!,
    body: (await response.json()) as any,
    text: '',
  };
}

const VALID = 'query Viewer { viewer { id role } }';
// A misspelt field: an internal role (the investigator below) is told "Did you mean "viewer"?".
const INVALID = '{ viewr { id } }';

async function newInvestigatorKey(name: string): Promise<{ token: string; apiKeyId: string }> {
  const response = await post(
    a,
    world.keys.admin,
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token apiKey { id } userErrors { code } } }',
    {
      input: { name, principal: { name, role: 'INVESTIGATOR' } },
    },
  );
  const { token, apiKey } = response.body.data.createApiKey;
  return { token, apiKeyId: apiKey.id };
}

/** Asks until the answer is a 401, for at most `withinMs`; returns the 401 and how long it took. */
async function untilRefused(instance: Instance, token: string, query: string, withinMs: number) {
  const started = Date.now();
  for (;;) {
    const answer = await post(instance, token, query);
    if (answer.status === 401) return { answer, ms: Date.now() - started };
    if (Date.now() - started > withinMs)
      throw new Error(`still answered ${answer.status} after ${withinMs} ms: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function expectRefusedWithoutHintsOrCost(answer: { status: number; requestId: string; body: any }, instance: Instance) {
  expect(answer.status).toBe(401);
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect(JSON.stringify(answer.body)).not.toMatch(/Did you mean|viewer/);
  expect(answer.body.extensions?.cost).toBeUndefined();
  expect(answer.body.data).toBeUndefined();
  const line = instance
    .logText()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.msg === 'request' && l.requestId === answer.requestId);
  expect(line).toMatchObject({ status: 401, errorCodes: ['UNAUTHENTICATED'] });
  expect(line.cost).toBeUndefined();
  expect(line.principal).toBeUndefined();
}

describe('a key revoked on one instance', () => {
  it('is refused by the other within a second, an invalid document and a valid one alike: 401, no hints, no cost', async () => {
    const { token, apiKeyId } = await newInvestigatorKey('revoked through A');
    // Instance B knows the key (and remembers it): it answers, with hints for the misspelt field, and prices the valid document.
    const before = await post(b, token, VALID);
    expect(before.status).toBe(200);
    expect(before.body.extensions.cost.actualQueryCost).toEqual(expect.any(Number));
    const hinted = await post(b, token, INVALID);
    expect(hinted.status).toBe(400);
    expect(hinted.body.errors[0].message).toMatch(/Did you mean "viewer"\?/);

    const revoked = await post(
      a,
      world.keys.admin,
      'mutation($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { apiKey { revokedAt } userErrors { code } } }',
      { id: apiKeyId },
    );
    expect(revoked.body.data.revokeApiKey.userErrors).toEqual([]);

    // An invalid document never reaches the statement that re-checks the key: only the notification can refuse it.
    const invalid = await untilRefused(b, token, INVALID, 1000);
    expect(invalid.ms).toBeLessThan(1000);
    expectRefusedWithoutHintsOrCost(invalid.answer, b);
    const valid = await post(b, token, VALID);
    expectRefusedWithoutHintsOrCost(valid, b);
    // And the instance that revoked it.
    expectRefusedWithoutHintsOrCost(await post(a, token, INVALID), a);
  });

  it('is heard when revoked outside a request, as `npm run cli -- apikey revoke` does', async () => {
    const { token, apiKeyId } = await newInvestigatorKey('revoked by the command line');
    expect((await post(a, token, INVALID)).status).toBe(400);
    expect((await post(b, token, INVALID)).status).toBe(400);
    await revokeApiKey(systemContext(db.dataSource, testConfig(), 'test-cli'), apiKeyId);
    for (const instance of [a, b]) {
      const refused = await untilRefused(instance, token, INVALID, 1000);
      expectRefusedWithoutHintsOrCost(refused.answer, instance);
    }
  });

  it('revoked by hand without a notification, is still refused by the check that opens the transaction, and reports no cost', async () => {
    const { token } = await newInvestigatorKey('revoked by hand');
    expect((await post(b, token, VALID)).status).toBe(200);
    // What the README tells an operator not to do alone: an UPDATE without `SELECT pg_notify(...)`.
    await db.dataSource.query('UPDATE api_key SET revoked_at = now() WHERE token_hash = $1', [hashToken(token)]);
    const refused = await post(b, token, VALID);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(refused.body.extensions?.cost).toBeUndefined();
    // Forgotten by that check: the next request is refused before it is parsed.
    expectRefusedWithoutHintsOrCost(await post(b, token, INVALID), b);
  });
});

describe('the Authenticator', () => {
  let keyCount = 0;
  async function newKey(): Promise<{ token: string; hash: string }> {
    const { token } = await newInvestigatorKey(`authenticator ${(keyCount += 1)}`);
    return { token, hash: hashToken(token) };
  }
  const revokeByHand = (hash: string, notify: boolean) =>
    db.dataSource.transaction(async (tx) => {
      await tx.query('UPDATE api_key SET revoked_at = now() WHERE token_hash = $1', [hash]);
      if (notify) await tx.query('SELECT pg_notify($1, $2)', [API_KEY_REVOKED_CHANNEL, hash]);
    });
  async function until(condition: () => boolean | Promise<boolean>, withinMs: number): Promise<number> {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Date.now() - started;
  }

  it('remembers nothing while it does not listen: a key revoked unannounced is refused at once', async () => {
    const authenticator = new Authenticator(db.dataSource);
    const { token, hash } = await newKey();
    expect(authenticator.listening).toBe(false);
    expect(await authenticator.authenticate(token)).not.toBeNull();
    await revokeByHand(hash, false);
    expect(await authenticator.authenticate(token)).toBeNull();
  });

  it('forgets a key when its revocation is announced, stops remembering when its connection is lost, and listens again', async () => {
    const dataSource = await createDataSource({
      url: db.apiUrl,
      api: true,
      poolSize: 2,
      applicationName: 'eca-test-authenticator',
    }).initialize();
    const authenticator = new Authenticator(dataSource, undefined, {
      heartbeatMs: 200,
      heartbeatTimeoutMs: 500,
      maxBackoffMs: 200,
    });
    try {
      expect(await authenticator.listen()).toBe(true);
      const listenerPid = async () =>
        (
          await db.dataSource.query(
            `SELECT pid FROM pg_stat_activity WHERE application_name = 'eca-test-authenticator revocations' AND datname = current_database()`,
          )
        )[0]?.pid;
      expect(await listenerPid()).toEqual(expect.any(Number));

      // Remembered while listening: a revocation made without its announcement is not seen (the README says to announce it).
      const quiet = await newKey();
      expect(await authenticator.authenticate(quiet.token)).not.toBeNull();
      await revokeByHand(quiet.hash, false);
      expect(await authenticator.authenticate(quiet.token)).not.toBeNull();
      // Announced: forgotten within a second.
      const announced = await newKey();
      expect(await authenticator.authenticate(announced.token)).not.toBeNull();
      await revokeByHand(announced.hash, true);
      expect(await until(async () => (await authenticator.authenticate(announced.token)) === null, 1000)).toBeLessThan(
        1000,
      );

      // The database ends the listener's session (as a restart does): nothing remembered is trusted any more.
      const pid = await listenerPid();
      await db.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
      const noticed = async () => {
        const now = await listenerPid();
        return !authenticator.listening || (now !== undefined && now !== pid);
      };
      await until(noticed, 2000);
      expect(await authenticator.authenticate(quiet.token)).toBeNull();
      // It reconnects by itself, and revocations are heard again.
      await until(
        async () => authenticator.listening && (await listenerPid()) !== undefined && (await listenerPid()) !== pid,
        5000,
      );
      const later = await newKey();
      expect(await authenticator.authenticate(later.token)).not.toBeNull();
      await revokeByHand(later.hash, true);
      expect(await until(async () => (await authenticator.authenticate(later.token)) === null, 1000)).toBeLessThan(
        1000,
      );
    } finally {
      await authenticator.close();
      await dataSource.destroy();
    }
    expect(authenticator.listening).toBe(false);
  });
});

describe('the Authenticator when PostgreSQL restarts', () => {
  let pg: PostgresServer;
  let dataSource: DataSource;
  beforeAll(async () => {
    pg = await startPostgresServer();
    dataSource = createDataSource({ url: pg.url, poolSize: 2, applicationName: 'eca-test-restart' });
    dataSource.setOptions({ extra: { ...(dataSource.options.extra as object), connectionTimeoutMillis: 1000 } });
    await dataSource.initialize();
    await migrate(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await pg?.close();
  });

  it('looks every key up while the database is away, and listens again, with backoff, when it is back', async () => {
    const authenticator = new Authenticator(dataSource, undefined, {
      heartbeatMs: 200,
      heartbeatTimeoutMs: 500,
      maxBackoffMs: 300,
    });
    const ctx = systemContext(dataSource, testConfig(), 'test-restart');
    const key = async (name: string) =>
      (await createApiKey(ctx, { name, principal: { name, role: Role.ANALYST } })).token;
    try {
      expect(await authenticator.listen()).toBe(true);
      const before = await key('before the restart');
      expect(await authenticator.authenticate(before)).not.toBeNull();

      await pg.stop();
      const down = Date.now();
      while (authenticator.listening) {
        if (Date.now() - down > 5000) throw new Error('the lost listener was not noticed');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Not listening: the key is looked up in the database, which is away; never answered from memory.
      await expect(authenticator.authenticate(before)).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 700)); // a few failed reconnections
      await pg.start();
      const up = Date.now();
      while (!authenticator.listening) {
        if (Date.now() - up > 5000) throw new Error('did not listen again within 5 s of the restart');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      // Listening again: a revocation announced after the restart is heard.
      const after = await key('after the restart');
      expect(await authenticator.authenticate(after)).not.toBeNull();
      await dataSource.transaction(async (tx) => {
        await tx.query('UPDATE api_key SET revoked_at = now() WHERE token_hash = $1', [hashToken(after)]);
        await Authenticator.announceRevocation(tx, hashToken(after));
      });
      const started = Date.now();
      while ((await authenticator.authenticate(after)) !== null) {
        if (Date.now() - started > 1000) throw new Error('the revocation was not heard within a second');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await authenticator.close();
    }
  });
});
