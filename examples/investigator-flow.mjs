// The investigator's flow: a brand's report becomes a referral to an agency.
//   node examples/investigator-flow.mjs      (against `npm start`; keys from .demo-keys.txt)
import { gql, keyFor, mutate } from './client.mjs';

const brand = keyFor('BRAND_PARTNER');
const investigator = keyFor('INVESTIGATOR');
const agencyCode = process.env.AGENCY_CODE ?? 'PSB-ZJ-YW';

// 1. The brand portal reports a live listing of its brand and the seller behind it.
const { listings } = await gql(
  brand,
  '{ listings(first: 1, filter: { status: [LIVE] }) { nodes { id title seller { id displayName } } } }',
);
const listing = listings.nodes[0];
const { lead } = await mutate(
  brand,
  'reportLead',
  {
    description: `Counterfeit offered: ${listing.title}`,
    listingIds: [listing.id],
    sellerIds: [listing.seller.id],
    idempotencyKey: `example-${Date.now()}`,
  },
  'lead { id reference status }',
);
console.log(`reported ${lead.reference} (${lead.status})`);

// 2. The investigator triages it and opens an investigation (the lead moves to INVESTIGATING).
await mutate(investigator, 'triageLead', { leadId: lead.id, riskScore: 85 }, 'lead { status }');
const { investigation } = await mutate(
  investigator,
  'openInvestigation',
  { leadIds: [lead.id], summary: 'Test purchase, then trace the warehouse' },
  'investigation { id reference }',
);

// 3. Evidence, with its chain of custody, and an offline finding.
const { evidence } = await mutate(
  investigator,
  'addEvidence',
  {
    investigationId: investigation.id,
    kind: 'TEST_PURCHASE',
    description: 'Item bought from the listing',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    storageKey: `evidence/${investigation.reference}/purchase.pdf`,
    collectedBy: 'Investigator on duty',
    collectedAt: new Date().toISOString(),
  },
  'evidence { id }',
);
await mutate(
  investigator,
  'recordCustodyTransfer',
  { evidenceId: evidence.id, toCustodian: 'Authentication lab', purpose: 'authenticity test' },
  'evidence { custodian }',
);
await mutate(
  investigator,
  'recordFinding',
  { investigationId: investigation.id, kind: 'WAREHOUSE', region: 'CN-ZJ', address: 'Industrial park, Yiwu' },
  'finding { id }',
);
await mutate(investigator, 'markInvestigationReady', { investigationId: investigation.id }, 'investigation { status }');

// 4. Referral to the agency: drafted, then sent (the investigation and its leads move to REFERRED).
const { agencies } = await gql(investigator, '{ agencies(first: 100) { nodes { id code } } }');
const agency = agencies.nodes.find((a) => a.code === agencyCode);
const { referral } = await mutate(
  investigator,
  'createReferral',
  {
    investigationId: investigation.id,
    agencyId: agency.id,
    evidenceIds: [evidence.id],
    summary: 'Warehouse supplying counterfeit goods',
  },
  'referral { id reference }',
);
const sent = await mutate(investigator, 'sendReferral', { referralId: referral.id }, 'referral { status sentAt }');
console.log(`${investigation.reference}: referral ${referral.reference} ${sent.referral.status} to ${agencyCode}`);

// 5. The item itself goes to the agency: a hand-over naming it, which the agency acknowledges on receipt.
await mutate(
  investigator,
  'recordCustodyTransfer',
  {
    evidenceId: evidence.id,
    toCustodian: `${agencyCode} evidence room`,
    toAgencyId: agency.id,
    purpose: 'prosecution',
  },
  'evidence { custodian }',
);
console.log(JSON.stringify({ leadId: lead.id, investigationId: investigation.id, referralId: referral.id }));
