import { buildCase, CaseIds, mutate, sha } from '../support/cases';
import { createWorld, World } from '../support/fixtures';
import { TestServer } from '../support/server';

/**
 * The dataset of the generated isolation test: two brands and two agencies whose cases cross in every
 * way the model allows, so that each scoped caller has records of the other tenant next to its own.
 *
 * - buildCase for brand A (referred to agency X) and brand B (referred to agency Y), acknowledged, with
 *   outcomes recorded by the agencies and a custody transfer of each evidence item;
 * - a DRAFT referral of brand A's investigation to agency Y (disclosing brand A's evidence);
 * - a lead naming both brands A and B, reported by the investigator, on the seller of both brands and
 *   a listing of each brand;
 * - one further case per brand on the seller of both brands: brand A's names the seller and its Alpha
 *   listing, brand B's names only its Beta listing (the seller stays out of agency Y's scope); each has
 *   an evidence item that is disclosed and one that is not, a finding, a custody transfer, a sent and
 *   acknowledged referral (A to X, B to Y) and an outcome with a fine.
 */
export interface Dataset {
  world: World;
  caseA: CaseIds;
  caseB: CaseIds;
  draftReferralAtoY: string;
  leadAB: string;
  richA: CaseIds;
  richB: CaseIds;
}

async function acknowledgeAndRecord(server: TestServer, agencyKey: string, referralId: string, tag: string, outcome: Record<string, unknown>) {
  await mutate(server, agencyKey, 'acknowledgeReferral', { referralId, agencyCaseReference: `AGCASE-${tag}-77` }, 'referral { id }');
  await mutate(server, agencyKey, 'recordEnforcementOutcome', { referralId, occurredAt: '2026-04-01T06:00:00Z', notes: `Outcome notes ${tag}`, ...outcome }, 'outcome { id }');
}

/** A case on the seller of both brands, with disclosed and undisclosed evidence, a finding and a fine. */
async function buildRichCase(server: TestServer, world: World, brand: 'A' | 'B', agencyGid: string, agencyKey: string): Promise<CaseIds> {
  const brandKey = brand === 'A' ? world.keys.brandA : world.keys.brandB;
  const report = brand === 'A'
    ? { sellerIds: [world.gid.sellerAB], listingIds: [world.gid.listingA2] }
    : { listingIds: [world.gid.listingB2] };
  const inv = world.keys.investigator;
  const { lead } = await mutate(server, brandKey, 'reportLead', { description: `Rich report of brand ${brand} on the shared shop`, ...report }, 'lead { id }');
  await mutate(server, inv, 'triageLead', { leadId: lead.id, riskScore: 70, internalNotes: `Rich internal note ${brand}` }, 'lead { id }');
  const { investigation } = await mutate(server, inv, 'openInvestigation', { leadIds: [lead.id], summary: `Rich investigation summary ${brand}`, internalNotes: `Rich investigation note ${brand}` }, 'investigation { id }');
  const evidence = async (n: number) => (await mutate(server, inv, 'addEvidence', {
    investigationId: investigation.id, kind: 'SCREENSHOT', description: `Rich evidence ${brand}${n}`, sha256: sha(Math.floor(Math.random() * 1e12)),
    storageKey: `s3://rich-evidence/${brand}/${n}`, collectedBy: `Collector ${brand}${n}`, collectedAt: '2026-03-02T10:00:00Z',
  }, 'evidence { id }')).evidence.id as string;
  const disclosed = await evidence(1);
  await evidence(2); // never disclosed: internal only
  await mutate(server, inv, 'recordCustodyTransfer', { evidenceId: disclosed, toCustodian: `Rich lab ${brand}`, purpose: `Rich analysis ${brand}` }, 'evidence { id }');
  await mutate(server, inv, 'recordFinding', { investigationId: investigation.id, kind: 'FACTORY', region: brand === 'A' ? 'CN-ZJ' : 'CN-GD', address: `Rich factory address ${brand}`, notes: `Rich finding note ${brand}` }, 'finding { id }');
  await mutate(server, inv, 'markInvestigationReady', { investigationId: investigation.id }, 'investigation { id }');
  const { referral } = await mutate(server, inv, 'createReferral', { investigationId: investigation.id, agencyId: agencyGid, evidenceIds: [disclosed], summary: `Rich referral summary ${brand}` }, 'referral { id }');
  await mutate(server, inv, 'sendReferral', { referralId: referral.id }, 'referral { id }');
  await acknowledgeAndRecord(server, agencyKey, referral.id, `rich-${brand}`, {
    kind: 'FINE', fine: { amount: brand === 'A' ? 1234500 : 6789000, currency: 'CNY' },
  });
  return { leadId: lead.id, investigationId: investigation.id, evidenceId: disclosed, referralId: referral.id };
}

export async function buildDataset(server: TestServer, world: World): Promise<Dataset> {
  const inv = world.keys.investigator;
  const caseA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'Alpha-main' });
  const caseB = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyY, tag: 'Beta-main' });
  await acknowledgeAndRecord(server, world.keys.agencyX, caseA.referralId!, 'A', { kind: 'RAID', arrests: 7, densDestroyed: 2, seizedValue: { amount: 12500000, currency: 'CNY' } });
  await acknowledgeAndRecord(server, world.keys.agencyY, caseB.referralId!, 'B', { kind: 'SEIZURE', arrests: 3, seizedValue: { amount: 990000, currency: 'USD' } });
  await mutate(server, inv, 'recordCustodyTransfer', { evidenceId: caseA.evidenceId, toCustodian: 'Main lab A', purpose: 'Main analysis A' }, 'evidence { id }');
  await mutate(server, inv, 'recordCustodyTransfer', { evidenceId: caseB.evidenceId, toCustodian: 'Main lab B', purpose: 'Main analysis B' }, 'evidence { id }');

  // Brand A's investigation drafted to agency Y as well: a draft is invisible to the agency and the brand.
  const { referral: draft } = await mutate(server, inv, 'createReferral', {
    investigationId: caseA.investigationId, agencyId: world.gid.agencyY, evidenceIds: [caseA.evidenceId], summary: 'Draft for agency Y only',
  }, 'referral { id }');

  // One lead naming both brands, by the investigator: each brand sees it, but not the other brand on it.
  const { lead: leadAB } = await mutate(server, inv, 'reportLead', {
    description: 'Lead naming both brands', brandIds: [world.gid.brandA, world.gid.brandB], sellerIds: [world.gid.sellerAB],
    listingIds: [world.gid.listingA2, world.gid.listingB2], source: 'PLATFORM_DETECTION',
  }, 'lead { id }');
  await mutate(server, inv, 'triageLead', { leadId: leadAB.id, riskScore: 60, internalNotes: 'Both brands internal note' }, 'lead { id }');

  const richA = await buildRichCase(server, world, 'A', world.gid.agencyX, world.keys.agencyX);
  const richB = await buildRichCase(server, world, 'B', world.gid.agencyY, world.keys.agencyY);
  return { world, caseA, caseB, draftReferralAtoY: draft.id, leadAB: leadAB.id, richA, richB };
}
