// Missing records and stale versions, role refusals, and the cascades (all or nothing), through the GraphQL API:
// each refusal changes nothing (all case tables are compared before and after). The refused transitions:
// transitions.test.ts; fixtures and checks: transitions-support.ts.
import { dataOf } from '../support/server';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { refused, sha } from '../support/cases';
import {
  addEvidence,
  buildCase,
  createReferral,
  db,
  evidenceOf,
  expectGraphQLError,
  expectRefused,
  inv,
  investigations,
  leads,
  listings,
  mutate,
  newListing,
  newSeller,
  openInvestigation,
  read,
  referrals,
  referralToY,
  referred,
  reportLead,
  sellers,
  send,
  server,
  triagedLead,
  world,
  useTransitionFixtures,
} from './transitions-support';

useTransitionFixtures();

describe('missing records and stale versions', () => {
  const missing = (type: string) => toGlobalId(type, 987654321);
  const missingCases: [string, () => Record<string, unknown>][] = [
    ['triageLead', () => ({ leadId: missing('Lead') })],
    ['closeLead', () => ({ leadId: missing('Lead'), reason: 'OTHER' })],
    ['openInvestigation', () => ({ leadIds: [leads.TRIAGED, missing('Lead')], summary: 's' })],
    [
      'addEvidence',
      () => ({
        investigationId: missing('Investigation'),
        kind: 'PHOTO',
        description: 'd',
        sha256: sha(3),
        storageKey: 'k',
        collectedBy: 'Li',
        collectedAt: '2026-03-01T00:00:00Z',
      }),
    ],
    [
      'recordFinding',
      () => ({ investigationId: missing('Investigation'), kind: 'FACTORY', region: 'CN-ZJ', address: 'a' }),
    ],
    ['recordCustodyTransfer', () => ({ evidenceId: missing('Evidence'), toCustodian: 'Lab', purpose: 'p' })],
    ['markInvestigationReady', () => ({ investigationId: missing('Investigation') })],
    ['closeInvestigation', () => ({ investigationId: missing('Investigation'), reason: 'r' })],
    [
      'createReferral',
      () => ({
        investigationId: missing('Investigation'),
        agencyId: world.gid.agencyX,
        evidenceIds: [referred.evidenceId],
        summary: 's',
      }),
    ],
    [
      'createReferral',
      () => ({
        investigationId: investigations.READY_FOR_REFERRAL,
        agencyId: missing('Agency'),
        evidenceIds: [evidenceOf.READY_FOR_REFERRAL],
        summary: 's',
      }),
    ],
    ['sendReferral', () => ({ referralId: missing('Referral') })],
    ['acknowledgeReferral', () => ({ referralId: missing('Referral') })],
    ['declineReferral', () => ({ referralId: missing('Referral'), reason: 'r' })],
    [
      'recordEnforcementOutcome',
      () => ({ referralId: missing('Referral'), kind: 'RAID', occurredAt: '2026-04-01T00:00:00Z' }),
    ],
    ['closeReferral', () => ({ referralId: missing('Referral') })],
    ['takeDownListings', () => ({ listingIds: [listings.LIVE, missing('Listing')], reason: 'r' })],
    ['reinstateListing', () => ({ listingId: missing('Listing'), reason: 'r' })],
    ['updateSellerStatus', () => ({ sellerId: missing('Seller'), status: 'WARNED', reason: 'r' })],
  ];
  it.each(missingCases)('%s naming a record that does not exist is NOT_FOUND', async (name, input) => {
    await expectRefused(inv(), name, input(), 'NOT_FOUND');
  });

  // Each on a record whose transition would otherwise be allowed: the stale version alone refuses it.
  const staleCases: [string, () => string, (id: string) => Record<string, unknown>][] = [
    ['triageLead', () => leads.NEW, (id) => ({ leadId: id })],
    ['closeLead', () => leads.NEW, (id) => ({ leadId: id, reason: 'OTHER' })],
    ['markInvestigationReady', () => investigations.EVIDENCE_GATHERING, (id) => ({ investigationId: id })],
    ['closeInvestigation', () => investigations.OPEN, (id) => ({ investigationId: id, reason: 'r' })],
    [
      'recordCustodyTransfer',
      () => evidenceOf.EVIDENCE_GATHERING,
      (id) => ({ evidenceId: id, toCustodian: 'Lab', purpose: 'p' }),
    ],
    ['sendReferral', () => referrals.DRAFT, (id) => ({ referralId: id })],
    ['acknowledgeReferral', () => referrals.SENT, (id) => ({ referralId: id })],
    ['declineReferral', () => referrals.SENT, (id) => ({ referralId: id, reason: 'r' })],
    ['closeReferral', () => referrals.DECLINED, (id) => ({ referralId: id })],
    ['reinstateListing', () => listings.TAKEN_DOWN, (id) => ({ listingId: id, reason: 'r' })],
    ['updateSellerStatus', () => sellers.ACTIVE.id, (id) => ({ sellerId: id, status: 'WARNED', reason: 'r' })],
  ];
  it.each(staleCases)('%s with an old expectedVersion is STALE_VERSION', async (name, target, input) => {
    const id = target();
    const { version } = await read(id);
    await expectRefused(
      inv(),
      name,
      { ...input(id), expectedVersion: version - 1 },
      'STALE_VERSION',
      `version ${version}, you expected ${version - 1}`,
    );
  });

  it('a client that read a lead before someone else triaged it gets STALE_VERSION when it closes it', async () => {
    const leadId = await reportLead('race');
    const { version } = await read(leadId);
    await mutate(server, inv(), 'triageLead', { leadId, expectedVersion: version }, 'lead { version }');
    await expectRefused(
      world.keys.admin,
      'closeLead',
      { leadId, reason: 'DUPLICATE', expectedVersion: version },
      'STALE_VERSION',
      'changed by someone else',
    );
    expect(await read(leadId)).toMatchObject({ status: 'TRIAGED', version: version + 1 });
  });
});

// ---------------------------------------------------------------------------------------------------
// Who may do what
// ---------------------------------------------------------------------------------------------------

describe('role refusals', () => {
  // Inputs that would succeed for an investigator: only the caller's role refuses them.
  const investigatorMutations: [string, () => Record<string, unknown>][] = [
    ['triageLead', () => ({ leadId: leads.NEW })],
    ['closeLead', () => ({ leadId: leads.NEW, reason: 'OTHER' })],
    ['openInvestigation', () => ({ leadIds: [leads.TRIAGED], summary: 's' })],
    [
      'addEvidence',
      () => ({
        investigationId: investigations.OPEN,
        kind: 'PHOTO',
        description: 'd',
        sha256: sha(4),
        storageKey: 'k',
        collectedBy: 'Li',
        collectedAt: '2026-03-01T00:00:00Z',
      }),
    ],
    ['recordFinding', () => ({ investigationId: investigations.OPEN, kind: 'FACTORY', region: 'CN-ZJ', address: 'a' })],
    ['recordCustodyTransfer', () => ({ evidenceId: evidenceOf.EVIDENCE_GATHERING, toCustodian: 'Lab', purpose: 'p' })],
    ['markInvestigationReady', () => ({ investigationId: investigations.EVIDENCE_GATHERING })],
    ['closeInvestigation', () => ({ investigationId: investigations.OPEN, reason: 'r' })],
    [
      'createReferral',
      () => ({
        investigationId: investigations.READY_FOR_REFERRAL,
        agencyId: world.gid.agencyX,
        evidenceIds: [evidenceOf.READY_FOR_REFERRAL],
        summary: 's',
      }),
    ],
    ['sendReferral', () => ({ referralId: referrals.DRAFT })],
    ['closeReferral', () => ({ referralId: referrals.DECLINED })],
    ['takeDownListings', () => ({ listingIds: [listings.LIVE], reason: 'r' })],
    ['reinstateListing', () => ({ listingId: listings.TAKEN_DOWN, reason: 'r' })],
    ['updateSellerStatus', () => ({ sellerId: sellers.ACTIVE.id, status: 'WARNED', reason: 'r' })],
  ];
  const agencyMutations: [string, () => Record<string, unknown>][] = [
    ['acknowledgeReferral', () => ({ referralId: referrals.SENT })],
    ['declineReferral', () => ({ referralId: referrals.SENT, reason: 'r' })],
    [
      'recordEnforcementOutcome',
      () => ({ referralId: referrals.ACKNOWLEDGED, kind: 'RAID', occurredAt: '2026-04-01T00:00:00Z' }),
    ],
  ];
  const cases = [
    ...investigatorMutations.flatMap(([name, input]) =>
      (['brandA', 'analyst', 'agencyX'] as const).map((who) => [who, name, input] as const),
    ),
    ...agencyMutations.flatMap(([name, input]) =>
      (['brandA', 'analyst'] as const).map((who) => [who, name, input] as const),
    ),
    ...(['analyst', 'agencyX'] as const).map(
      (who) => [who, 'reportLead', () => ({ brandIds: [world.gid.brandA], description: 'd' })] as const,
    ),
  ];

  it.each(cases)('%s calling %s gets FORBIDDEN and changes nothing', async (who, name, input) => {
    await expectGraphQLError(world.keys[who], name, input(), 'FORBIDDEN');
  });

  it("an agency liaison acting on another agency's referral or on a DRAFT gets NOT_FOUND, exactly as for a missing id", async () => {
    const missingId = toGlobalId('Referral', 987654321);
    const attempts: [string, (referralId: string) => Record<string, unknown>][] = [
      ['acknowledgeReferral', (referralId) => ({ referralId })],
      ['declineReferral', (referralId) => ({ referralId, reason: 'r' })],
      ['recordEnforcementOutcome', (referralId) => ({ referralId, kind: 'RAID', occurredAt: '2026-04-01T00:00:00Z' })],
    ];
    for (const [name, input] of attempts) {
      const asMissing = await expectRefused(world.keys.agencyX, name, input(missingId), 'NOT_FOUND');
      expect(await expectRefused(world.keys.agencyX, name, input(referralToY), 'NOT_FOUND')).toEqual(asMissing);
      expect(await expectRefused(world.keys.agencyX, name, input(referrals.DRAFT), 'NOT_FOUND')).toEqual(asMissing);
      // And the other way round: agency Y cannot touch agency X's referral.
      expect(await expectRefused(world.keys.agencyY, name, input(referrals.SENT), 'NOT_FOUND')).toEqual(asMissing);
    }
  });

  it('a brand partner reporting a lead for brand B gets NOT_FOUND on brandIds, as for a brand that does not exist', async () => {
    const other = await expectRefused(
      world.keys.brandA,
      'reportLead',
      { brandIds: [world.gid.brandB], description: 'B fakes' },
      'NOT_FOUND',
    );
    const missing = await expectRefused(
      world.keys.brandA,
      'reportLead',
      { brandIds: [toGlobalId('Brand', 987654321)], description: 'B fakes' },
      'NOT_FOUND',
    );
    expect(other.field).toEqual(['input', 'brandIds', '0']);
    expect(missing.field).toEqual(other.field);
    expect(other.message.replace(world.gid.brandB, '<id>')).toBe(
      missing.message.replace(toGlobalId('Brand', 987654321), '<id>'),
    );
    // Naming both its own brand and brand B: refused as a whole, on the second id.
    const mixed = await expectRefused(
      world.keys.brandA,
      'reportLead',
      { brandIds: [world.gid.brandA, world.gid.brandB], description: 'fakes', idempotencyKey: 'mixed' },
      'NOT_FOUND',
    );
    expect(mixed.field).toEqual(['input', 'brandIds', '1']);
  });

  it('a brand partner reporting a lead from another source than BRAND_REPORT is INVALID', async () => {
    await expectRefused(
      world.keys.brandA,
      'reportLead',
      { description: 'tip', source: 'TIP' },
      'INVALID',
      'BRAND_REPORT',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Cascades: in the same transaction, all or nothing
// ---------------------------------------------------------------------------------------------------

async function auditActions(id: string): Promise<string[]> {
  const trail = dataOf(
    await server.gql(
      world.keys.admin,
      `query($id: ID!) { auditTrail(entityId: $id, first: 100) { nodes { action } } }`,
      { id },
    ),
  );
  return trail.auditTrail.nodes.map((e: any) => e.action);
}

describe('cascades', () => {
  it('openInvestigation moves its leads to INVESTIGATING; the first evidence moves it to EVIDENCE_GATHERING', async () => {
    const [l1, l2] = [await triagedLead('c1'), await triagedLead('c2')];
    const investigationId = await openInvestigation([l1, l2]);
    for (const id of [l1, l2]) {
      expect(await read(id)).toMatchObject({ status: 'INVESTIGATING', investigation: { id: investigationId } });
      expect(await auditActions(id)).toEqual(['lead.reported', 'lead.triaged', 'lead.investigating']);
    }
    expect((await read(investigationId)).status).toBe('OPEN');
    await addEvidence(investigationId);
    expect((await read(investigationId)).status).toBe('EVIDENCE_GATHERING');
    await addEvidence(investigationId);
    expect(await read(investigationId)).toMatchObject({ status: 'EVIDENCE_GATHERING', version: 2 });
    expect(await auditActions(investigationId)).toEqual(['investigation.opened', 'investigation.evidence_gathering']);
  });

  it('closeInvestigation closes its open leads (and leaves the closed ones as they were)', async () => {
    const [l1, l2] = [await triagedLead('ci1'), await triagedLead('ci2')];
    const investigationId = await openInvestigation([l1, l2]);
    await mutate(server, inv(), 'closeLead', { leadId: l2, reason: 'DUPLICATE', note: 'same as ci1' }, 'lead { id }');
    const closedBefore = await read(l2);
    const { investigation } = await mutate(
      server,
      inv(),
      'closeInvestigation',
      { investigationId, reason: 'seller vanished' },
      'investigation { status closeReason }',
    );
    expect(investigation).toEqual({ status: 'CLOSED', closeReason: 'seller vanished' });
    expect(await read(l1)).toMatchObject({
      status: 'CLOSED',
      closeReason: 'INVESTIGATION_CLOSED',
      closeNote: 'seller vanished',
    });
    expect(await read(l2)).toEqual(closedBefore);
    expect(await auditActions(l1)).toEqual(['lead.reported', 'lead.triaged', 'lead.investigating', 'lead.closed']);
  });

  it('closeInvestigation of a REFERRED investigation concludes its REFERRED leads', async () => {
    const done = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'concluded' });
    await mutate(
      server,
      inv(),
      'closeInvestigation',
      { investigationId: done.investigationId, reason: 'case over' },
      'investigation { id }',
    );
    expect(await read(done.leadId)).toMatchObject({ status: 'CLOSED', closeReason: 'CASE_CONCLUDED' });
  });

  it('sendReferral moves the investigation and its open leads to REFERRED; a second referral leaves them as they are', async () => {
    const [l1, l2, l3] = [await triagedLead('s1'), await triagedLead('s2'), await triagedLead('s3')];
    const investigationId = await openInvestigation([l1, l2, l3]);
    const evidenceId = await addEvidence(investigationId);
    await mutate(server, inv(), 'closeLead', { leadId: l3, reason: 'DUPLICATE' }, 'lead { id }');
    await mutate(server, inv(), 'markInvestigationReady', { investigationId }, 'investigation { id }');
    const first = await createReferral(investigationId, world.gid.agencyX, [evidenceId]);
    // Drafting moves nothing.
    expect((await read(investigationId)).status).toBe('READY_FOR_REFERRAL');
    expect((await read(l1)).status).toBe('INVESTIGATING');

    const [{ last: eventsBefore }] = await db.dataSource.query('SELECT max(seq) AS last FROM audit_event');
    const { referral } = await mutate(
      server,
      inv(),
      'sendReferral',
      { referralId: first, expectedVersion: 1 },
      'referral { status sentAt version investigation { status } }',
    );
    expect(referral).toMatchObject({ status: 'SENT', version: 2, investigation: { status: 'REFERRED' } });
    expect(referral.sentAt).toEqual(expect.any(String));
    expect((await read(l1)).status).toBe('REFERRED');
    expect((await read(l2)).status).toBe('REFERRED');
    expect((await read(l3)).status).toBe('CLOSED');
    // One request, one transaction: the referral, the investigation and both leads, each audited, in one run of the chain.
    const events = await db.dataSource.query('SELECT action, request_id FROM audit_event WHERE seq > $1 ORDER BY seq', [
      eventsBefore,
    ]);
    expect(events.map((e: any) => e.action).sort()).toEqual([
      'investigation.referred',
      'lead.referred',
      'lead.referred',
      'referral.sent',
    ]);
    expect(new Set(events.map((e: any) => e.request_id)).size).toBe(1);

    const invBefore = await read(investigationId);
    const second = await createReferral(investigationId, world.gid.agencyY, [evidenceId]);
    await send(second);
    expect(await read(investigationId)).toEqual(invBefore);
    expect((await read(second)).status).toBe('SENT');
  });

  it('takeDownListings gives one strike per listing and escalates: 1 WARNED, 3 RESTRICTED, 5 SUSPENDED (docs/enforcement-policy.md)', async () => {
    const s = await newSeller();
    const t = await newSeller();
    const sListings = [];
    for (let i = 0; i < 5; i += 1) sListings.push(await newListing(s.id));
    const t1 = await newListing(t.id);
    // Two listings (one named twice): 2 strikes, WARNED.
    await mutate(
      server,
      inv(),
      'takeDownListings',
      { listingIds: [sListings[0], t1, sListings[1], sListings[0]], reason: 'round 1' },
      'listings { id }',
    );
    expect(await read(s.id)).toMatchObject({ strikeCount: 2, status: 'WARNED' });
    expect(await read(t.id)).toMatchObject({ strikeCount: 1, status: 'WARNED' });
    // One more: 3, RESTRICTED; two more in one call: 5, SUSPENDED.
    await mutate(
      server,
      inv(),
      'takeDownListings',
      { listingIds: [sListings[2]], reason: 'round 2' },
      'listings { id }',
    );
    expect(await read(s.id)).toMatchObject({ strikeCount: 3, status: 'RESTRICTED' });
    await mutate(
      server,
      inv(),
      'takeDownListings',
      { listingIds: [sListings[3], sListings[4]], reason: 'round 3' },
      'listings { id }',
    );
    expect(await read(s.id)).toMatchObject({ strikeCount: 5, status: 'SUSPENDED' });
    expect((await auditActions(s.id)).filter((a) => a === 'seller.struck')).toHaveLength(3);
  });

  it('strikes never lower a sanction set directly by an investigator', async () => {
    const s = await newSeller();
    await mutate(
      server,
      inv(),
      'updateSellerStatus',
      { sellerId: s.id, status: 'SUSPENDED', reason: 'repeat offender' },
      'seller { status }',
    );
    await mutate(
      server,
      inv(),
      'takeDownListings',
      { listingIds: [await newListing(s.id)], reason: 'fake' },
      'listings { id }',
    );
    expect(await read(s.id)).toMatchObject({ status: 'SUSPENDED', strikeCount: 1 });
  });

  it('a takeDownListings batch with one listing already TAKEN_DOWN changes none of the listings and gives no strike', async () => {
    const u = await newSeller();
    const live = await newListing(u.id, 'LIVE');
    const reinstated = await newListing(u.id, 'REINSTATED');
    const down = await newListing(u.id, 'TAKEN_DOWN');
    await expectRefused(
      inv(),
      'takeDownListings',
      { listingIds: [live, reinstated, down], reason: 'batch' },
      'INVALID_TRANSITION',
      `listing ${down} from TAKEN_DOWN to TAKEN_DOWN`,
    );
    expect(await read(live)).toMatchObject({ status: 'LIVE', version: 1 });
    expect(await read(reinstated)).toMatchObject({ status: 'REINSTATED', version: 1 });
    expect(await read(u.id)).toMatchObject({ status: 'ACTIVE', strikeCount: 0 });
  });
});
