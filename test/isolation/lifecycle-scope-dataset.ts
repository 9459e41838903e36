import { buildCase, mutate, sha } from '../support/cases';
import { World } from '../support/fixtures';
import { dataOf, TestServer } from '../support/server';

// The cases test/isolation/lifecycle-scope.test.ts reads across tenants: brand A's case referred to agencies
// X and Y (plus a draft to X), brand B's referred to Y, brand A's with only a draft, and leads on the
// seller of both brands.

export interface LifecycleScopeDataset {
  /** Global ids of the dataset, by name. */
  id: Record<string, string>;
  investigatorPrincipalId: string;
}

let evidenceCounter = 5000;

export async function buildLifecycleScopeDataset(server: TestServer, world: World): Promise<LifecycleScopeDataset> {
  const id: Record<string, string> = {};
  const q = async (token: string, query: string, variables: Record<string, unknown> = {}) =>
    dataOf(await server.gql(token, query, variables));
  async function addEvidence(investigationId: string): Promise<string> {
    evidenceCounter += 1;
    const { evidence } = await mutate(
      server,
      world.keys.investigator,
      'addEvidence',
      {
        investigationId,
        kind: 'PHOTO',
        description: 'photo',
        sha256: sha(evidenceCounter),
        storageKey: `s3://evidence/${evidenceCounter}`,
        collectedBy: 'Investigator Li',
        collectedAt: '2026-03-01T10:00:00Z',
      },
      'evidence { id }',
    );
    return evidence.id;
  }
  async function referral(
    investigationId: string,
    agencyId: string,
    evidenceIds: string[],
    send = true,
  ): Promise<string> {
    const { referral } = await mutate(
      server,
      world.keys.investigator,
      'createReferral',
      { investigationId, agencyId, evidenceIds, summary: 'act' },
      'referral { id }',
    );
    if (send)
      await mutate(server, world.keys.investigator, 'sendReferral', { referralId: referral.id }, 'referral { id }');
    return referral.id;
  }
  async function finding(investigationId: string): Promise<string> {
    const { finding } = await mutate(
      server,
      world.keys.investigator,
      'recordFinding',
      { investigationId, kind: 'WAREHOUSE', region: 'CN-ZJ', address: 'Rd 9' },
      'finding { id }',
    );
    return finding.id;
  }
  async function custody(evidenceId: string): Promise<string> {
    const { evidence } = await mutate(
      server,
      world.keys.investigator,
      'recordCustodyTransfer',
      { evidenceId, toCustodian: 'Lab', purpose: 'analysis' },
      'evidence { custodyTransfers { id } }',
    );
    return evidence.custodyTransfers[0].id;
  }
  async function acknowledgeAndRaid(token: string, referralId: string): Promise<string> {
    await mutate(server, token, 'acknowledgeReferral', { referralId }, 'referral { id }');
    const { outcome } = await mutate(
      server,
      token,
      'recordEnforcementOutcome',
      { referralId, kind: 'RAID', occurredAt: new Date().toISOString(), arrests: 3 },
      'outcome { id }',
    );
    return outcome.id;
  }

  const investigatorPrincipalId = (await q(world.keys.investigator, '{ viewer { id } }')).viewer.id;

  // Case A (brand A): three evidence items, a finding, a custody transfer; referred to X (acknowledged, raid)
  // and to Y, each with its own evidence; plus a DRAFT to X disclosing a third item.
  const a = await buildCase(server, world, { tag: 'A' });
  Object.assign(id, { leadA: a.leadId, invA: a.investigationId, evA1: a.evidenceId });
  id.evA2 = await addEvidence(a.investigationId);
  id.evA3 = await addEvidence(a.investigationId);
  id.findA = await finding(a.investigationId);
  id.custA = await custody(id.evA1);
  id.custA2 = await custody(id.evA2);
  id.refAX = await referral(a.investigationId, world.gid.agencyX, [id.evA1]);
  id.refAY = await referral(a.investigationId, world.gid.agencyY, [id.evA2]);
  id.refAXdraft = await referral(a.investigationId, world.gid.agencyX, [id.evA3], false);
  id.outAX = await acknowledgeAndRaid(world.keys.agencyX, id.refAX);

  // Case B (brand B): referred to Y only, acknowledged, raid.
  const b = await buildCase(server, world, { brand: 'B', tag: 'B' });
  Object.assign(id, { leadB: b.leadId, invB: b.investigationId, evB: b.evidenceId });
  id.findB = await finding(b.investigationId);
  id.custB = await custody(id.evB);
  id.refBY = await referral(b.investigationId, world.gid.agencyY, [id.evB]);
  id.outBY = await acknowledgeAndRaid(world.keys.agencyY, id.refBY);

  // Case D (brand A): only a DRAFT to X; X must see nothing of it.
  const d = await buildCase(server, world, { referTo: world.gid.agencyX, send: false, tag: 'D' });
  Object.assign(id, { leadD: d.leadId, invD: d.investigationId, evD: d.evidenceId, refDXdraft: d.referralId! });

  // A lead naming brands A and B (reported by an investigator), on the seller of both, with a listing of each brand.
  const { lead: shared } = await mutate(
    server,
    world.keys.investigator,
    'reportLead',
    {
      description: 'both brands',
      brandIds: [world.gid.brandA, world.gid.brandB],
      sellerIds: [world.gid.sellerAB],
      listingIds: [world.gid.listingA2, world.gid.listingB2],
      source: 'PLATFORM_DETECTION',
    },
    'lead { id }',
  );
  id.leadShared = shared.id;
  await mutate(
    server,
    world.keys.investigator,
    'triageLead',
    { leadId: shared.id, internalNotes: 'both brands, one warehouse' },
    'lead { id }',
  );
  // Brand B's own report on the seller of both brands.
  const { lead: bOnShared } = await mutate(
    server,
    world.keys.brandB,
    'reportLead',
    { description: 'B on shared seller', sellerIds: [world.gid.sellerAB] },
    'lead { id }',
  );
  id.leadBOnShared = bOnShared.id;

  // Sanity: every record above exists and the enforcement team sees all of it (so that a null below means "hidden").
  const all = Object.values(id);
  const seen = await q(world.keys.investigator, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: all });
  expect(seen.nodes.map((n: any) => n?.id)).toEqual(all);
  return { id, investigatorPrincipalId };
}
