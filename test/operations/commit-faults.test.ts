import { APP_ROLE } from '../../src/database/data-source';
import { decodeGlobalId, toGlobalId } from '../../src/shared/relay/global-id';
import { ProxiedServer, startProxiedServer } from './support/proxied-server';
import type { TcpProxy } from './support/tcp-proxy';
import { useTestServer } from '../support/harness';

// Faults on the network between the API and PostgreSQL, at the moment that decides a change's fate:
// the COMMIT lost on its way, its reply lost on the way back, and a database that stops answering.

const QUERY_TIMEOUT_MS = 1500;
const CONNECT_TIMEOUT_MS = 1500;
let proxied: ProxiedServer | undefined;
const { db, world } = useTestServer({ server: false, beforeClose: async () => proxied?.close() });
let proxy: TcpProxy;
let url: string;

beforeAll(async () => {
  // The server's pool reaches PostgreSQL through the proxy, as the API's login, with the API's request limits.
  proxied = await startProxiedServer(db.apiUrl, {
    applicationName: 'eca-commit-faults',
    poolSize: 5,
    env: {
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    },
    poolExtra: { connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS },
  });
  ({ proxy, url } = proxied);
});

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
  ms: number;
}

async function post(token: string, query: string, variables?: object): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
    ms: Date.now() - started,
  };
}

const REPORT = `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id reference } userErrors { code } } }`;
// A change's COMMIT follows its audit events in the same simple query; the request's last COMMIT is sent alone.
const CHANGE_COMMIT = ';\nCOMMIT';
const leadsDescribed = (description: string) =>
  db.dataSource.query(`SELECT id::text, reference FROM lead WHERE description = $1`, [description]);

describe('the connection lost at COMMIT', () => {
  it('after PostgreSQL committed: OUTCOME_UNKNOWN, and the retry with the same key answers the kept lead', async () => {
    const input = { description: 'kept, reply lost', sellerIds: [world.gid.sellerA], idempotencyKey: 'reply-lost' };
    const sprung = proxy.dropAfter(CHANGE_COMMIT);
    const first = await post(world.keys.brandA, REPORT, { input });
    await sprung;
    expect(first.status).toBe(503);
    expect(first.retryAfter).toBe('1');
    expect(first.body.errors.map((e: any) => e.extensions.code)).toEqual(['OUTCOME_UNKNOWN']);
    expect(first.body.data.reportLead).toBeNull();
    const kept = await leadsDescribed(input.description);
    expect(kept).toHaveLength(1);

    const retry = await post(world.keys.brandA, REPORT, { input });
    expect(retry.status).toBe(200);
    expect(retry.body.data.reportLead.userErrors).toEqual([]);
    expect(decodeGlobalId(retry.body.data.reportLead.lead.id).rowId).toBe(kept[0].id);
    expect(retry.body.data.reportLead.lead.reference).toBe(kept[0].reference);
    expect(await leadsDescribed(input.description)).toHaveLength(1);
  });

  it('before it reached PostgreSQL: OUTCOME_UNKNOWN, nothing kept, and the retry creates the lead once', async () => {
    const input = { description: 'commit lost', sellerIds: [world.gid.sellerA], idempotencyKey: 'commit-lost' };
    const sprung = proxy.dropBefore(CHANGE_COMMIT);
    const first = await post(world.keys.brandA, REPORT, { input });
    await sprung;
    expect(first.status).toBe(503);
    expect(first.body.errors.map((e: any) => e.extensions.code)).toEqual(['OUTCOME_UNKNOWN']);
    // PostgreSQL rolls back a transaction whose connection ended before COMMIT.
    expect(await leadsDescribed(input.description)).toEqual([]);

    const retry = await post(world.keys.brandA, REPORT, { input });
    expect(retry.body.data.reportLead.userErrors).toEqual([]);
    const kept = await leadsDescribed(input.description);
    expect(kept).toHaveLength(1);
    expect(decodeGlobalId(retry.body.data.reportLead.lead.id).rowId).toBe(kept[0].id);
    const again = await post(world.keys.brandA, REPORT, { input });
    expect(again.body.data.reportLead.lead.id).toBe(retry.body.data.reportLead.lead.id);
    expect(await leadsDescribed(input.description)).toHaveLength(1);
  });

  it('a transition: OUTCOME_UNKNOWN, then its retry answers the kept move instead of STALE_VERSION', async () => {
    const [{ id }] = await db.dataSource.query(
      `INSERT INTO lead (reference, source, description, risk_score, status, fast_track) VALUES ('LD-2026-900001', 'BRAND_REPORT', 'to triage', 50, 'NEW', false) RETURNING id::text`,
    );
    const leadId = toGlobalId('Lead', id);
    const input = { leadId, expectedVersion: 1, riskScore: 70, idempotencyKey: 'triage-reply-lost' };
    const TRIAGE = `mutation($input: TriageLeadInput!) { triageLead(input: $input) { lead { id status version } userErrors { code } } }`;
    const sprung = proxy.dropAfter(CHANGE_COMMIT);
    const first = await post(world.keys.investigator, TRIAGE, { input });
    await sprung;
    expect(first.body.errors?.map((e: any) => e.extensions.code)).toEqual(['OUTCOME_UNKNOWN']);
    const retry = await post(world.keys.investigator, TRIAGE, { input });
    expect(retry.body.data.triageLead).toEqual({
      lead: { id: expect.any(String), status: 'TRIAGED', version: 2 },
      userErrors: [],
    });
    expect(await db.dataSource.query(`SELECT status, version FROM lead WHERE id = $1`, [id])).toEqual([
      { status: 'TRIAGED', version: 2 },
    ]);
  });
});

describe("a statement refused in the COMMIT's own round trip", () => {
  it('fails the change as that statement, not OUTCOME_UNKNOWN, however late the transaction status arrives', async () => {
    // The audit events are sent with the COMMIT; refusing them aborts the change before its COMMIT runs.
    proxy.pauseAfterErrors(50);
    await db.dataSource.query(`REVOKE INSERT ON audit_event FROM ${APP_ROLE}`);
    let answer: Answer;
    try {
      answer = await post(world.keys.brandA, REPORT, {
        input: { description: 'audit refused', idempotencyKey: 'audit-refused' },
      });
    } finally {
      await db.dataSource.query(`GRANT INSERT ON audit_event TO ${APP_ROLE}`);
      proxy.pauseAfterErrors(0);
    }
    expect(answer.body.errors.map((e: any) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(answer.body.data.reportLead).toBeNull();
    expect(await leadsDescribed('audit refused')).toEqual([]);
    // The request's connection was not given up: the next change on the pool goes through.
    const after = await post(world.keys.brandA, REPORT, {
      input: { description: 'audit refused', idempotencyKey: 'audit-refused' },
    });
    expect(after.body.data.reportLead.userErrors).toEqual([]);
    expect(await leadsDescribed('audit refused')).toHaveLength(1);
  });
});

describe('a database that stops answering', () => {
  it('answers every request within the bound with 503 and Retry-After, and serves again once it answers', async () => {
    // Warm: the keys are authenticated and remembered.
    expect((await post(world.keys.investigator, '{ viewer { name } }')).status).toBe(200);
    proxy.freeze();
    try {
      const answers = await Promise.all([
        post(world.keys.investigator, '{ leads(first: 5) { nodes { id } } }'),
        post(world.keys.brandA, REPORT, {
          input: { description: 'during the freeze', sellerIds: [world.gid.sellerA] },
        }),
        post(world.keys.agencyX, '{ referrals(first: 5) { nodes { id } } }'),
        post(world.keys.analyst, '{ sellers(first: 5) { nodes { id } } }'),
      ]);
      const bound = Math.max(QUERY_TIMEOUT_MS, CONNECT_TIMEOUT_MS) + 2000;
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.retryAfter).toBe('1');
        expect(answer.ms).toBeLessThan(bound);
        expect(answer.body.errors.map((e: any) => e.extensions.code)).toEqual([
          expect.stringMatching(/^(SERVICE_UNAVAILABLE|OUTCOME_UNKNOWN)$/),
        ]);
      }
    } finally {
      proxy.thaw();
    }
    const after = await post(world.keys.investigator, '{ leads(first: 5) { nodes { id } } }');
    expect(after.status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});
