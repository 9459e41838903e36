import { dataOf } from '../support/server';
import { buildCase, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const REPORT = `mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id reference } userErrors { code message field } } }`;
const TRIAGE = `mutation($input: TriageLeadInput!) { triageLead(input: $input) { lead { status version } userErrors { code message } } }`;

describe('concurrent transitions', () => {
  it('of two concurrent triages of the same lead, exactly one wins; the other is refused', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { lead } = await mutate(
        server,
        world.keys.brandA,
        'reportLead',
        { description: `race ${round}` },
        'lead { id }',
      );
      const results = await Promise.all(
        [0, 1].map(() =>
          server.gql(world.keys.investigator, TRIAGE, { input: { leadId: lead.id, expectedVersion: 1 } }),
        ),
      );
      const payloads = results.map((r) => dataOf(r).triageLead);
      const winners = payloads.filter((p) => p.userErrors.length === 0);
      expect(winners).toHaveLength(1);
      expect(winners[0].lead).toEqual({ status: 'TRIAGED', version: 2 });
      const loser = payloads.find((p) => p.userErrors.length > 0)!;
      expect(loser.lead).toBeNull();
      expect(loser.userErrors[0].code).toBe('STALE_VERSION');
    }
  });

  it("without expectedVersion, the loser of a race sees the winner's result and is refused as an invalid transition", async () => {
    const { lead } = await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description: 'race without version' },
      'lead { id }',
    );
    const payloads = (
      await Promise.all([0, 1].map(() => server.gql(world.keys.investigator, TRIAGE, { input: { leadId: lead.id } })))
    ).map((r) => dataOf(r).triageLead);
    expect(payloads.filter((p) => p.userErrors.length === 0)).toHaveLength(1);
    expect(payloads.find((p) => p.userErrors.length)!.userErrors[0]).toMatchObject({
      code: 'INVALID_TRANSITION',
      message: expect.stringContaining('from TRIAGED to TRIAGED'),
    });
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'lead.triaged' AND entity_id = (SELECT id FROM lead WHERE status = 'TRIAGED' ORDER BY id DESC LIMIT 1)`,
    );
    expect(n).toBe(1);
  });

  it('gives concurrently created leads, investigations and referrals references that never repeat', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.gql(world.keys.brandA, REPORT, { input: { description: `burst ${i}` } }),
      ),
    );
    const references = results.map((r) => dataOf(r).reportLead.lead.reference);
    expect(new Set(references).size).toBe(20);
    const cases = await Promise.all(
      Array.from({ length: 4 }, (_, i) => buildCase(server, world, { referTo: world.gid.agencyX, tag: `ref ${i}` })),
    );
    const rows = await db.dataSource.query(
      `SELECT reference FROM investigation UNION ALL SELECT reference FROM referral`,
    );
    expect(new Set(rows.map((r: any) => r.reference)).size).toBe(rows.length);
    expect(cases).toHaveLength(4);
  });
});

describe('idempotent retries', () => {
  it('returns the first result for a retried request, also when the retries race', async () => {
    const input = { description: 'retried report', sellerIds: [world.gid.sellerA], idempotencyKey: 'retry-abc' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => server.gql(world.keys.brandA, REPORT, { input })),
    );
    const ids = results.map((r) => dataOf(r).reportLead.lead.id);
    expect(new Set(ids).size).toBe(1);
    const again = dataOf(await server.gql(world.keys.brandA, REPORT, { input })).reportLead.lead.id;
    expect(again).toBe(ids[0]);
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM lead WHERE description = 'retried report'`,
    );
    expect(n).toBe(1);
  });

  it('refuses the same key with a different input, creating nothing', async () => {
    await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description: 'first use', idempotencyKey: 'reused-key' },
      'lead { id }',
    );
    const before = await db.dataSource.query('SELECT count(*)::int AS n FROM lead');
    const payload = dataOf(
      await server.gql(world.keys.brandA, REPORT, {
        input: { description: 'something else', idempotencyKey: 'reused-key' },
      }),
    ).reportLead;
    expect(payload.lead).toBeNull();
    expect(payload.userErrors).toEqual([
      {
        code: 'IDEMPOTENCY_CONFLICT',
        field: ['input', 'idempotencyKey'],
        message: expect.stringMatching(/already used for a different request/),
      },
    ]);
    expect(await db.dataSource.query('SELECT count(*)::int AS n FROM lead')).toEqual(before);
  });

  it('scopes keys to the caller: another caller with the same key gets a record of its own', async () => {
    const a = dataOf(
      await server.gql(world.keys.brandA, REPORT, {
        input: { description: 'same key, other caller', idempotencyKey: 'shared-key' },
      }),
    ).reportLead.lead;
    const b = dataOf(
      await server.gql(world.keys.brandB, REPORT, {
        input: { description: 'same key, other caller', idempotencyKey: 'shared-key' },
      }),
    ).reportLead.lead;
    expect(a.id).not.toBe(b.id);
  });

  it('makes openInvestigation, addEvidence, createReferral and recordEnforcementOutcome idempotent too', async () => {
    const { lead } = await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description: 'idempotent case' },
      'lead { id }',
    );
    await mutate(server, world.keys.investigator, 'triageLead', { leadId: lead.id }, 'lead { id }');
    const open = { leadIds: [lead.id], summary: 'once', idempotencyKey: 'inv-once' };
    const first = await mutate(server, world.keys.investigator, 'openInvestigation', open, 'investigation { id }');
    const second = await mutate(server, world.keys.investigator, 'openInvestigation', open, 'investigation { id }');
    expect(second.investigation.id).toBe(first.investigation.id);
    const evidenceInput = {
      investigationId: first.investigation.id,
      kind: 'PHOTO',
      description: 'p',
      sha256: 'f'.repeat(64),
      storageKey: 'k',
      collectedBy: 'me',
      collectedAt: '2026-01-01T00:00:00Z',
      idempotencyKey: 'ev-once',
    };
    const e1 = await mutate(server, world.keys.investigator, 'addEvidence', evidenceInput, 'evidence { id }');
    const e2 = await mutate(server, world.keys.investigator, 'addEvidence', evidenceInput, 'evidence { id }');
    expect(e2.evidence.id).toBe(e1.evidence.id);
    await mutate(
      server,
      world.keys.investigator,
      'markInvestigationReady',
      { investigationId: first.investigation.id },
      'investigation { id }',
    );
    const referralInput = {
      investigationId: first.investigation.id,
      agencyId: world.gid.agencyX,
      evidenceIds: [e1.evidence.id],
      summary: 's',
      idempotencyKey: 'ref-once',
    };
    const r1 = await mutate(server, world.keys.investigator, 'createReferral', referralInput, 'referral { id }');
    const r2 = await mutate(server, world.keys.investigator, 'createReferral', referralInput, 'referral { id }');
    expect(r2.referral.id).toBe(r1.referral.id);
    await mutate(server, world.keys.investigator, 'sendReferral', { referralId: r1.referral.id }, 'referral { id }');
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: r1.referral.id }, 'referral { id }');
    const outcomeInput = {
      referralId: r1.referral.id,
      kind: 'RAID',
      occurredAt: new Date().toISOString(),
      arrests: 2,
      idempotencyKey: 'raid-once',
    };
    const o1 = await mutate(server, world.keys.agencyX, 'recordEnforcementOutcome', outcomeInput, 'outcome { id }');
    const o2 = await mutate(server, world.keys.agencyX, 'recordEnforcementOutcome', outcomeInput, 'outcome { id }');
    expect(o2.outcome.id).toBe(o1.outcome.id);
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM enforcement_outcome WHERE referral_id = (SELECT id FROM referral WHERE status = 'ACTION_TAKEN' ORDER BY id DESC LIMIT 1)`,
    );
    expect(n).toBe(1);
  });
});
