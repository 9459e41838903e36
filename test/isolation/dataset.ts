import { DataSource } from 'typeorm';
import { buildCase, CaseIds, mutate, sha } from '../support/cases';
import { createWorld, World } from '../support/fixtures';
import { dataOf, TestServer } from '../support/server';

/**
 * The dataset of the generated isolation test: two brands and two agencies whose cases cross in every
 * way the model allows, so that each scoped caller has records of the other tenant next to its own.
 *
 * - buildCase for brand A (referred to agency X) and brand B (referred to agency Y), acknowledged, with
 *   outcomes recorded by the agencies, a custody transfer of each evidence item, an escalation of each
 *   referral by the investigator and feedback on it by its agency, and one joint operation grouping the
 *   main outcomes of both agencies;
 * - a DRAFT referral of brand A's investigation to agency Y (disclosing brand A's evidence);
 * - a lead naming both brands A and B, reported by the investigator, on the seller of both brands and
 *   a listing of each brand;
 * - one further case per brand on the seller of both brands: brand A's names the seller and its Alpha
 *   listing, brand B's names only its Beta listing (the seller stays out of agency Y's scope); each has
 *   an evidence item that is disclosed and one that is not, a finding, a custody transfer, a sent and
 *   acknowledged referral (A to X, B to Y) and an outcome with a fine; the factory is registered premises,
 *   and both cases also found one shared warehouse, which each agency raided;
 * - a closed seller and a new one known by its phone: a repeat-offender match with its lead (internal only).
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

async function acknowledgeAndRecord(
  server: TestServer,
  agencyKey: string,
  referralId: string,
  tag: string,
  outcome: Record<string, unknown>,
) {
  await mutate(
    server,
    agencyKey,
    'acknowledgeReferral',
    { referralId, agencyCaseReference: `AGCASE-${tag}-77` },
    'referral { id }',
  );
  await mutate(
    server,
    agencyKey,
    'recordEnforcementOutcome',
    { referralId, occurredAt: new Date().toISOString(), notes: `Outcome notes ${tag}`, ...outcome },
    'outcome { id }',
  );
}

let shared: string | null = null;
/** Premises found by both brands' rich cases (registered once). */
async function sharedPremises(server: TestServer, inv: string): Promise<string> {
  shared ??= (
    await mutate(
      server,
      inv,
      'registerPremises',
      { kind: 'WAREHOUSE', region: 'CN-FJ', address: 'Shared warehouse of both brands', notes: 'Shared premises note' },
      'premises { id }',
    )
  ).premises.id as string;
  return shared;
}

/** A case on the seller of both brands, with disclosed and undisclosed evidence, a finding and a fine. */
async function buildRichCase(
  server: TestServer,
  world: World,
  brand: 'A' | 'B',
  agencyGid: string,
  agencyKey: string,
): Promise<CaseIds> {
  const brandKey = brand === 'A' ? world.keys.brandA : world.keys.brandB;
  const report =
    brand === 'A'
      ? { sellerIds: [world.gid.sellerAB], listingIds: [world.gid.listingA2] }
      : { listingIds: [world.gid.listingB2] };
  const inv = world.keys.investigator;
  const { lead } = await mutate(
    server,
    brandKey,
    'reportLead',
    { description: `Rich report of brand ${brand} on the shared shop`, ...report },
    'lead { id }',
  );
  await mutate(
    server,
    inv,
    'triageLead',
    { leadId: lead.id, riskScore: 70, internalNotes: `Rich internal note ${brand}` },
    'lead { id }',
  );
  const { investigation } = await mutate(
    server,
    inv,
    'openInvestigation',
    {
      leadIds: [lead.id],
      summary: `Rich investigation summary ${brand}`,
      internalNotes: `Rich investigation note ${brand}`,
    },
    'investigation { id }',
  );
  const evidence = async (n: number) =>
    (
      await mutate(
        server,
        inv,
        'addEvidence',
        {
          investigationId: investigation.id,
          kind: 'SCREENSHOT',
          description: `Rich evidence ${brand}${n}`,
          sha256: sha(Math.floor(Math.random() * 1e12)),
          storageKey: `s3://rich-evidence/${brand}/${n}`,
          collectedBy: `Collector ${brand}${n}`,
          collectedAt: '2026-03-02T10:00:00Z',
        },
        'evidence { id }',
      )
    ).evidence.id as string;
  const disclosed = await evidence(1);
  await evidence(2); // never disclosed: internal only
  await mutate(
    server,
    inv,
    'recordCustodyTransfer',
    { evidenceId: disclosed, toCustodian: `Rich lab ${brand}`, purpose: `Rich analysis ${brand}` },
    'evidence { id }',
  );
  // The factory as registered premises of its own, and a warehouse that both brands' cases found (shared premises).
  const region = brand === 'A' ? 'CN-ZJ' : 'CN-GD';
  const { premises } = await mutate(
    server,
    inv,
    'registerPremises',
    { kind: 'FACTORY', region, address: `Rich factory address ${brand}`, notes: `Rich premises note ${brand}` },
    'premises { id }',
  );
  await mutate(
    server,
    inv,
    'recordFinding',
    {
      investigationId: investigation.id,
      kind: 'FACTORY',
      region,
      address: `Rich factory address ${brand}`,
      notes: `Rich finding note ${brand}`,
      premisesId: premises.id,
    },
    'finding { id }',
  );
  const warehouse = await sharedPremises(server, inv);
  await mutate(
    server,
    inv,
    'recordFinding',
    {
      investigationId: investigation.id,
      kind: 'WAREHOUSE',
      region: 'CN-FJ',
      address: 'Shared warehouse of both brands',
      premisesId: warehouse,
    },
    'finding { id }',
  );
  await mutate(server, inv, 'markInvestigationReady', { investigationId: investigation.id }, 'investigation { id }');
  const { referral } = await mutate(
    server,
    inv,
    'createReferral',
    {
      investigationId: investigation.id,
      agencyId: agencyGid,
      evidenceIds: [disclosed],
      summary: `Rich referral summary ${brand}`,
    },
    'referral { id }',
  );
  await mutate(server, inv, 'sendReferral', { referralId: referral.id }, 'referral { id }');
  await acknowledgeAndRecord(server, agencyKey, referral.id, `rich-${brand}`, {
    kind: 'FINE',
    fine: { amount: brand === 'A' ? 1234500 : 6789000, currency: 'CNY' },
    premisesId: premises.id,
  });
  // Each agency raids the shared warehouse: each sees its own raid only.
  await mutate(
    server,
    agencyKey,
    'recordEnforcementOutcome',
    {
      referralId: referral.id,
      kind: 'RAID',
      occurredAt: new Date().toISOString(),
      arrests: 1,
      premisesId: warehouse,
      notes: `Shared raid ${brand}`,
    },
    'outcome { id }',
  );
  return { leadId: lead.id, investigationId: investigation.id, evidenceId: disclosed, referralId: referral.id };
}

/** `owner`: the owner's connection, for what only the webhook worker writes (deliveries). */
export async function buildDataset(server: TestServer, world: World, owner: DataSource): Promise<Dataset> {
  const inv = world.keys.investigator;
  const caseA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'Alpha-main' });
  const caseB = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyY, tag: 'Beta-main' });
  await acknowledgeAndRecord(server, world.keys.agencyX, caseA.referralId!, 'A', {
    kind: 'RAID',
    arrests: 7,
    densDestroyed: 2,
    seizedValue: { amount: 12500000, currency: 'CNY' },
  });
  await acknowledgeAndRecord(server, world.keys.agencyY, caseB.referralId!, 'B', {
    kind: 'SEIZURE',
    arrests: 3,
    seizedValue: { amount: 990000, currency: 'USD' },
  });
  await mutate(
    server,
    inv,
    'recordCustodyTransfer',
    { evidenceId: caseA.evidenceId, toCustodian: 'Main lab A', purpose: 'Main analysis A' },
    'evidence { id }',
  );
  await mutate(
    server,
    inv,
    'recordCustodyTransfer',
    { evidenceId: caseB.evidenceId, toCustodian: 'Main lab B', purpose: 'Main analysis B' },
    'evidence { id }',
  );

  // Follow-up on the sent referrals: an escalation by the investigator and the agency's feedback.
  await mutate(
    server,
    inv,
    'escalateReferral',
    {
      referralId: caseA.referralId,
      escalatedTo: 'Director of Agency X, +86 579 0000 0001',
      reason: 'Escalation reason A',
    },
    'escalation { id }',
  );
  await mutate(
    server,
    inv,
    'escalateReferral',
    {
      referralId: caseB.referralId,
      escalatedTo: 'Director of Agency Y, +86 20 0000 0002',
      reason: 'Escalation reason B',
    },
    'escalation { id }',
  );
  await mutate(
    server,
    world.keys.agencyX,
    'addReferralFeedback',
    { referralId: caseA.referralId, message: 'Feedback of agency X on case A' },
    'feedback { id }',
  );
  await mutate(
    server,
    world.keys.agencyY,
    'addReferralFeedback',
    { referralId: caseB.referralId, message: 'Feedback of agency Y on case B' },
    'feedback { id }',
  );

  // One joint operation of both agencies: the main raid of agency X and seizure of agency Y.
  const outcomeOf = async (referralId: string) =>
    dataOf(
      await server.gql(inv, `query($id: ID!) { node(id: $id) { ... on Referral { outcomes { id } } } }`, {
        id: referralId,
      }),
    ).node.outcomes[0].id as string;
  await mutate(
    server,
    inv,
    'createJointOperation',
    {
      name: 'Joint operation of agencies X and Y',
      outcomeIds: [await outcomeOf(caseA.referralId!), await outcomeOf(caseB.referralId!)],
      seizedValue: { amount: 13000000, currency: 'CNY' },
      valuationMethod: 'MARKET_PRICE',
      valuationNote: 'Joint valuation note',
    },
    'operation { id }',
  );

  // Brand A's investigation drafted to agency Y as well: a draft is invisible to the agency and the brand.
  const { referral: draft } = await mutate(
    server,
    inv,
    'createReferral',
    {
      investigationId: caseA.investigationId,
      agencyId: world.gid.agencyY,
      evidenceIds: [caseA.evidenceId],
      summary: 'Draft for agency Y only',
    },
    'referral { id }',
  );

  // One lead naming both brands, by the investigator: each brand sees it, but not the other brand on it.
  const { lead: leadAB } = await mutate(
    server,
    inv,
    'reportLead',
    {
      description: 'Lead naming both brands',
      brandIds: [world.gid.brandA, world.gid.brandB],
      sellerIds: [world.gid.sellerAB],
      listingIds: [world.gid.listingA2, world.gid.listingB2],
      source: 'PLATFORM_DETECTION',
    },
    'lead { id }',
  );
  await mutate(
    server,
    inv,
    'triageLead',
    { leadId: leadAB.id, riskScore: 60, internalNotes: 'Both brands internal note' },
    'lead { id }',
  );

  shared = null;
  const richA = await buildRichCase(server, world, 'A', world.gid.agencyX, world.keys.agencyX);
  const richB = await buildRichCase(server, world, 'B', world.gid.agencyY, world.keys.agencyY);

  // A repeat offender: a new shop known by the phone of a closed one (internal only: the match and its lead).
  const { seller: closed } = await mutate(
    server,
    inv,
    'createSeller',
    {
      platform: 'TAOBAO',
      externalId: 'iso-closed',
      displayName: 'Closed shop of the isolation dataset',
      region: 'CN-ZJ',
      identifiers: [{ kind: 'PHONE', value: '+86 135 0000 0099' }],
    },
    'seller { id }',
  );
  await mutate(
    server,
    inv,
    'updateSellerStatus',
    { sellerId: closed.id, status: 'CLOSED', reason: 'Closed for the isolation dataset' },
    'seller { id }',
  );
  await mutate(
    server,
    inv,
    'createSeller',
    {
      platform: 'TAOBAO',
      externalId: 'iso-repeat',
      displayName: 'Repeat shop of the isolation dataset',
      region: 'CN-ZJ',
      identifiers: [{ kind: 'PHONE', value: '+86-135-0000-0099' }],
    },
    'seller { id }',
  );
  await webhooksOfEveryTenant(server, world, owner);
  return { world, caseA, caseB, draftReferralAtoY: draft.id, leadAB: leadAB.id, richA, richB };
}

/** A webhook subscription per tenant, each with a delivery in its log (as the worker writes them, as the owner). */
async function webhooksOfEveryTenant(server: TestServer, world: World, owner: DataSource): Promise<void> {
  const tenants = [
    [world.keys.brandA, 'LEAD_STATUS_CHANGED'],
    [world.keys.brandB, 'LEAD_STATUS_CHANGED'],
    [world.keys.agencyX, 'REFERRAL_SENT'],
    [world.keys.agencyY, 'REFERRAL_SENT'],
  ];
  for (const [index, [key, type]] of tenants.entries()) {
    const { webhookSubscription } = await mutate(
      server,
      key,
      'createWebhookSubscription',
      { url: `http://127.0.0.1:9/isolation-${index}`, events: [type], secret: `isolation-secret-${index}-0123456789` },
      'webhookSubscription { id }',
    );
    const subscriptionId = Buffer.from(webhookSubscription.id, 'base64').toString().split(':')[1];
    await owner.query(
      `INSERT INTO webhook_delivery (subscription_id, event_seq, event_id, event_type, status, attempts)
       SELECT $1, seq, id, type, 'DELIVERED', 1 FROM webhook_event WHERE type = $2 ORDER BY seq LIMIT 1`,
      [subscriptionId, type],
    );
  }
}
