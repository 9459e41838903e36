import { runAgencySync, type AgencySyncResult } from '../../examples/clients/agency-sync';
import { ApiError, createApiClient } from '../../examples/clients/api-client';
import { runAnalyst } from '../../examples/clients/analyst';
import { runBrandPortal } from '../../examples/clients/brand-portal';
import { ReportLeadDocument, ViewerDocument } from '../../examples/generated/graphql';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, CaseIds, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

/**
 * The typed example clients (examples/clients, over the documents generated from examples/operations)
 * against a live server with the default query limits: each client's main function runs, and what it
 * returns is compared with what the database holds, read through the owner connection. Lost answers are
 * made by a fetch between the client and the server that lets the request through and then loses or
 * replaces its answer: the change is kept, the client does not know it, and must retry with the same key.
 */

const { db, world, server } = useTestServer();
const cases: Record<'ax1' | 'ax2' | 'ay' | 'aNone' | 'bx', CaseIds> = {} as never;

beforeAll(async () => {
  // Brand A: two cases referred to agency X, one to agency Y, one not referred; brand B: one referred to X.
  cases.ax1 = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'ax1' });
  cases.ax2 = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'ax2' });
  cases.ay = await buildCase(server, world, { referTo: world.gid.agencyY, tag: 'ay' });
  cases.aNone = await buildCase(server, world, { tag: 'aNone' });
  cases.bx = await buildCase(server, world, { referTo: world.gid.agencyX, brand: 'B', tag: 'bx' });
});

const rowId = (globalId: string) => decodeGlobalId(globalId).rowId;
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(text, params);

/** Waits recorded, not waited: a retry's delay is asserted, the test does not sleep through it. */
function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

/** A fetch to the live server that, for the first request of `operationName`, lets it through and then loses its answer. */
function losingFirstAnswerOf(operationName: string, lose: (response: Response) => Response | never) {
  const seen: string[] = [];
  let lost = false;
  const faultyFetch: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body ?? '{}'));
    seen.push(body.operationName);
    const response = await fetch(input, init);
    if (body.operationName === operationName && !lost) {
      lost = true;
      await response.text();
      return lose(response);
    }
    return response;
  };
  return { fetch: faultyFetch, seen };
}

/** The answer the API gives when the connection to PostgreSQL failed during the COMMIT (README). */
const outcomeUnknown = (field: string) => () =>
  new Response(
    JSON.stringify({
      errors: [
        { message: 'The outcome of this change is unknown.', path: [field], extensions: { code: 'OUTCOME_UNKNOWN' } },
      ],
      data: { [field]: null },
    }),
    {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
    },
  );

const noAnswer = () => {
  throw new TypeError('fetch failed');
};

describe('the typed agency-sync client', () => {
  let firstRun: AgencySyncResult;

  it('syncs the feed page by page, acknowledges at the version read, and reports a raid once although its answer was lost', async () => {
    const raidKey = 'raid-ax1-0001';
    const network = losingFirstAnswerOf('RecordEnforcementOutcome', noAnswer);
    const { delays, sleep } = recordingSleep();
    firstRun = await runAgencySync({
      url: `${server.url}/graphql`,
      token: world.keys.agencyX,
      fetch: network.fetch,
      sleep,
      pageSize: 2,
      outcomes: [
        {
          referralId: cases.ax1.referralId!,
          kind: 'RAID',
          occurredAt: new Date().toISOString(),
          arrests: 2,
          densDestroyed: 1,
          seizedValue: { amount: 12_000_00, currency: 'CNY' },
          idempotencyKey: raidKey,
        },
      ],
    });

    // The feed: every change of agency X's referrals, in commit order, none of agency Y's; pages of 2.
    const feed = await sql(
      `SELECT seq::text, kind, status, referral_id::text FROM referral_change WHERE agency_id = $1 AND seq <= $2 ORDER BY seq`,
      [world.ids.agencyX, firstRun.changes.at(-1)!.seq],
    );
    expect(firstRun.changes.map((c) => [c.seq, c.kind, c.status])).toEqual(feed.map((r) => [r.seq, r.kind, r.status]));
    expect(firstRun.changes.map((c) => rowId(c.referral!.id))).toEqual(feed.map((r) => r.referral_id));
    expect(new Set(feed.map((r) => r.referral_id))).toEqual(
      new Set([cases.ax1, cases.ax2, cases.bx].map((c) => rowId(c.referralId!))),
    );
    expect(firstRun.pages).toBe(Math.max(1, Math.ceil(feed.length / 2)));
    expect(firstRun.cursor).not.toBeNull();

    // Acknowledged: the three referrals sent to X, each with its case number, at the version now stored.
    const referrals = await sql(
      `SELECT id::text, status, version, agency_case_reference, reference FROM referral WHERE agency_id = $1 ORDER BY id`,
      [world.ids.agencyX],
    );
    expect(firstRun.acknowledged.map((r) => rowId(r.id)).sort()).toEqual(referrals.map((r) => r.id).sort());
    for (const row of referrals) expect(row.agency_case_reference).toBe(`CASE-${row.reference}`);
    for (const answered of firstRun.acknowledged.filter((r) => r.id !== cases.ax1.referralId)) {
      const row = referrals.find((r) => r.id === rowId(answered.id));
      expect([answered.status, answered.version]).toEqual([row.status, row.version]);
    }
    expect(firstRun.refused).toEqual([]);

    // The raid: sent twice (its answer lost once), kept once, answered as stored.
    expect(network.seen.filter((name) => name === 'RecordEnforcementOutcome')).toHaveLength(2);
    expect(delays).toHaveLength(1);
    const outcomes = await sql(
      `SELECT id::text, kind, arrests, dens_destroyed, seized_value_amount::bigint AS amount FROM enforcement_outcome WHERE referral_id = $1`,
      [rowId(cases.ax1.referralId!)],
    );
    expect(outcomes).toHaveLength(1);
    expect(firstRun.recorded).toHaveLength(1);
    const [raid] = firstRun.recorded;
    expect([rowId(raid.id), raid.kind, raid.arrests, raid.densDestroyed, raid.seizedValue?.amount]).toEqual([
      outcomes[0].id,
      'RAID',
      2,
      1,
      Number(outcomes[0].amount),
    ]);
    const [ax1] = await sql(`SELECT status, version FROM referral WHERE id = $1`, [rowId(cases.ax1.referralId!)]);
    expect([raid.referral?.status, raid.referral?.version]).toEqual([ax1.status, ax1.version]);
    expect(ax1.status).toBe('ACTION_TAKEN');
    const keys = await sql(
      `SELECT k.key FROM idempotency_key k JOIN principal p ON p.id = k.principal_id WHERE k.key = $1`,
      [raidKey],
    );
    expect(keys).toHaveLength(1);
  });

  it('resumes from its stored cursor: only the changes made since, nothing twice, nothing left to acknowledge', async () => {
    const resumed = await runAgencySync({
      url: `${server.url}/graphql`,
      token: world.keys.agencyX,
      cursor: firstRun.cursor,
    });
    const since = await sql(
      `SELECT seq::text, kind FROM referral_change WHERE agency_id = $1 AND seq > $2 ORDER BY seq`,
      [world.ids.agencyX, firstRun.changes.at(-1)!.seq],
    );
    expect(resumed.changes.map((c) => [c.seq, c.kind])).toEqual(since.map((r) => [r.seq, r.kind]));
    expect(resumed.changes.map((c) => c.kind).sort()).toEqual([
      'ACKNOWLEDGED',
      'ACKNOWLEDGED',
      'ACKNOWLEDGED',
      'OUTCOME_RECORDED',
    ]);
    expect(resumed.acknowledged).toEqual([]);
    expect(resumed.recorded).toEqual([]);
  });

  it('does not overwrite a referral changed since it was read: STALE_VERSION is reported, the other change stays', async () => {
    const fresh = await buildCase(server, world, { referTo: world.gid.agencyX, brand: 'B', tag: 'stale' });
    const before = await sql(`SELECT max(seq)::text AS seq FROM referral_change WHERE agency_id = $1`, [
      world.ids.agencyX,
    ]);
    // Another instance of the agency's tool acknowledges the referral between this one's read and its acknowledgement.
    const racingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body ?? '{}'));
      if (body.operationName === 'AcknowledgeReferral') {
        await mutate(
          server,
          world.keys.agencyX,
          'acknowledgeReferral',
          { referralId: fresh.referralId, agencyCaseReference: 'OTHER-DESK-1' },
          'referral { id }',
        );
      }
      return fetch(input, init);
    };
    const result = await runAgencySync({
      url: `${server.url}/graphql`,
      token: world.keys.agencyX,
      cursor: null,
      fetch: racingFetch,
    });
    expect(result.acknowledged).toEqual([]);
    expect(result.refused).toMatchObject([
      { referralId: fresh.referralId, operation: 'acknowledgeReferral', codes: ['STALE_VERSION'] },
    ]);
    const [row] = await sql(`SELECT status, agency_case_reference FROM referral WHERE id = $1`, [
      rowId(fresh.referralId!),
    ]);
    expect(row).toEqual({ status: 'ACKNOWLEDGED', agency_case_reference: 'OTHER-DESK-1' });
    const acknowledgements = await sql(
      `SELECT kind FROM referral_change WHERE referral_id = $1 AND seq > $2 AND kind = 'ACKNOWLEDGED'`,
      [rowId(fresh.referralId!), before[0].seq],
    );
    expect(acknowledgements).toHaveLength(1);
  });
});

describe('the typed brand-portal client', () => {
  it('reports a lead once although its first answer was OUTCOME_UNKNOWN, then pages through every case of the brand and opens each', async () => {
    const description = 'typed client: fake Alpha belts, Yiwu night market';
    const network = losingFirstAnswerOf('ReportLead', outcomeUnknown('reportLead'));
    const { delays, sleep } = recordingSleep();
    const result = await runBrandPortal({
      url: `${server.url}/graphql`,
      token: world.keys.brandA,
      fetch: network.fetch,
      sleep,
      pageSize: 2,
      historyPageSize: 3,
      report: { description, sellerIds: [world.gid.sellerA], idempotencyKey: 'report-belts-0001' },
    });

    // Reported once: two requests, one lead, the retry waited as Retry-After said.
    expect(network.seen.filter((name) => name === 'ReportLead')).toHaveLength(2);
    expect(delays).toEqual([1000]);
    const reported = await sql(`SELECT id::text, reference, status FROM lead WHERE description = $1`, [description]);
    expect(reported).toHaveLength(1);
    expect([rowId(result.reported!.id), result.reported!.reference, result.reported!.status]).toEqual([
      reported[0].id,
      reported[0].reference,
      reported[0].status,
    ]);

    // Every case of brand A, newest first, none of brand B; pages of 2 followed to the end.
    expect(result.viewer.brand?.name).toBe('Alpha');
    const brandCases = await sql(
      `SELECT l.id::text, l.reference, l.status FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1 ORDER BY l.created_at DESC, l.id DESC`,
      [world.ids.brandA],
    );
    expect(brandCases.length).toBe(5);
    expect(result.totalCount).toBe(brandCases.length);
    expect(result.cases.map((c) => [rowId(c.id), c.reference, c.status])).toEqual(
      brandCases.map((r) => [r.id, r.reference, r.status]),
    );
    expect(result.pages).toBe(3);

    // Each case in full: its referrals and outcomes as stored, and its whole history across pages.
    expect(result.details.map((d) => d.case.reference)).toEqual(brandCases.map((r) => r.reference));
    for (const { case: detail, referrals: answeredReferrals, history, historyPages } of result.details) {
      const referrals = await sql(
        `SELECT r.id::text, r.reference, r.status, a.code, (SELECT coalesce(array_agg(o.kind ORDER BY o.id), '{}') FROM enforcement_outcome o WHERE o.referral_id = r.id) AS outcomes
        FROM referral r JOIN lead l ON l.investigation_id = r.investigation_id JOIN agency a ON a.id = r.agency_id WHERE l.id = $1 ORDER BY r.id`,
        [rowId(detail.id)],
      );
      const answered = answeredReferrals.map((r) => [
        rowId(r.id),
        r.reference,
        r.status,
        r.agency?.code,
        r.outcomes.map((o) => o.kind),
      ]);
      expect(answered.sort()).toEqual(referrals.map((r) => [r.id, r.reference, r.status, r.code, r.outcomes]).sort());
      if (!detail.investigation) {
        expect(history).toEqual([]);
        continue;
      }
      // The whole history across pages of 3: the events of the case's lead and investigation as stored, in commit order.
      expect(historyPages).toBe(Math.max(1, Math.ceil(history.length / 3)));
      const own = await sql(
        `SELECT action, entity_type, entity_id::text, at FROM audit_event
        WHERE (entity_type = 'Lead' AND entity_id = $1) OR (entity_type = 'Investigation' AND entity_id = $2) ORDER BY seq`,
        [rowId(detail.id), rowId(detail.investigation.id)],
      );
      expect(own.length).toBeGreaterThan(1);
      const answeredOwn = history.filter((e) => e.entityId === detail.id || e.entityId === detail.investigation!.id);
      expect(answeredOwn.map((e) => [e.action, e.entityType, rowId(e.entityId), e.at])).toEqual(
        own.map((r) => [r.action, r.entity_type, r.entity_id, new Date(r.at).toISOString()]),
      );
      expect(new Set(history.map((e) => JSON.stringify(e))).size).toBe(history.length);
    }
    const raided = result.details.find((d) => d.case.id === cases.ax1.leadId)!;
    expect(raided.referrals[0].outcomes.map((o) => [o.kind, o.arrests])).toEqual([['RAID', 2]]);
  });

  it('the same report sent again with its key (the portal restarted) is answered the lead already made, not a second one', async () => {
    const description = 'typed client: reported twice with one key';
    const report = { description, sellerIds: [world.gid.sellerA], idempotencyKey: 'report-twice-0001' };
    const first = await runBrandPortal({
      url: `${server.url}/graphql`,
      token: world.keys.brandA,
      report,
      openCases: 0,
    });
    const again = await runBrandPortal({
      url: `${server.url}/graphql`,
      token: world.keys.brandA,
      report,
      openCases: 0,
    });
    expect(again.reported?.id).toBe(first.reported?.id);
    expect(await sql(`SELECT id FROM lead WHERE description = $1`, [description])).toHaveLength(1);
  });
});

describe('the typed analyst client', () => {
  it('answers the funnel and the overdue referrals as the database holds them', async () => {
    // Two referrals past a deadline: ay (SENT, acknowledgement) and bx (ACKNOWLEDGED, action).
    await sql(`UPDATE referral SET acknowledge_by = now() - interval '2 days' WHERE id = $1`, [
      rowId(cases.ay.referralId!),
    ]);
    await sql(`UPDATE referral SET action_by = now() - interval '1 day' WHERE id = $1`, [rowId(cases.bx.referralId!)]);
    const result = await runAnalyst({ url: `${server.url}/graphql`, token: world.keys.analyst, pageSize: 1 });

    const [{ leads }] = await sql(`SELECT count(*)::int AS leads FROM lead`);
    expect(result.analytics.enforcementFunnel.leads).toBe(leads);
    expect(result.analytics.enforcementFunnel.stages[0]).toEqual({
      stage: 'LEADS',
      count: leads,
      conversionFromPrevious: null,
    });

    const overdue =
      await sql(`SELECT r.id::text, r.reference, a.code FROM referral r JOIN agency a ON a.id = r.agency_id
      WHERE (r.status = 'SENT' AND r.acknowledge_by < now()) OR (r.status IN ('SENT', 'ACKNOWLEDGED') AND r.action_by < now()) ORDER BY r.id`);
    expect(overdue.map((r) => r.id)).toEqual(
      expect.arrayContaining([rowId(cases.ay.referralId!), rowId(cases.bx.referralId!)]),
    );
    expect(result.overdue.map((r) => rowId(r.id)).sort()).toEqual(overdue.map((r) => r.id).sort());
    expect(result.overdueTotal).toBe(overdue.length);
    expect(result.pages).toBe(overdue.length);
    const missed = Object.fromEntries(result.overdue.map((r) => [rowId(r.id), r.missedDeadline]));
    expect(missed[rowId(cases.ay.referralId!)]).toBe('ACKNOWLEDGEMENT');
    expect(missed[rowId(cases.bx.referralId!)]).toBe('ACTION');
    for (const code of ['AG-X', 'AG-Y']) {
      const figures = result.analytics.overdueReferrals.find((f) => f.agency.code === code);
      expect(figures?.overdue ?? 0).toBe(overdue.filter((r) => r.code === code).length);
    }
  });
});

describe("the clients' retry rule", () => {
  it('a change sent without an idempotencyKey is not retried after OUTCOME_UNKNOWN: the caller is told to read the record', async () => {
    const description = 'typed client: no key, answer lost';
    const network = losingFirstAnswerOf('ReportLead', outcomeUnknown('reportLead'));
    const api = createApiClient({
      url: `${server.url}/graphql`,
      token: world.keys.brandA,
      fetch: network.fetch,
      sleep: async () => {},
    });
    const error = await api
      .mutate(ReportLeadDocument, { input: { description, sellerIds: [world.gid.sellerA] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ operation: 'ReportLead', codes: ['OUTCOME_UNKNOWN'], status: 503 });
    expect((error as Error).message).toMatch(/read the record/);
    expect(network.seen).toEqual(['ReportLead']);
    // It was kept (the answer only was lost): exactly what the client could not know.
    expect(await sql(`SELECT id FROM lead WHERE description = $1`, [description])).toHaveLength(1);
  });

  it('a query is retried after SERVICE_UNAVAILABLE (nothing was kept), waiting as Retry-After says, up to its attempts', async () => {
    let calls = 0;
    const unavailable: typeof fetch = async (input, init) => {
      calls++;
      if (calls <= 2) {
        return new Response(
          JSON.stringify({
            errors: [{ message: 'unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } }],
            data: { viewer: null },
          }),
          {
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after': '1' },
          },
        );
      }
      return fetch(input, init);
    };
    const { delays, sleep } = recordingSleep();
    const api = createApiClient({ url: `${server.url}/graphql`, token: world.keys.brandA, fetch: unavailable, sleep });
    expect((await api.query(ViewerDocument, {})).viewer?.brand?.name).toBe('Alpha');
    expect([calls, delays]).toEqual([3, [1000, 1000]]);

    calls = -10;
    const limited = createApiClient({
      url: `${server.url}/graphql`,
      token: world.keys.brandA,
      fetch: unavailable,
      sleep,
      maxAttempts: 3,
    });
    await expect(limited.query(ViewerDocument, {})).rejects.toMatchObject({
      codes: ['SERVICE_UNAVAILABLE'],
      status: 503,
    });
  });

  it('an error that a retry cannot mend (a revoked or unknown key) is thrown at once', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => (calls++, fetch(input, init));
    const api = createApiClient({
      url: `${server.url}/graphql`,
      token: 'not-a-key',
      fetch: counting,
      sleep: async () => {},
    });
    await expect(api.query(ViewerDocument, {})).rejects.toMatchObject({ codes: ['UNAUTHENTICATED'], status: 401 });
    expect(calls).toBe(1);
  });
});
