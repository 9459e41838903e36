import http from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { App, createApp } from '../../src/http/app';
import { buildAppSchema } from '../../src/schema';
import { knownOperationNames, Metrics, OTHER_OPERATION } from '../../src/http/metrics';
import { createLogger } from '../../src/logger';
import { testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

// The real app over a real database, with its logger writing JSON lines into `logText`.
const { db, world } = useTestServer({
  server: false,
  beforeClose: async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.apollo.stop();
    await api?.destroy();
  },
});
let app: App;
/** The apps' pool, as the API's login. */
let api: DataSource;
let server: http.Server;
let url: string;
let logText = '';
const METRICS_TOKEN = 'metrics-scrape-token-of-at-least-32-characters';

beforeAll(async () => {
  const logger = createLogger({ logLevel: 'debug' }, { write: (line: string) => void (logText += line) });
  api = await createDataSource({ url: db.apiUrl, api: true, poolSize: 10 }).initialize();
  app = await createApp(api, testConfig({ METRICS_TOKEN }), logger);
  server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

async function post(token: string | null, query: string, variables?: object, requestId?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(requestId ? { 'x-request-id': requestId } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    requestId: response.headers.get('x-request-id')!,
    body: (await response.json()) as any,
  };
}

const logLines = (): any[] =>
  logText
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
const requestLine = (requestId: string) => {
  const lines = logLines().filter((line) => line.msg === 'request' && line.requestId === requestId);
  expect(lines).toHaveLength(1);
  return lines[0];
};

async function metricsText(): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample, e.g. sample(text, 'graphql_errors_total{code="FORBIDDEN"}'). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('request logs', () => {
  it('writes one JSON line per request: id, operation, duration, principal, outcome', async () => {
    const response = await post(
      world.keys.brandA,
      'query PortalListings { listings(first: 2) { nodes { id title } } }',
      undefined,
      'ops-log-1',
    );
    expect(response.status).toBe(200);
    expect(response.requestId).toBe('ops-log-1');
    const line = requestLine('ops-log-1');
    expect(line).toMatchObject({
      level: 'info',
      service: 'enforcement-api',
      msg: 'request',
      method: 'POST',
      path: '/graphql',
      status: 200,
      operation: 'PortalListings',
      operationType: 'query',
      principal: { role: 'BRAND_PARTNER', id: expect.any(String) },
      outcome: 'ok',
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.errorCodes).toBeUndefined();
  });

  it('logs the error codes of a failed request, and returns the request id in every error', async () => {
    const unauthenticated = await post(null, '{ viewer { id } }');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.errors[0].extensions).toEqual({
      code: 'UNAUTHENTICATED',
      requestId: unauthenticated.requestId,
    });
    expect(requestLine(unauthenticated.requestId)).toMatchObject({
      status: 401,
      outcome: 'error',
      errorCodes: ['UNAUTHENTICATED'],
    });

    const forbidden = await post(
      world.keys.analyst,
      'mutation Sneaky { createApiKey(input: { name: "x", principal: { name: "x", role: ADMIN } }) { token } }',
    );
    expect(forbidden.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', requestId: forbidden.requestId });
    expect(requestLine(forbidden.requestId)).toMatchObject({
      operation: 'Sneaky',
      operationType: 'mutation',
      principal: { role: 'ANALYST' },
      outcome: 'error',
      errorCodes: ['FORBIDDEN'],
    });

    const invalid = await post(world.keys.admin, '{ viewer { password } }');
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].extensions).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      requestId: invalid.requestId,
    });

    const malformed = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    const malformedBody: any = await malformed.json();
    expect(malformedBody.errors[0].extensions).toEqual({
      code: 'BAD_REQUEST',
      requestId: malformed.headers.get('x-request-id'),
    });
  });

  it('never logs tokens, variables or personal data', async () => {
    const created = await post(
      world.keys.admin,
      'mutation NewKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { token userErrors { code } } }',
      { input: { name: 'laptop of Jane Roe', principal: { name: 'Jane Roe', role: 'INVESTIGATOR' } } },
    );
    const newToken = created.body.data.createApiKey.token;
    expect(newToken).toEqual(expect.any(String));
    await post(
      world.keys.analyst,
      'query ByRegion($r: String!) { sellers(first: 1, filter: { region: [$r] }) { totalCount } }',
      { r: '+86 139 1234 5678' },
    );
    await post('eca_made-up-token-that-must-not-be-logged', '{ viewer { id } }');

    const everything = logText;
    for (const token of [...Object.values(world.keys), newToken, 'eca_made-up-token-that-must-not-be-logged']) {
      expect(everything).not.toContain(token);
    }
    expect(everything).not.toMatch(/bearer/i);
    expect(everything).not.toContain('Jane Roe');
    expect(everything).not.toContain('139 1234 5678');
    expect(requestLine(created.requestId)).toMatchObject({
      operation: 'NewKey',
      principal: { role: 'ADMIN' },
      outcome: 'ok',
    });
  });

  it('logs probes at debug level', async () => {
    const response = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
    expect(response.status).toBe(200);
    expect(requestLine('probe-1')).toMatchObject({ level: 'debug', path: '/healthz', status: 200, outcome: 'ok' });
  });
});

describe('/metrics', () => {
  it('answers only with the METRICS_TOKEN', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token-of-at-least-thirty-two-characters',
      `Basic ${METRICS_TOKEN}`,
      `Bearer ${METRICS_TOKEN}x`,
    ]) {
      const response = await fetch(`${url}/metrics`, {
        headers: { 'x-request-id': 'scrape-refused', ...(authorization ? { authorization } : {}) },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('graphql_operations_total');
    }
    // A refused scrape is logged at info (successful ones at debug, like the probes).
    expect(
      logLines()
        .filter((line) => line.requestId === 'scrape-refused')
        .every((line) => line.level === 'info' && line.status === 401),
    ).toBe(true);
    expect(await metricsText()).toContain('graphql_operations_total');
  });

  it('counts requests and latency per known operation name, and errors per code', async () => {
    const before = await metricsText();
    const series = 'graphql_operations_total{operation="AgencyReferrals",type="query",outcome="ok"}';
    for (let i = 0; i < 3; i += 1)
      await post(world.keys.agencyX, 'query AgencyReferrals { referrals(first: 5) { nodes { id } } }');
    await post(world.keys.brandA, '{ viewer { id } }');
    await post(world.keys.brandA, '{ viewer { id }');
    await post(world.keys.analyst, 'mutation Nope { revokeApiKey(input: { apiKeyId: "x" }) { userErrors { code } } }');
    await post(
      world.keys.brandA,
      'mutation RevokeApiKey { revokeApiKey(input: { apiKeyId: "x" }) { userErrors { code } } }',
    );
    await post(null, '{ viewer { id } }');

    const after = await metricsText();
    expect(sample(after, series) - sample(before, series)).toBe(3);
    expect(
      sample(after, 'graphql_operation_duration_seconds_count{operation="AgencyReferrals",type="query"}') -
        sample(before, 'graphql_operation_duration_seconds_count{operation="AgencyReferrals",type="query"}'),
    ).toBe(3);
    expect(after).toContain(
      'graphql_operation_duration_seconds_bucket{le="0.1",operation="AgencyReferrals",type="query"}',
    );
    // Anonymous operations and unparsable documents collapse into one label each.
    expect(
      sample(after, 'graphql_operations_total{operation="anonymous",type="query",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, 'graphql_operations_total{operation="unknown",type="unknown",outcome="error"}'),
    ).toBeGreaterThanOrEqual(1);
    // A root field's name is a known operation name; a name the client chose is not a label.
    expect(sample(after, 'graphql_operations_total{operation="RevokeApiKey",type="mutation",outcome="error"}')).toBe(1);
    expect(
      sample(after, 'graphql_operations_total{operation="other",type="mutation",outcome="error"}') -
        sample(before, 'graphql_operations_total{operation="other",type="mutation",outcome="error"}'),
    ).toBe(1);
    expect(after).not.toContain('Nope');
    for (const code of ['FORBIDDEN', 'GRAPHQL_PARSE_FAILED', 'UNAUTHENTICATED']) {
      expect(sample(after, `graphql_errors_total{code="${code}"}`)).toBeGreaterThan(
        sample(before, `graphql_errors_total{code="${code}"}`),
      );
    }
    expect(sample(after, 'http_requests_total{route="/graphql",method="POST",status="401"}')).toBeGreaterThanOrEqual(1);
  });

  it("names no operation a client chose: a tenant's own operation names never become labels", async () => {
    const names = ['AcmeBrandNightlyTakedownAudit', 'PsbYiwuRaidPlanning2026', 'x'.repeat(40)];
    for (const name of names) await post(world.keys.brandA, `query ${name} { viewer { id } }`);
    const text = await metricsText();
    for (const name of names) expect(text).not.toContain(name);
    // Every operation label is from the fixed set.
    const known = knownOperationNames(await buildAppSchema());
    const labels = [...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels)
      expect(known.has(label) || ['other', 'anonymous', 'unknown'].includes(label)).toBe(true);
  });

  it('reports the database pool, the event loop lag and the process', async () => {
    const text = await metricsText();
    expect(sample(text, 'db_pool_max_connections')).toBe(10);
    expect(sample(text, 'db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^db_pool_connections\{state="idle"\} \d+$/m);
    expect(text).toMatch(/^db_pool_connections\{state="in_use"\} \d+$/m);
    expect(text).toMatch(/^db_pool_waiting_requests \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toMatch(/^http_requests_in_flight \d+$/m);
  });

  it('labels an operation by a fixed set of names: canonical ones and root fields, the rest as other', async () => {
    const metrics = new Metrics(db.dataSource, knownOperationNames(await buildAppSchema()));
    for (const name of [
      'PortalListings',
      'AgencySync',
      'TopSellers',
      'ReportLead',
      'SendReferral',
      'Listings',
      'ReferralChanges',
    ]) {
      expect(metrics.operationLabel(name, true)).toBe(name);
    }
    expect(metrics.operationLabel('MyBrandsSecretSync', true)).toBe(OTHER_OPERATION);
    expect(metrics.operationLabel('reportLead', true)).toBe(OTHER_OPERATION);
    expect(metrics.operationLabel(`Long${'x'.repeat(100)}`, true)).toBe(OTHER_OPERATION);
    expect(metrics.operationLabel(null, true)).toBe('anonymous');
    expect(metrics.operationLabel('PortalListings', false)).toBe('unknown');
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  async function statusOf(env: Record<string, string>, headers: Record<string, string> = {}): Promise<number> {
    const other = await createApp(api, testConfig(env), createLogger({ logLevel: 'silent' }));
    const otherServer = http.createServer(other.app);
    await new Promise<void>((resolve) => otherServer.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(otherServer.address() as AddressInfo).port}/metrics`, {
        headers,
      });
      await response.text();
      return response.status;
    } finally {
      otherServer.closeAllConnections();
      await new Promise((resolve) => otherServer.close(resolve));
      await other.apollo.stop();
    }
  }

  it('is not served outside development, and served openly in development (the demo, the load script)', async () => {
    expect(await statusOf({})).toBe(404);
    expect(await statusOf({ NODE_ENV: 'development' })).toBe(200);
    expect(await statusOf({ NODE_ENV: 'development', METRICS_TOKEN }, {})).toBe(401);
  });
});
