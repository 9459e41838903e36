import { clearFaults, injectFault, installFaults } from '../support/faults';
import { buildCase, mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { useTestServer } from '../support/harness';

// What a client is told is what the database holds, when a statement fails after a change (in its
// payload, in a later mutation of the same document) or in a sibling read (README, "API conventions").

const { db, world, server } = useTestServer();

beforeAll(async () => {
  await installFaults(db.dataSource, ['listing', 'lead', 'brand']);
});
afterEach(() => clearFaults(db.dataSource));

const rowId = (globalId: string) => decodeGlobalId(globalId).rowId;
const owner = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
const codes = (body: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  (body.errors ?? []).map((e) => e.extensions?.code);

describe.each(['timeout', 'deadlock', 'unreadable'] as const)('a %s in PostgreSQL after a change', (kind) => {
  it('in a later mutation of the document: the first change is answered and kept, the later one neither', async () => {
    const marker = `first ${kind} ${Date.now()}`;
    // Armed by the first change: it hits the later field, whatever reads the listing table.
    await injectFault(
      db.dataSource,
      'listing',
      world.ids.listingA1,
      kind,
      `EXISTS (SELECT 1 FROM lead WHERE description = '${marker}')`,
    );
    const response = await server.gql(
      world.keys.brandA,
      `mutation($first: ReportLeadInput!, $later: ReportLeadInput!) {
      a: reportLead(input: $first) { lead { id reference version status } userErrors { code } }
      b: reportLead(input: $later) { lead { id reference } userErrors { code } } }`,
      {
        first: { description: marker, sellerIds: [world.gid.sellerA], idempotencyKey: marker },
        later: { description: `${marker} later`, listingIds: [world.gid.listingA1] },
      },
    );
    if (!response.body.data?.a) throw new Error(JSON.stringify(response.body));
    expect(response.body.data.a.userErrors).toEqual([]);
    expect(response.body.data.b).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0].path).toEqual(['b']);
    const [kept] = await owner(`SELECT id::text, reference, version, status FROM lead WHERE description = $1`, [
      marker,
    ]);
    expect(kept).toEqual({
      id: rowId(response.body.data.a.lead.id),
      reference: response.body.data.a.lead.reference,
      version: response.body.data.a.lead.version,
      status: 'NEW',
    });
    expect(await owner(`SELECT id FROM lead WHERE description = $1`, [`${marker} later`])).toEqual([]);
    // The retry with the same key answers the kept lead, not a second one with the same reference.
    await clearFaults(db.dataSource);
    const retry = dataOf(
      await server.gql(
        world.keys.brandA,
        `mutation($first: ReportLeadInput!) { reportLead(input: $first) { lead { id reference } userErrors { code } } }`,
        { first: { description: marker, sellerIds: [world.gid.sellerA], idempotencyKey: marker } },
      ),
    );
    expect(retry.reportLead.lead).toEqual({
      id: response.body.data.a.lead.id,
      reference: response.body.data.a.lead.reference,
    });
    expect(await owner(`SELECT count(*)::int AS n FROM lead WHERE description = $1`, [marker])).toEqual([{ n: 1 }]);
  });

  it("in the change's own payload: the change is answered as done, and it is", async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: `payload ${kind}` });
    const [lead] = await owner(`SELECT id::text FROM lead WHERE investigation_id = $1`, [rowId(c.investigationId)]);
    await owner(`INSERT INTO lead_listing (lead_id, listing_id) VALUES ($1, $2)`, [lead.id, world.ids.listingA1]);
    await injectFault(
      db.dataSource,
      'listing',
      world.ids.listingA1,
      kind,
      `(SELECT status = 'ACKNOWLEDGED' FROM referral WHERE id = ${rowId(c.referralId!)})`,
    );
    const response = await server.gql(
      world.keys.agencyX,
      `mutation($input: AcknowledgeReferralInput!) {
      acknowledgeReferral(input: $input) { referral { id status version investigation { leads(first: 5) { nodes { listings(first: 5) { nodes { id } } } } } } userErrors { code } } }`,
      { input: { referralId: c.referralId, agencyCaseReference: `case-${kind}` } },
    );
    const payload = response.body.data.acknowledgeReferral;
    expect(payload.userErrors).toEqual([]);
    expect(codes(response.body)).toHaveLength(1);
    const [row] = await owner(`SELECT status, version, agency_case_reference FROM referral WHERE id = $1`, [
      rowId(c.referralId!),
    ]);
    expect(row).toEqual({ status: 'ACKNOWLEDGED', version: 3, agency_case_reference: `case-${kind}` });
    // The payload's referral was nulled by the error in its selection (its leads are a non-null list), or kept:
    // either way, empty userErrors said "done", and it is done.
    if (payload.referral)
      expect({ status: payload.referral.status, version: payload.referral.version }).toEqual({
        status: 'ACKNOWLEDGED',
        version: 3,
      });
  });
});

describe('a PostgreSQL error in one read field', () => {
  it("is that field's error alone: its sibling fields answer", async () => {
    await injectFault(db.dataSource, 'brand', world.ids.brandA, 'timeout');
    const response = await server.gql(
      world.keys.investigator,
      `{
      first: leads(first: 1) { nodes { id } }
      broken: brands(first: 10) { nodes { id name } }
      last: sellers(first: 2) { nodes { id } } }`,
    );
    if (!response.body.data) throw new Error(JSON.stringify(response.body));
    expect(response.body.data.first.nodes.length).toBeGreaterThanOrEqual(0);
    expect(response.body.data.broken).toBeNull();
    expect(response.body.data.last.nodes).toHaveLength(2);
    expect(codes(response.body)).toEqual(['SERVICE_UNAVAILABLE']);
  });
});

describe('sendReferral and closeLead on one case at once', () => {
  it('never answer an internal error, and every answer matches the database (50 rounds)', async () => {
    let sent = 0;
    let closed = 0;
    for (let round = 0; round < 50; round += 1) {
      const c = await buildCase(server, world, { referTo: world.gid.agencyX, send: false, tag: `race ${round}` });
      const send = server.gql(
        world.keys.investigator,
        `mutation($input: SendReferralInput!) { sendReferral(input: $input) { referral { id status version } userErrors { code } } }`,
        { input: { referralId: c.referralId } },
      );
      await new Promise((resolve) => setTimeout(resolve, round % 16));
      const close = server.gql(
        world.keys.investigator,
        `mutation($input: CloseLeadInput!) { closeLead(input: $input) { lead { id status version } userErrors { code } } }`,
        { input: { leadId: c.leadId, reason: 'DUPLICATE' } },
      );
      const [sendAnswer, closeAnswer] = await Promise.all([send, close]);
      expect(codes(sendAnswer.body)).toEqual([]);
      expect(codes(closeAnswer.body)).toEqual([]);
      const [referral] = await owner(`SELECT status, version FROM referral WHERE id = $1`, [rowId(c.referralId!)]);
      const [lead] = await owner(`SELECT status, version FROM lead WHERE id = $1`, [rowId(c.leadId)]);
      const sendPayload = sendAnswer.body.data.sendReferral;
      const closePayload = closeAnswer.body.data.closeLead;
      if (sendPayload.userErrors.length === 0) {
        sent += 1;
        expect(referral).toEqual({ status: 'SENT', version: sendPayload.referral.version });
      } else {
        expect(referral.status).toBe('DRAFT');
      }
      if (closePayload.userErrors.length === 0) {
        closed += 1;
        expect(lead.status).toBe('CLOSED');
      } else {
        expect(lead.status).not.toBe('CLOSED');
      }
      // Whichever ran second saw the first's result: the lead is REFERRED (sent first) or CLOSED (closed first).
      expect(['REFERRED', 'CLOSED']).toContain(lead.status);
    }
    expect(sent + closed).toBeGreaterThanOrEqual(50);
  });
});

describe('retries', () => {
  it('ten identical outcome submissions with one key at once store one outcome', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'ten raids' });
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
    const input = {
      referralId: c.referralId,
      kind: 'RAID',
      occurredAt: new Date().toISOString(),
      arrests: 2,
      idempotencyKey: 'raid-1',
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        server.gql(
          world.keys.agencyX,
          `mutation($input: RecordEnforcementOutcomeInput!) { recordEnforcementOutcome(input: $input) { outcome { id } userErrors { code } } }`,
          { input },
        ),
      ),
    );
    const ids = new Set(answers.map((a) => dataOf(a).recordEnforcementOutcome.outcome.id));
    expect(ids.size).toBe(1);
    expect(
      await owner(`SELECT id::text FROM enforcement_outcome WHERE referral_id = $1`, [rowId(c.referralId!)]),
    ).toEqual([{ id: rowId([...ids][0]) }]);
  });

  it('a transition retried with its key answers the first result instead of STALE_VERSION or INVALID_TRANSITION', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'retried ack' });
    const input = { referralId: c.referralId, expectedVersion: 2, idempotencyKey: 'ack-1' };
    const first = await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeReferral',
      input,
      'referral { id status version }',
    );
    const again = await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeReferral',
      input,
      'referral { id status version }',
    );
    expect(again.referral).toEqual(first.referral);
    expect(await owner(`SELECT status, version FROM referral WHERE id = $1`, [rowId(c.referralId!)])).toEqual([
      { status: 'ACKNOWLEDGED', version: 3 },
    ]);
    expect(
      await owner(`SELECT count(*)::int AS n FROM referral_change WHERE referral_id = $1 AND kind = 'ACKNOWLEDGED'`, [
        rowId(c.referralId!),
      ]),
    ).toEqual([{ n: 1 }]);
  });

  it('recordEnforcementOutcome takes expectedVersion', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'stale outcome' });
    const answer = dataOf(
      await server.gql(
        world.keys.agencyX,
        `mutation($input: RecordEnforcementOutcomeInput!) { recordEnforcementOutcome(input: $input) { outcome { id } userErrors { code } } }`,
        { input: { referralId: c.referralId, expectedVersion: 1, kind: 'RAID', occurredAt: new Date().toISOString() } },
      ),
    );
    expect(answer.recordEnforcementOutcome.userErrors).toEqual([{ code: 'STALE_VERSION' }]);
    expect(
      await owner(`SELECT count(*)::int AS n FROM enforcement_outcome WHERE referral_id = $1`, [rowId(c.referralId!)]),
    ).toEqual([{ n: 0 }]);
  });
});
