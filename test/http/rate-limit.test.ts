import net from 'node:net';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { MemoryCostBuckets, RedisCostBuckets } from '../../src/http/rate-limit';
import { startTestServer, TestServer } from '../support/server';
import { post, snapshot } from './support';
import { useTestServer } from '../support/harness';

/**
 * Per-API-key budgets of query cost (a leaky bucket like Shopify's): the cost and the bucket in
 * `extensions.cost` of every response, RATE_LIMITED with 429 and Retry-After over budget (nothing runs),
 * and two server instances sharing one budget through Redis.
 */

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at REDIS_URL, within a second. */
async function redisReachable(): Promise<string | null> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(1000, () => done(`no answer from ${url.host} within 1 s`));
    socket.once('error', (error) => done(`${url.host}: ${error.message}`));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) =>
      done(String(data).startsWith('+PONG') ? null : `unexpected answer from ${url.host}: ${String(data).trim()}`),
    );
  });
}

const { db, world, server } = useTestServer({ server: false });

const gql = (url: string, token: string, query: string, variables?: Record<string, unknown>) =>
  post(url, { token, body: { query, variables } });

describe('memory buckets', () => {
  it('refill at the restore rate up to the maximum, and refuse without taking', async () => {
    let now = 0;
    const buckets = new MemoryCostBuckets(100, 10, () => now);
    expect(await buckets.take('k', 60)).toEqual({ allowed: true, currentlyAvailable: 40, retryAfterSeconds: 0 });
    expect(await buckets.take('k', 50)).toEqual({ allowed: false, currentlyAvailable: 40, retryAfterSeconds: 1 });
    now = 0.5;
    expect(await buckets.take('k', 50)).toEqual({ allowed: false, currentlyAvailable: 45, retryAfterSeconds: 1 });
    now = 1;
    expect(await buckets.take('k', 50)).toEqual({ allowed: true, currentlyAvailable: 0, retryAfterSeconds: 0 });
    expect((await buckets.take('k', 95)).retryAfterSeconds).toBe(10);
    expect((await buckets.take('other', 100)).allowed).toBe(true);
    now = 1000;
    expect(await buckets.take('k', 0)).toEqual({ allowed: true, currentlyAvailable: 100, retryAfterSeconds: 0 });
  });
});

describe('cost budget of an API key', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A small bucket that refills slowly, so that a test can drain it.
    server = await startTestServer(db, {
      RATE_LIMIT_MAXIMUM_AVAILABLE: '300',
      RATE_LIMIT_RESTORE_RATE: '50',
      GRAPHQL_MAX_COST: '300',
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reports the cost and the bucket in extensions.cost of every response, queries and mutations', async () => {
    const query = await gql(server.url, world.keys.analyst, '{ listings(first: 5) { nodes { id seller { id } } } }');
    expect(query.body.extensions.cost).toEqual({
      requestedQueryCost: 2 + 5 * 2,
      actualQueryCost: 12,
      throttleStatus: { maximumAvailable: 300, currentlyAvailable: expect.any(Number), restoreRate: 50 },
    });
    expect(query.body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(300 - 12);
    const mutation = await gql(
      server.url,
      world.keys.analyst,
      'mutation { reportLead(input: { description: "x" }) { lead { id } userErrors { code } } }',
    );
    // A mutation costs 10, plus its payload: the lead (an object, 1) and the user errors (a list, 1).
    expect(mutation.body.extensions.cost.requestedQueryCost).toBe(10 + 2);
    // A resolver's refusal is still an operation that ran: it is charged.
    const refused = await gql(server.url, world.keys.analyst, '{ listings(first: 0) { totalCount } }');
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(refused.body.extensions.cost.actualQueryCost).toBe(2);
  });

  it('prices one query text anew for each page size, count of ids and @include, whatever its strings', async () => {
    // The cost is kept per document and shape of variables (cost-plugin.ts): only strings are left out of it.
    const cost = async (query: string, variables: Record<string, unknown>) =>
      (await gql(server.url, world.keys.admin, query, variables)).body.extensions.cost.requestedQueryCost;
    const listings =
      'query L($n: Int, $seller: Boolean!) { listings(first: $n) { nodes { id seller @include(if: $seller) { id } } } }';
    expect(await cost(listings, { n: 5, seller: true })).toBe(2 + 5 * 2);
    expect(await cost(listings, { n: 50, seller: true })).toBe(2 + 50 * 2);
    expect(await cost(listings, { n: 5, seller: false })).toBe(2 + 5 * 1);
    expect(await cost(listings, { n: 5, seller: true })).toBe(2 + 5 * 2);
    const nodes = 'query N($ids: [ID!]!) { nodes(ids: $ids) { id } }';
    expect(await cost(nodes, { ids: [world.ids.brandA, world.ids.brandB] })).toBe(2);
    expect(await cost(nodes, { ids: [world.ids.brandB, world.ids.brandA, world.ids.brandB] })).toBe(3);
  });

  it('refuses an operation over the budget with 429, Retry-After and RATE_LIMITED, running nothing', async () => {
    const expensive = '{ listings(first: 100) { nodes { id seller { id } } } }'; // 202
    const first = await gql(server.url, world.keys.brandB, expensive);
    expect(first.status).toBe(200);
    expect(first.body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThan(100);

    const before = await snapshot(db.dataSource);
    const drained = await gql(server.url, world.keys.brandB, expensive);
    expect(drained.status).toBe(429);
    const retryAfter = Number(drained.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(drained.body.data).toBeUndefined();
    expect(drained.body.errors).toEqual([
      {
        message: expect.stringMatching(/query cost budget; retry in \d+ s/),
        extensions: { code: 'RATE_LIMITED', retryAfter, requestId: expect.any(String) },
      },
    ]);
    expect(drained.body.extensions.cost).toMatchObject({
      requestedQueryCost: 202,
      actualQueryCost: null,
      throttleStatus: { maximumAvailable: 300, restoreRate: 50 },
    });
    // A cheap operation still fits; a mutation beyond what is left is refused and writes nothing.
    expect((await gql(server.url, world.keys.brandB, '{ viewer { id } }')).status).toBe(200);
    for (let i = 0; i < 20; i += 1)
      await gql(server.url, world.keys.brandB, '{ listings(first: 30) { nodes { id } } }');
    // 14 mutations in one operation: 14 x (10 + 1) = 154 points, more than is left.
    const mutations = Array.from(
      { length: 14 },
      (_, i) => `m${i}: reportLead(input: { description: "over budget ${i}" }) { lead { id } }`,
    ).join(' ');
    const refusedMutation = await gql(server.url, world.keys.brandB, `mutation { ${mutations} }`);
    expect(refusedMutation.status).toBe(429);
    expect(await snapshot(db.dataSource)).toEqual(before);
    // Another key has a budget of its own.
    expect((await gql(server.url, world.keys.brandA, expensive)).status).toBe(200);

    // The budget comes back at the restore rate.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const later = await gql(server.url, world.keys.brandB, expensive);
    expect(later.status).toBe(200);
  });
});

describe('a budget shared by two server instances through Redis', () => {
  let unreachable: string | null = 'not checked';
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  // One key prefix per run: runs side by side (or left-over keys) never share buckets.
  const prefix = `eca-test:${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    unreachable = await redisReachable();
    if (unreachable) {
      console.log(
        `Skipping the shared (Redis) budget tests: no Redis at ${REDIS_URL} (${unreachable}). Set TEST_REDIS_URL to run them.`,
      );
      return;
    }
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_MAXIMUM_AVAILABLE: '500',
      RATE_LIMIT_RESTORE_RATE: '1',
      GRAPHQL_MAX_COST: '500',
    };
    a = await startTestServer(db, env);
    b = await startTestServer(db, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('takes from one bucket per key whichever instance serves the request', async () => {
    if (unreachable) return;
    expect(a!.url).not.toBe(b!.url);
    const query = '{ listings(first: 100) { nodes { id } } }'; // 102
    const onA = await gql(a!.url, world.keys.agencyX, query);
    expect(onA.body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(500 - 102 + 1);
    const onB = await gql(b!.url, world.keys.agencyX, query);
    expect(onB.body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(500 - 204 + 2);
    await gql(a!.url, world.keys.agencyX, query);
    await gql(b!.url, world.keys.agencyX, query);
    // 408 spent of 500 (plus at most a few points restored): the fifth is refused on either instance.
    const refusedOnA = await gql(a!.url, world.keys.agencyX, query);
    expect(refusedOnA.status).toBe(429);
    const refusedOnB = await gql(b!.url, world.keys.agencyX, query);
    expect(refusedOnB.status).toBe(429);
    expect(refusedOnB.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    // Another key is untouched on both.
    expect(
      (await gql(b!.url, world.keys.agencyY, query)).body.extensions.cost.throttleStatus.currentlyAvailable,
    ).toBeGreaterThanOrEqual(398);
  });

  it('is atomic: concurrent takes from two clients never overspend', async () => {
    if (unreachable) return;
    const logger = pino({ level: 'silent' });
    const config = { maximumAvailable: 1000, restoreRate: 1, redisUrl: REDIS_URL, redisKeyPrefix: prefix };
    const one = new RedisCostBuckets(config, logger);
    const two = new RedisCostBuckets(config, logger);
    try {
      expect(await one.ready()).toBe(true);
      expect(await two.ready()).toBe(true);
      const takes = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? one : two).take('atomic', 30)));
      // 1000 / 30 = 33 takes, and perhaps one more from the few points restored meanwhile.
      const allowed = takes.filter((t) => t.allowed).length;
      expect(allowed).toBeGreaterThanOrEqual(33);
      expect(allowed).toBeLessThanOrEqual(34);
      expect(takes.filter((t) => !t.allowed).every((t) => t.retryAfterSeconds >= 1)).toBe(true);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('Redis out of reach', () => {
  it("keeps serving, with the budget in the instance's memory", async () => {
    const server = await startTestServer(db, {
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_MAXIMUM_AVAILABLE: '500',
      GRAPHQL_MAX_COST: '500',
    });
    try {
      const response = await gql(server.url, world.keys.brandA, '{ listings(first: 10) { nodes { id } } }');
      expect(response.status).toBe(200);
      expect(response.body.extensions.cost).toMatchObject({
        requestedQueryCost: 12,
        throttleStatus: { maximumAvailable: 500, currentlyAvailable: 488 },
      });
    } finally {
      await server.close();
    }
  });
});
