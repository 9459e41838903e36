import { dataOf } from '../support/server';
import { mutate, sha } from '../support/cases';
import { useTestServer } from '../support/harness';

const { world, server } = useTestServer();

const LEAD_STATUS = `query($id: ID!) { node(id: $id) { ... on Lead { status version investigation { status assignee { name } internalNotes referrals { status outcomes { kind } } } } } }`;

describe('a whole case, from a brand report to a conviction, by the three kinds of client', () => {
  it('moves every record through its lifecycle with cascades, and shows each client only its part', async () => {
    // Brand A's portal reports a counterfeit seller and listing of its own brand.
    const { lead } = await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      {
        description: 'Fake Alpha bags sold in bulk',
        sellerIds: [world.gid.sellerA],
        listingIds: [world.gid.listingA1],
        idempotencyKey: 'portal-1',
      },
      'lead { id reference status source brands { name } }',
    );
    expect(lead.reference).toMatch(/^LD-\d{4}-\d{6}$/);
    expect(lead).toMatchObject({ status: 'NEW', source: 'BRAND_REPORT', brands: [{ name: 'Alpha' }] });

    // The investigator triages it, opens an investigation, gathers evidence and custody.
    await mutate(
      server,
      world.keys.investigator,
      'triageLead',
      { leadId: lead.id, riskScore: 90, internalNotes: 'big seller', expectedVersion: 1 },
      'lead { status }',
    );
    const { investigation } = await mutate(
      server,
      world.keys.investigator,
      'openInvestigation',
      {
        leadIds: [lead.id],
        summary: 'Test purchase and trace the warehouse',
        internalNotes: 'informant X',
      },
      'investigation { id reference status assignee { name } }',
    );
    expect(investigation).toMatchObject({ status: 'OPEN', assignee: { name: 'investigator' } });
    expect(investigation.reference).toMatch(/^INV-\d{4}-\d{6}$/);
    expect(dataOf(await server.gql(world.keys.investigator, LEAD_STATUS, { id: lead.id })).node.status).toBe(
      'INVESTIGATING',
    );

    const { evidence } = await mutate(
      server,
      world.keys.investigator,
      'addEvidence',
      {
        investigationId: investigation.id,
        kind: 'TEST_PURCHASE',
        description: 'Bag bought from the shop',
        sha256: sha(1),
        storageKey: 's3://evidence/1',
        collectedBy: 'Investigator Li',
        collectedAt: '2026-03-01T10:00:00Z',
        idempotencyKey: 'ev-1',
      },
      'evidence { id custodian investigation { status } }',
    );
    expect(evidence).toMatchObject({ custodian: 'Investigator Li', investigation: { status: 'EVIDENCE_GATHERING' } });
    const transferred = await mutate(
      server,
      world.keys.investigator,
      'recordCustodyTransfer',
      {
        evidenceId: evidence.id,
        toCustodian: 'Lab Hangzhou',
        purpose: 'authenticity test',
        expectedVersion: 1,
      },
      'evidence { custodian version custodyTransfers { fromCustodian toCustodian purpose } }',
    );
    expect(transferred.evidence).toMatchObject({
      custodian: 'Lab Hangzhou',
      version: 2,
      custodyTransfers: [
        { fromCustodian: 'Investigator Li', toCustodian: 'Lab Hangzhou', purpose: 'authenticity test' },
      ],
    });
    await mutate(
      server,
      world.keys.investigator,
      'recordFinding',
      { investigationId: investigation.id, kind: 'WAREHOUSE', region: 'CN-ZJ', address: 'No. 5 Industrial Rd, Yiwu' },
      'finding { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'markInvestigationReady',
      { investigationId: investigation.id },
      'investigation { status }',
    );

    // Referral to agency X: drafted (invisible to the agency), then sent (the cascade moves the case).
    const { referral } = await mutate(
      server,
      world.keys.investigator,
      'createReferral',
      {
        investigationId: investigation.id,
        agencyId: world.gid.agencyX,
        evidenceIds: [evidence.id],
        summary: 'Warehouse in Yiwu',
        idempotencyKey: 'ref-1',
      },
      'referral { id reference status }',
    );
    expect(referral.reference).toMatch(/^REF-\d{4}-\d{6}$/);
    expect(dataOf(await server.gql(world.keys.agencyX, '{ referrals { totalCount } }')).referrals.totalCount).toBe(0);
    await mutate(
      server,
      world.keys.investigator,
      'sendReferral',
      { referralId: referral.id, expectedVersion: 1 },
      'referral { status sentAt }',
    );
    const afterSend = dataOf(await server.gql(world.keys.investigator, LEAD_STATUS, { id: lead.id })).node;
    expect(afterSend.status).toBe('REFERRED');
    expect(afterSend.investigation.status).toBe('REFERRED');

    // The agency's tool pulls its referrals with the disclosed evidence, custody and the offline findings.
    const pulled = dataOf(
      await server.gql(
        world.keys.agencyX,
        `{ referrals { nodes { id status agency { code }
      disclosedEvidence { sha256 storageKey custodian custodyTransfers { toCustodian } }
      investigation { reference findings { kind region address } assignee { name } internalNotes leads { nodes { reference sellers { displayName } } } } } } }`,
      ),
    );
    expect(pulled.referrals.nodes).toHaveLength(1);
    const pulledReferral = pulled.referrals.nodes[0];
    expect(pulledReferral).toMatchObject({
      status: 'SENT',
      agency: { code: 'AG-X' },
      disclosedEvidence: [
        { sha256: sha(1), custodian: 'Lab Hangzhou', custodyTransfers: [{ toCustodian: 'Lab Hangzhou' }] },
      ],
    });
    expect(pulledReferral.investigation).toMatchObject({
      assignee: null,
      internalNotes: null,
      findings: [{ kind: 'WAREHOUSE', region: 'CN-ZJ' }],
    });
    expect(pulledReferral.investigation.leads.nodes).toEqual([
      { reference: expect.any(String), sellers: [{ displayName: 'Seller of Alpha' }] },
    ]);
    expect(dataOf(await server.gql(world.keys.agencyY, '{ referrals { totalCount } }')).referrals.totalCount).toBe(0);

    // It acknowledges, reports a raid with arrests and a seizure, then the prosecution and the conviction.
    await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeReferral',
      { referralId: referral.id, agencyCaseReference: 'YW-2026-77' },
      'referral { status agencyCaseReference }',
    );
    await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      {
        referralId: referral.id,
        kind: 'RAID',
        occurredAt: new Date().toISOString(),
        arrests: 7,
        densDestroyed: 2,
        seizedValue: { amount: 125_000_000_00, currency: 'CNY' },
        idempotencyKey: 'raid-1',
      },
      'outcome { kind arrests densDestroyed seizedValue { amount currency } referral { status firstActionAt } }',
    );
    await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      {
        referralId: referral.id,
        kind: 'SEIZURE',
        occurredAt: new Date().toISOString(),
        seizedValue: { amount: 5_000_00, currency: 'CNY' },
      },
      'outcome { id }',
    );
    await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      { referralId: referral.id, kind: 'PROSECUTION', occurredAt: new Date().toISOString() },
      'outcome { id }',
    );
    const conviction = await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      {
        referralId: referral.id,
        kind: 'CONVICTION',
        occurredAt: new Date().toISOString(),
        convictions: 3,
      },
      'outcome { kind convictions referral { status concludedAt } }',
    );
    expect(conviction.outcome.referral.status).toBe('CONVICTED');
    await mutate(
      server,
      world.keys.investigator,
      'closeReferral',
      { referralId: referral.id },
      'referral { status closedAt }',
    );

    // The brand follows its case: statuses and outcomes, but no assignee and no internal notes.
    const portal = dataOf(
      await server.gql(
        world.keys.brandA,
        `query($id: ID!) { node(id: $id) { ... on Lead { status internalNotes
      investigation { status assignee { name } internalNotes evidence { id } findings { id } referrals { status agency { code } outcomes { kind arrests convictions seizedValue { amount } } } } } } }`,
        { id: lead.id },
      ),
    );
    // Closing the convicted referral, the investigation's only one, ended the case: investigation and lead closed.
    expect(portal.node).toMatchObject({ status: 'CLOSED', internalNotes: null });
    expect(portal.node.investigation).toMatchObject({
      status: 'CLOSED',
      assignee: null,
      internalNotes: null,
      evidence: [],
      findings: [],
    });
    expect(portal.node.investigation.referrals).toEqual([
      {
        status: 'CLOSED',
        agency: { code: 'AG-X' },
        outcomes: [
          { kind: 'RAID', arrests: 7, convictions: 0, seizedValue: { amount: 125_000_000_00 } },
          { kind: 'SEIZURE', arrests: 0, convictions: 0, seizedValue: { amount: 5_000_00 } },
          { kind: 'PROSECUTION', arrests: 0, convictions: 0, seizedValue: null },
          { kind: 'CONVICTION', arrests: 0, convictions: 3, seizedValue: null },
        ],
      },
    ]);
    // Brand B learns nothing of it.
    expect(
      dataOf(
        await server.gql(
          world.keys.brandB,
          `query($id: ID!) { node(id: $id) { id } leads { totalCount } referrals { totalCount } investigations { totalCount } }`,
          { id: lead.id },
        ),
      ),
    ).toEqual({
      node: null,
      leads: { totalCount: 0 },
      referrals: { totalCount: 0 },
      investigations: { totalCount: 0 },
    });

    // The agency's sync feed holds every change since sending, in order.
    const feed = dataOf(
      await server.gql(
        world.keys.agencyX,
        '{ referralChanges(first: 50) { nodes { kind status referral { reference } outcome { kind } } } }',
      ),
    );
    expect(
      feed.referralChanges.nodes.map((c: any) => `${c.kind}:${c.status}${c.outcome ? `:${c.outcome.kind}` : ''}`),
    ).toEqual([
      'SENT:SENT',
      'ACKNOWLEDGED:ACKNOWLEDGED',
      'OUTCOME_RECORDED:ACTION_TAKEN:RAID',
      'OUTCOME_RECORDED:ACTION_TAKEN:SEIZURE',
      'OUTCOME_RECORDED:PROSECUTION:PROSECUTION',
      'OUTCOME_RECORDED:CONVICTED:CONVICTION',
      'CLOSED:CLOSED',
    ]);

    // Every change is in the audit trail of the record it changed.
    const trail = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($id: ID!) { auditTrail(entityId: $id, first: 50) { nodes { action actorLabel entityId } } }`,
        { id: lead.id },
      ),
    );
    expect(trail.auditTrail.nodes.map((e: any) => e.action)).toEqual([
      'lead.reported',
      'lead.triaged',
      'lead.investigating',
      'lead.referred',
      'lead.closed',
    ]);
    expect(trail.auditTrail.nodes[0].actorLabel).toBe('brand A portal (BRAND_PARTNER)');
    const custody = dataOf(
      await server.gql(world.keys.admin, `query($id: ID!) { auditTrail(entityId: $id) { nodes { action after } } }`, {
        id: evidence.id,
      }),
    );
    expect(custody.auditTrail.nodes.map((e: any) => e.action)).toEqual([
      'evidence.added',
      'evidence.custodyTransferred',
    ]);
    expect(custody.auditTrail.nodes[1].after).toMatchObject({
      custodian: 'Lab Hangzhou',
      purpose: 'authenticity test',
    });
    const verification = dataOf(
      await server.gql(world.keys.admin, '{ auditChainVerification { ok eventsChecked firstBrokenSeq } }'),
    );
    expect(verification.auditChainVerification).toMatchObject({ ok: true, firstBrokenSeq: null });
  });
});
