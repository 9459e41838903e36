// The agency's liaison tool: sync every change of its referrals since the last run, acknowledge new
// referrals and the evidence handed over with them, and report a raid on one.   node examples/agency-sync.mjs
import fs from 'node:fs';
import { gql, keyFor, mutate } from './client.mjs';

const liaison = keyFor('AGENCY_LIAISON');
const cursorFile = process.env.CURSOR_FILE ?? '.agency-sync-cursor';

// 1. Pull the changes after the stored cursor, page by page: nothing missed, nothing twice.
let after = fs.existsSync(cursorFile) ? fs.readFileSync(cursorFile, 'utf8').trim() || null : null;
const toAcknowledge = new Set();
for (;;) {
  const { referralChanges: page } = await gql(
    liaison,
    `query($after: String) {
    referralChanges(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { seq at kind status referral { id reference status } } } }`,
    { after },
  );
  for (const change of page.nodes) {
    console.log(`#${change.seq} ${change.at} ${change.referral.reference} ${change.kind} -> ${change.status}`);
    if (change.referral.status === 'SENT') toAcknowledge.add(change.referral.id);
  }
  if (page.pageInfo.endCursor) after = page.pageInfo.endCursor;
  if (!page.pageInfo.hasNextPage) break;
}
if (after) fs.writeFileSync(cursorFile, after);

// 2. Acknowledge the new referrals, reading what was disclosed on each.
for (const referralId of toAcknowledge) {
  const { node } = await gql(
    liaison,
    `query($id: ID!) { node(id: $id) { ... on Referral { reference summary
    disclosedEvidence { kind sha256 storageKey custodian custodyTransfers { id toCustodian purpose transferredAt acknowledgement } }
    investigation { findings { kind region address } leads(first: 10) { nodes { reference sellers { displayName region } } } } } } }`,
    { id: referralId },
  );
  console.log(
    `${node.reference}: ${node.disclosedEvidence.length} evidence item(s), ${node.investigation.findings.length} place(s)`,
  );
  // Each hand-over made to this agency is confirmed on receipt (here: as the referral is taken on).
  for (const item of node.disclosedEvidence) {
    for (const transfer of item.custodyTransfers.filter((t) => t.acknowledgement === 'AWAITED')) {
      await mutate(liaison, 'acknowledgeCustodyTransfer', { custodyTransferId: transfer.id }, 'custodyTransfer { id }');
      console.log(`${node.reference}: received ${item.kind} from custody (${transfer.toCustodian})`);
    }
  }
  await mutate(
    liaison,
    'acknowledgeReferral',
    { referralId, agencyCaseReference: `CASE-${node.reference}` },
    'referral { status }',
  );
}

// 3. Report the result of a raid on the first one.
const [first] = toAcknowledge;
if (first) {
  const { outcome } = await mutate(
    liaison,
    'recordEnforcementOutcome',
    {
      referralId: first,
      kind: 'RAID',
      occurredAt: new Date().toISOString(),
      arrests: 3,
      densDestroyed: 1,
      seizedValue: { amount: 2_500_000_00, currency: 'CNY' },
      idempotencyKey: `raid-${first}`,
    },
    'outcome { kind arrests referral { reference status } }',
  );
  console.log(`reported ${outcome.kind} on ${outcome.referral.reference}: now ${outcome.referral.status}`);
}
