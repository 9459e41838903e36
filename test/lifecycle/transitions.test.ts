// Every refused transition of every lifecycle mutation, through the GraphQL API: each answers one user
// error naming the refused transition and changes nothing (all case tables are compared before and after).
// Also the cascades (all or nothing), role refusals and stale versions.
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { dataOf, startTestServer, TestServer } from '../support/server';
import { buildCase as buildCaseOf, CaseIds, mutate as mutateOf, refused, sha } from '../support/cases';
import { toGlobalId } from '../../src/shared/relay/global-id';

let db: TestDatabase;
let server: TestServer;
let world: World;

// ---------------------------------------------------------------------------------------------------
// "Nothing changed": a fingerprint of every case table (and the length of the audit chain).
// ---------------------------------------------------------------------------------------------------

const CASE_TABLES = [
  'lead', 'lead_brand', 'lead_seller', 'lead_listing', 'investigation', 'finding', 'evidence', 'custody_transfer', 'referral',
  'referral_evidence', 'enforcement_outcome', 'referral_change', 'listing', 'seller', 'idempotency_key',
];

type Snapshot = Record<string, string | number>;

async function snapshot(): Promise<Snapshot> {
  const parts = CASE_TABLES.map((table) => `(SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM ${table} x) AS ${table}`);
  const [row] = await db.dataSource.query(`SELECT ${parts.join(', ')}, (SELECT count(*)::int FROM audit_event) AS audit_events`);
  return row;
}

// The snapshot taken after the last refusal, reused as the next one's "before" as long as this file wrote
// nothing since. Every write of this file goes through mutate, buildCase or insertRow, which forget it.
let lastKnown: Snapshot | null = null;
const mutate: typeof mutateOf = (...args) => {
  lastKnown = null;
  return mutateOf(...args);
};
const buildCase: typeof buildCaseOf = (...args) => {
  lastKnown = null;
  return buildCaseOf(...args);
};

/** Runs `attempt` and checks that no case table and no audit event changed. */
async function unchanged<T>(attempt: () => Promise<T>): Promise<T> {
  const before = lastKnown ?? (await snapshot());
  lastKnown = null;
  const result = await attempt();
  const after = await snapshot();
  expect(after).toEqual(before);
  lastKnown = after;
  return result;
}

type Code = 'INVALID_TRANSITION' | 'INVALID' | 'NOT_FOUND' | 'STALE_VERSION' | 'DUPLICATE';

/** The mutation is refused with exactly one user error of `code` whose message contains every fragment, and nothing changed. */
async function expectRefused(token: string, name: string, input: Record<string, unknown>, code: Code, ...fragments: string[]) {
  const errors = await unchanged(() => refused(server, token, name, input));
  expect(errors).toHaveLength(1);
  expect(errors[0].code).toBe(code);
  for (const fragment of fragments) expect(errors[0].message).toContain(fragment);
  return errors[0];
}

/** The mutation fails as a GraphQL error with `code` (authorisation), and nothing changed. */
async function expectGraphQLError(token: string, name: string, input: Record<string, unknown>, code: string) {
  const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const response = await unchanged(() => server.gql(token, `mutation($input: ${inputType}!) { ${name}(input: $input) { userErrors { code } } }`, { input }));
  expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  expect(response.body.data?.[name] ?? null).toBeNull();
}

// ---------------------------------------------------------------------------------------------------
// Fixtures: one record in every state of every lifecycle.
// ---------------------------------------------------------------------------------------------------

const inv = () => world.keys.investigator;
let evidenceCounter = 1000;

async function reportLead(tag: string, sellerIds = [world.gid.sellerA]): Promise<string> {
  const { lead } = await mutate(server, inv(), 'reportLead', { description: `lead ${tag}`, brandIds: [world.gid.brandA], sellerIds }, 'lead { id }');
  return lead.id;
}
async function triage(leadId: string) {
  await mutate(server, inv(), 'triageLead', { leadId }, 'lead { id }');
}
async function triagedLead(tag: string) {
  const id = await reportLead(tag);
  await triage(id);
  return id;
}
async function openInvestigation(leadIds: string[]): Promise<string> {
  const { investigation } = await mutate(server, inv(), 'openInvestigation', { leadIds, summary: 'work' }, 'investigation { id }');
  return investigation.id;
}
async function addEvidence(investigationId: string): Promise<string> {
  evidenceCounter += 1;
  const { evidence } = await mutate(server, inv(), 'addEvidence', {
    investigationId, kind: 'PHOTO', description: 'photo', sha256: sha(evidenceCounter), storageKey: `s3://e/${evidenceCounter}`,
    collectedBy: 'Investigator Li', collectedAt: '2026-03-01T10:00:00Z',
  }, 'evidence { id }');
  return evidence.id;
}
async function createReferral(investigationId: string, agencyId: string, evidenceIds: string[]): Promise<string> {
  const { referral } = await mutate(server, inv(), 'createReferral', { investigationId, agencyId, evidenceIds, summary: 'please act' }, 'referral { id }');
  return referral.id;
}
const send = (referralId: string) => mutate(server, inv(), 'sendReferral', { referralId }, 'referral { id }');
const outcome = (referralId: string, kind: string, extra: Record<string, unknown> = {}) =>
  mutate(server, world.keys.agencyX, 'recordEnforcementOutcome', { referralId, kind, occurredAt: new Date().toISOString(), ...extra }, 'outcome { id }');

async function insertRow(table: string, values: Record<string, unknown>): Promise<string> {
  lastKnown = null;
  const columns = Object.keys(values);
  const [row] = await db.dataSource.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
    Object.values(values),
  );
  return String(row.id);
}
let externalCounter = 0;
async function newSeller(status = 'ACTIVE', strikeCount = 0): Promise<{ id: string; label: string }> {
  externalCounter += 1;
  const externalId = `t-${externalCounter}`;
  const rowId = await insertRow('seller', { platform: 'TAOBAO', external_id: externalId, display_name: `Shop ${externalId}`, region: 'CN-ZJ', status, strike_count: strikeCount });
  return { id: toGlobalId('Seller', rowId), label: `TAOBAO/${externalId}` };
}
async function newListing(sellerGid: string, status = 'LIVE'): Promise<string> {
  const sellerRowId = Buffer.from(sellerGid, 'base64url').toString().split(':')[1];
  const rowId = await insertRow('listing', {
    seller_id: sellerRowId, brand_id: world.ids.brandA, title: 'Alpha copy', url: 'https://x/t', price_amount: 100, price_currency: 'CNY', status,
    taken_down_at: status === 'LIVE' ? null : '2026-02-01T00:00:00Z',
  });
  return toGlobalId('Listing', rowId);
}

const SELECTIONS: Record<string, string> = {
  Lead: 'reference status version closeReason closeNote investigation { id }',
  Investigation: 'reference status version closeReason',
  Referral: 'reference status version sentAt',
  Listing: 'status version',
  Seller: 'status strikeCount version',
  Evidence: 'version custodian',
};
async function read(id: string): Promise<any> {
  const type = Buffer.from(id, 'base64url').toString().split(':')[0];
  return dataOf(await server.gql(inv(), `query($id: ID!) { node(id: $id) { ... on ${type} { ${SELECTIONS[type]} } } }`, { id })).node;
}

const LEAD_STATES = ['NEW', 'TRIAGED', 'INVESTIGATING', 'REFERRED', 'CLOSED'] as const;
const INVESTIGATION_STATES = ['OPEN', 'EVIDENCE_GATHERING', 'READY_FOR_REFERRAL', 'REFERRED', 'CLOSED'] as const;
const REFERRAL_STATES = ['DRAFT', 'SENT', 'ACKNOWLEDGED', 'ACTION_TAKEN', 'PROSECUTION', 'CONVICTED', 'ACQUITTED', 'DECLINED', 'CLOSED'] as const;
const SELLER_STATES = ['ACTIVE', 'WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED'] as const;

const leads: Record<string, string> = {};
const investigations: Record<string, string> = {};
const referrals: Record<string, string> = {};
const sellers: Record<string, { id: string; label: string }> = {};
const listings: Record<string, string> = {};
const refs: Record<string, string> = {};
let referred: CaseIds;
const evidenceOf: Record<string, string> = {};
let draftOnClosed: { referralId: string; investigationId: string };
let referralToY: string;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  server = await startTestServer(db);

  // A case referred (SENT) to agency X: its lead is REFERRED, its investigation REFERRED.
  referred = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'referred' });

  // Leads.
  leads.NEW = await reportLead('new');
  leads.TRIAGED = await triagedLead('triaged');
  leads.INVESTIGATING = await triagedLead('investigating');
  leads.REFERRED = referred.leadId;
  leads.CLOSED = await reportLead('closed');
  await mutate(server, inv(), 'closeLead', { leadId: leads.CLOSED, reason: 'NOT_COUNTERFEIT' }, 'lead { id }');

  // Investigations.
  investigations.OPEN = await openInvestigation([leads.INVESTIGATING]);
  investigations.EVIDENCE_GATHERING = await openInvestigation([await triagedLead('eg')]);
  evidenceOf.EVIDENCE_GATHERING = await addEvidence(investigations.EVIDENCE_GATHERING);
  const ready = await buildCase(server, world, { tag: 'ready' });
  investigations.READY_FOR_REFERRAL = ready.investigationId;
  evidenceOf.READY_FOR_REFERRAL = ready.evidenceId;
  investigations.REFERRED = referred.investigationId;
  evidenceOf.REFERRED = referred.evidenceId;
  investigations.CLOSED = await openInvestigation([await triagedLead('closed-inv')]);
  evidenceOf.CLOSED = await addEvidence(investigations.CLOSED);
  await mutate(server, inv(), 'closeInvestigation', { investigationId: investigations.CLOSED, reason: 'no case' }, 'investigation { id }');

  // A draft whose investigation was closed before it was sent.
  const abandoned = await buildCase(server, world, { referTo: world.gid.agencyX, send: false, tag: 'abandoned' });
  await mutate(server, inv(), 'closeInvestigation', { investigationId: abandoned.investigationId, reason: 'suspect died' }, 'investigation { id }');
  draftOnClosed = { referralId: abandoned.referralId!, investigationId: abandoned.investigationId };

  // Referrals in every state, all to agency X, on the referred investigation.
  const fresh = async (sent = true) => {
    const id = await createReferral(referred.investigationId, world.gid.agencyX, [referred.evidenceId]);
    if (sent) await send(id);
    return id;
  };
  const acknowledged = async () => {
    const id = await fresh();
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: id }, 'referral { id }');
    return id;
  };
  referrals.DRAFT = await fresh(false);
  referrals.SENT = referred.referralId!;
  referrals.ACKNOWLEDGED = await acknowledged();
  referrals.ACTION_TAKEN = await acknowledged();
  await outcome(referrals.ACTION_TAKEN, 'RAID', { arrests: 2 });
  const prosecuted = async () => {
    const id = await acknowledged();
    await outcome(id, 'SEIZURE');
    await outcome(id, 'PROSECUTION');
    return id;
  };
  referrals.PROSECUTION = await prosecuted();
  referrals.CONVICTED = await prosecuted();
  await outcome(referrals.CONVICTED, 'CONVICTION', { convictions: 1 });
  referrals.ACQUITTED = await prosecuted();
  await outcome(referrals.ACQUITTED, 'ACQUITTAL');
  referrals.DECLINED = await fresh();
  await mutate(server, world.keys.agencyX, 'declineReferral', { referralId: referrals.DECLINED, reason: 'out of our area' }, 'referral { id }');
  referrals.CLOSED = await fresh();
  await mutate(server, world.keys.agencyX, 'declineReferral', { referralId: referrals.CLOSED, reason: 'out of our area' }, 'referral { id }');
  await mutate(server, inv(), 'closeReferral', { referralId: referrals.CLOSED }, 'referral { id }');
  referralToY = await createReferral(referred.investigationId, world.gid.agencyY, [referred.evidenceId]);
  await send(referralToY);

  // Sellers and listings in every state.
  for (const status of SELLER_STATES) sellers[status] = await newSeller(status);
  const shop = await newSeller();
  listings.LIVE = await newListing(shop.id, 'LIVE');
  listings.TAKEN_DOWN = await newListing(shop.id, 'TAKEN_DOWN');
  listings.REINSTATED = await newListing(shop.id, 'REINSTATED');

  // Human-readable references, for the messages; and a check that the fixtures really are in the states their names say.
  const named = [...Object.values(leads), ...Object.values(investigations), ...Object.values(referrals), draftOnClosed.investigationId, draftOnClosed.referralId];
  await Promise.all(named.map(async (id) => { refs[id] = (await read(id)).reference; }));
  const fixtures = [leads, investigations, referrals, listings].flatMap((byStatus) => Object.entries(byStatus));
  const states = await Promise.all(fixtures.map(async ([status, id]) => [status, (await read(id)).status]));
  expect(states.filter(([expected, actual]) => expected !== actual)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const except = <S extends string>(states: readonly S[], ...allowed: S[]) => states.filter((s) => !allowed.includes(s));

// ---------------------------------------------------------------------------------------------------
// Leads
// ---------------------------------------------------------------------------------------------------

describe('lead transitions refused', () => {
  it.each(except(LEAD_STATES, 'NEW'))('triageLead from %s', async (status) => {
    await expectRefused(inv(), 'triageLead', { leadId: leads[status], riskScore: 10, internalNotes: 'x' }, 'INVALID_TRANSITION',
      `lead ${refs[leads[status]]} from ${status} to TRIAGED`);
  });

  it('closeLead from CLOSED (final)', async () => {
    await expectRefused(inv(), 'closeLead', { leadId: leads.CLOSED, reason: 'DUPLICATE' }, 'INVALID_TRANSITION',
      `lead ${refs[leads.CLOSED]} from CLOSED to CLOSED`, 'CLOSED is final');
  });

  it.each(except(LEAD_STATES, 'TRIAGED'))('openInvestigation on a lead in %s (no investigation, no reference number, no idempotency key kept)', async (status) => {
    await expectRefused(inv(), 'openInvestigation', { leadIds: [leads[status]], summary: 's', idempotencyKey: `open-${status}` }, 'INVALID_TRANSITION',
      `lead ${refs[leads[status]]} from ${status} to INVESTIGATING`);
  });

  it('openInvestigation on a TRIAGED and a NEW lead together: all or nothing, the TRIAGED lead stays TRIAGED', async () => {
    await expectRefused(inv(), 'openInvestigation', { leadIds: [leads.TRIAGED, leads.NEW], summary: 's' }, 'INVALID_TRANSITION',
      `lead ${refs[leads.NEW]} from NEW to INVESTIGATING`);
    expect(await read(leads.TRIAGED)).toMatchObject({ status: 'TRIAGED', investigation: null });
  });

  it('openInvestigation with an analyst as assignee is INVALID', async () => {
    const analyst = dataOf(await server.gql(world.keys.analyst, '{ viewer { id } }')).viewer.id;
    await expectRefused(inv(), 'openInvestigation', { leadIds: [leads.TRIAGED], summary: 's', assigneeId: analyst }, 'INVALID', 'assignee');
  });
});

// ---------------------------------------------------------------------------------------------------
// Investigations and evidence
// ---------------------------------------------------------------------------------------------------

describe('investigation transitions refused', () => {
  it.each(except(INVESTIGATION_STATES, 'EVIDENCE_GATHERING'))('markInvestigationReady from %s', async (status) => {
    await expectRefused(inv(), 'markInvestigationReady', { investigationId: investigations[status] }, 'INVALID_TRANSITION',
      `investigation ${refs[investigations[status]]} from ${status} to READY_FOR_REFERRAL`);
  });

  it('closeInvestigation from CLOSED (final)', async () => {
    await expectRefused(inv(), 'closeInvestigation', { investigationId: investigations.CLOSED, reason: 'again' }, 'INVALID_TRANSITION',
      `investigation ${refs[investigations.CLOSED]} from CLOSED to CLOSED`, 'CLOSED is final');
  });

  it('addEvidence to a CLOSED investigation', async () => {
    await expectRefused(inv(), 'addEvidence', {
      investigationId: investigations.CLOSED, kind: 'PHOTO', description: 'late', sha256: sha(1), storageKey: 's3://late',
      collectedBy: 'Li', collectedAt: '2026-03-01T10:00:00Z', idempotencyKey: 'late-evidence',
    }, 'INVALID_TRANSITION', refs[investigations.CLOSED], 'closed');
  });

  it('addEvidence with a sha256 the investigation already holds is DUPLICATE', async () => {
    const [{ sha256 }] = await db.dataSource.query('SELECT sha256 FROM evidence WHERE id = $1', [Buffer.from(evidenceOf.EVIDENCE_GATHERING, 'base64url').toString().split(':')[1]]);
    await expectRefused(inv(), 'addEvidence', {
      investigationId: investigations.EVIDENCE_GATHERING, kind: 'PHOTO', description: 'again', sha256, storageKey: 's3://again',
      collectedBy: 'Li', collectedAt: '2026-03-01T10:00:00Z',
    }, 'DUPLICATE', 'sha256');
  });

  it('addEvidence collected in the future is INVALID', async () => {
    await expectRefused(inv(), 'addEvidence', {
      investigationId: investigations.OPEN, kind: 'PHOTO', description: 'future', sha256: sha(2), storageKey: 's3://f',
      collectedBy: 'Li', collectedAt: new Date(Date.now() + 86_400_000).toISOString(),
    }, 'INVALID', 'collectedAt');
  });

  it('recordFinding on a CLOSED investigation', async () => {
    await expectRefused(inv(), 'recordFinding', { investigationId: investigations.CLOSED, kind: 'FACTORY', region: 'CN-ZJ', address: 'Rd 1' },
      'INVALID_TRANSITION', refs[investigations.CLOSED], 'closed');
  });

  it('recordFinding with a region that is not ISO 3166-2 is INVALID', async () => {
    await expectRefused(inv(), 'recordFinding', { investigationId: investigations.OPEN, kind: 'FACTORY', region: 'Zhejiang', address: 'Rd 1' }, 'INVALID', 'Zhejiang');
  });

  it('recordCustodyTransfer to the current custodian is INVALID', async () => {
    const { custodian } = await read(evidenceOf.EVIDENCE_GATHERING);
    await expectRefused(inv(), 'recordCustodyTransfer', { evidenceId: evidenceOf.EVIDENCE_GATHERING, toCustodian: custodian, purpose: 'none' }, 'INVALID', custodian);
  });
});

// ---------------------------------------------------------------------------------------------------
// Referrals and outcomes
// ---------------------------------------------------------------------------------------------------

describe('referral transitions refused', () => {
  it.each(except(INVESTIGATION_STATES, 'READY_FOR_REFERRAL', 'REFERRED'))('createReferral of an investigation in %s', async (status) => {
    const evidenceIds = [evidenceOf[status] ?? referred.evidenceId];
    await expectRefused(inv(), 'createReferral', {
      investigationId: investigations[status], agencyId: world.gid.agencyX, evidenceIds, summary: 's', idempotencyKey: `ref-${status}`,
    }, 'INVALID_TRANSITION', `Investigation ${refs[investigations[status]]} is ${status}`);
  });

  it('createReferral disclosing evidence of another investigation is INVALID', async () => {
    await expectRefused(inv(), 'createReferral', {
      investigationId: investigations.READY_FOR_REFERRAL, agencyId: world.gid.agencyX, evidenceIds: [referred.evidenceId], summary: 's',
    }, 'INVALID', 'another investigation');
  });

  it('createReferral disclosing nothing is INVALID', async () => {
    await expectRefused(inv(), 'createReferral', { investigationId: investigations.READY_FOR_REFERRAL, agencyId: world.gid.agencyX, evidenceIds: [], summary: 's' }, 'INVALID', 'evidence');
  });

  it.each(except(REFERRAL_STATES, 'DRAFT'))('sendReferral from %s', async (status) => {
    await expectRefused(inv(), 'sendReferral', { referralId: referrals[status] }, 'INVALID_TRANSITION', `referral ${refs[referrals[status]]} from ${status} to SENT`);
  });

  it('sendReferral of a DRAFT whose investigation was closed: the referral stays DRAFT', async () => {
    await expectRefused(inv(), 'sendReferral', { referralId: draftOnClosed.referralId }, 'INVALID_TRANSITION',
      `Investigation ${refs[draftOnClosed.investigationId]} is CLOSED`);
    expect(await read(draftOnClosed.referralId)).toMatchObject({ status: 'DRAFT', sentAt: null, version: 1 });
  });

  it.each(except(REFERRAL_STATES, 'SENT'))('acknowledgeReferral from %s (by an investigator)', async (status) => {
    await expectRefused(inv(), 'acknowledgeReferral', { referralId: referrals[status], agencyCaseReference: 'X-1' }, 'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to ACKNOWLEDGED`);
  });

  it.each(except(REFERRAL_STATES, 'SENT', 'DRAFT'))('acknowledgeReferral from %s (by the agency)', async (status) => {
    await expectRefused(world.keys.agencyX, 'acknowledgeReferral', { referralId: referrals[status] }, 'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to ACKNOWLEDGED`);
  });

  it.each(except(REFERRAL_STATES, 'SENT', 'ACKNOWLEDGED'))('declineReferral from %s', async (status) => {
    const token = status === 'DRAFT' ? inv() : world.keys.agencyX;
    await expectRefused(token, 'declineReferral', { referralId: referrals[status], reason: 'no' }, 'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to DECLINED`);
  });

  it.each(except(REFERRAL_STATES, 'CONVICTED', 'ACQUITTED', 'DECLINED'))('closeReferral from %s', async (status) => {
    await expectRefused(inv(), 'closeReferral', { referralId: referrals[status] }, 'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to CLOSED`);
  });

  // An outcome moves the referral (a first action -> ACTION_TAKEN, PROSECUTION, CONVICTED, ACQUITTED); further
  // actions while action is under way or prosecuted are recorded without a move. Everything else is refused.
  const ACTIONS = ['RAID', 'ARREST', 'SEIZURE', 'FINE'];
  const OUTCOMES: Record<string, { target: string; allowedFrom: string[] }> = {
    ...Object.fromEntries(ACTIONS.map((kind) => [kind, { target: 'ACTION_TAKEN', allowedFrom: ['ACKNOWLEDGED', 'ACTION_TAKEN', 'PROSECUTION'] }])),
    PROSECUTION: { target: 'PROSECUTION', allowedFrom: ['ACTION_TAKEN'] },
    CONVICTION: { target: 'CONVICTED', allowedFrom: ['PROSECUTION'] },
    ACQUITTAL: { target: 'ACQUITTED', allowedFrom: ['PROSECUTION'] },
  };
  const refusedOutcomes = Object.entries(OUTCOMES).flatMap(([kind, { target, allowedFrom }]) =>
    except(REFERRAL_STATES, ...(allowedFrom as (typeof REFERRAL_STATES)[number][])).map((status) => [kind, status, target] as const));

  it.each(refusedOutcomes)('recordEnforcementOutcome %s on a referral in %s', async (kind, status, target) => {
    const token = status === 'DRAFT' ? inv() : world.keys.agencyX;
    await expectRefused(token, 'recordEnforcementOutcome', {
      referralId: referrals[status], kind, occurredAt: '2026-05-01T00:00:00Z', arrests: 1, convictions: kind === 'CONVICTION' ? 2 : 0,
      ...(kind === 'FINE' ? { fine: { amount: 1000, currency: 'CNY' } } : {}), idempotencyKey: `outcome-${kind}-${status}`,
    }, 'INVALID_TRANSITION', `referral ${refs[referrals[status]]} from ${status} to ${target}`);
  });

  it('recordEnforcementOutcome: a CONVICTION without convictions, a FINE without amount, an outcome in the future are INVALID', async () => {
    const base = { referralId: referrals.PROSECUTION, occurredAt: '2026-05-01T00:00:00Z' };
    await expectRefused(world.keys.agencyX, 'recordEnforcementOutcome', { ...base, kind: 'CONVICTION', convictions: 0 }, 'INVALID', 'convictions');
    await expectRefused(world.keys.agencyX, 'recordEnforcementOutcome', { ...base, kind: 'FINE' }, 'INVALID', 'fine');
    await expectRefused(world.keys.agencyX, 'recordEnforcementOutcome', { ...base, kind: 'RAID', occurredAt: new Date(Date.now() + 86_400_000).toISOString() }, 'INVALID', 'future');
  });
});

// ---------------------------------------------------------------------------------------------------
// Listings and sellers
// ---------------------------------------------------------------------------------------------------

describe('listing and seller transitions refused', () => {
  it('takeDownListings of a TAKEN_DOWN listing', async () => {
    await expectRefused(inv(), 'takeDownListings', { listingIds: [listings.TAKEN_DOWN], reason: 'fake' }, 'INVALID_TRANSITION',
      `listing ${listings.TAKEN_DOWN} from TAKEN_DOWN to TAKEN_DOWN`);
  });

  it.each(['LIVE', 'REINSTATED'])('reinstateListing from %s', async (status) => {
    await expectRefused(inv(), 'reinstateListing', { listingId: listings[status], reason: 'appeal' }, 'INVALID_TRANSITION',
      `listing ${listings[status]} from ${status} to REINSTATED`);
  });

  // DESIGN.md plus seller.states.ts: forward along ACTIVE -> WARNED -> RESTRICTED -> SUSPENDED -> CLOSED (steps
  // may be skipped), back down from a sanction by one step or more (a partial lift); CLOSED is final.
  const SELLER_ALLOWED: Record<string, string[]> = {
    ACTIVE: ['WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED'],
    WARNED: ['ACTIVE', 'RESTRICTED', 'SUSPENDED', 'CLOSED'],
    RESTRICTED: ['ACTIVE', 'WARNED', 'SUSPENDED', 'CLOSED'],
    SUSPENDED: ['ACTIVE', 'WARNED', 'RESTRICTED', 'CLOSED'],
    CLOSED: [],
  };
  const refusedSellerMoves = SELLER_STATES.flatMap((from) => SELLER_STATES.filter((to) => !SELLER_ALLOWED[from].includes(to)).map((to) => [from, to] as const));

  it.each(refusedSellerMoves)('updateSellerStatus from %s to %s', async (from, to) => {
    await expectRefused(inv(), 'updateSellerStatus', { sellerId: sellers[from].id, status: to, reason: 'manual' }, 'INVALID_TRANSITION',
      `seller ${sellers[from].label} from ${from} to ${to}`);
  });
});

// ---------------------------------------------------------------------------------------------------
// NOT_FOUND and STALE_VERSION, for every mutation that names a record
// ---------------------------------------------------------------------------------------------------

describe('missing records and stale versions', () => {
  const missing = (type: string) => toGlobalId(type, 987654321);
  const missingCases: [string, () => Record<string, unknown>][] = [
    ['triageLead', () => ({ leadId: missing('Lead') })],
    ['closeLead', () => ({ leadId: missing('Lead'), reason: 'OTHER' })],
    ['openInvestigation', () => ({ leadIds: [leads.TRIAGED, missing('Lead')], summary: 's' })],
    ['addEvidence', () => ({ investigationId: missing('Investigation'), kind: 'PHOTO', description: 'd', sha256: sha(3), storageKey: 'k', collectedBy: 'Li', collectedAt: '2026-03-01T00:00:00Z' })],
    ['recordFinding', () => ({ investigationId: missing('Investigation'), kind: 'FACTORY', region: 'CN-ZJ', address: 'a' })],
    ['recordCustodyTransfer', () => ({ evidenceId: missing('Evidence'), toCustodian: 'Lab', purpose: 'p' })],
    ['markInvestigationReady', () => ({ investigationId: missing('Investigation') })],
    ['closeInvestigation', () => ({ investigationId: missing('Investigation'), reason: 'r' })],
    ['createReferral', () => ({ investigationId: missing('Investigation'), agencyId: world.gid.agencyX, evidenceIds: [referred.evidenceId], summary: 's' })],
    ['createReferral', () => ({ investigationId: investigations.READY_FOR_REFERRAL, agencyId: missing('Agency'), evidenceIds: [evidenceOf.READY_FOR_REFERRAL], summary: 's' })],
    ['sendReferral', () => ({ referralId: missing('Referral') })],
    ['acknowledgeReferral', () => ({ referralId: missing('Referral') })],
    ['declineReferral', () => ({ referralId: missing('Referral'), reason: 'r' })],
    ['recordEnforcementOutcome', () => ({ referralId: missing('Referral'), kind: 'RAID', occurredAt: '2026-04-01T00:00:00Z' })],
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
    ['recordCustodyTransfer', () => evidenceOf.EVIDENCE_GATHERING, (id) => ({ evidenceId: id, toCustodian: 'Lab', purpose: 'p' })],
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
    await expectRefused(inv(), name, { ...input(id), expectedVersion: version - 1 }, 'STALE_VERSION', `version ${version}, you expected ${version - 1}`);
  });

  it('a client that read a lead before someone else triaged it gets STALE_VERSION when it closes it', async () => {
    const leadId = await reportLead('race');
    const { version } = await read(leadId);
    await mutate(server, inv(), 'triageLead', { leadId, expectedVersion: version }, 'lead { version }');
    await expectRefused(world.keys.admin, 'closeLead', { leadId, reason: 'DUPLICATE', expectedVersion: version }, 'STALE_VERSION', 'changed by someone else');
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
    ['addEvidence', () => ({ investigationId: investigations.OPEN, kind: 'PHOTO', description: 'd', sha256: sha(4), storageKey: 'k', collectedBy: 'Li', collectedAt: '2026-03-01T00:00:00Z' })],
    ['recordFinding', () => ({ investigationId: investigations.OPEN, kind: 'FACTORY', region: 'CN-ZJ', address: 'a' })],
    ['recordCustodyTransfer', () => ({ evidenceId: evidenceOf.EVIDENCE_GATHERING, toCustodian: 'Lab', purpose: 'p' })],
    ['markInvestigationReady', () => ({ investigationId: investigations.EVIDENCE_GATHERING })],
    ['closeInvestigation', () => ({ investigationId: investigations.OPEN, reason: 'r' })],
    ['createReferral', () => ({ investigationId: investigations.READY_FOR_REFERRAL, agencyId: world.gid.agencyX, evidenceIds: [evidenceOf.READY_FOR_REFERRAL], summary: 's' })],
    ['sendReferral', () => ({ referralId: referrals.DRAFT })],
    ['closeReferral', () => ({ referralId: referrals.DECLINED })],
    ['takeDownListings', () => ({ listingIds: [listings.LIVE], reason: 'r' })],
    ['reinstateListing', () => ({ listingId: listings.TAKEN_DOWN, reason: 'r' })],
    ['updateSellerStatus', () => ({ sellerId: sellers.ACTIVE.id, status: 'WARNED', reason: 'r' })],
  ];
  const agencyMutations: [string, () => Record<string, unknown>][] = [
    ['acknowledgeReferral', () => ({ referralId: referrals.SENT })],
    ['declineReferral', () => ({ referralId: referrals.SENT, reason: 'r' })],
    ['recordEnforcementOutcome', () => ({ referralId: referrals.ACKNOWLEDGED, kind: 'RAID', occurredAt: '2026-04-01T00:00:00Z' })],
  ];
  const cases = [
    ...investigatorMutations.flatMap(([name, input]) => (['brandA', 'analyst', 'agencyX'] as const).map((who) => [who, name, input] as const)),
    ...agencyMutations.flatMap(([name, input]) => (['brandA', 'analyst'] as const).map((who) => [who, name, input] as const)),
    ...(['analyst', 'agencyX'] as const).map((who) => [who, 'reportLead', () => ({ brandIds: [world.gid.brandA], description: 'd' })] as const),
  ];

  it.each(cases)('%s calling %s gets FORBIDDEN and changes nothing', async (who, name, input) => {
    await expectGraphQLError(world.keys[who], name, input(), 'FORBIDDEN');
  });

  it('an agency liaison acting on another agency\'s referral or on a DRAFT gets NOT_FOUND, exactly as for a missing id', async () => {
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
    const other = await expectRefused(world.keys.brandA, 'reportLead', { brandIds: [world.gid.brandB], description: 'B fakes' }, 'NOT_FOUND');
    const missing = await expectRefused(world.keys.brandA, 'reportLead', { brandIds: [toGlobalId('Brand', 987654321)], description: 'B fakes' }, 'NOT_FOUND');
    expect(other.field).toEqual(['input', 'brandIds', '0']);
    expect(missing.field).toEqual(other.field);
    expect(other.message.replace(world.gid.brandB, '<id>')).toBe(missing.message.replace(toGlobalId('Brand', 987654321), '<id>'));
    // Naming both its own brand and brand B: refused as a whole, on the second id.
    const mixed = await expectRefused(world.keys.brandA, 'reportLead', { brandIds: [world.gid.brandA, world.gid.brandB], description: 'fakes', idempotencyKey: 'mixed' }, 'NOT_FOUND');
    expect(mixed.field).toEqual(['input', 'brandIds', '1']);
  });

  it('a brand partner reporting a lead from another source than BRAND_REPORT is INVALID', async () => {
    await expectRefused(world.keys.brandA, 'reportLead', { description: 'tip', source: 'TIP' }, 'INVALID', 'BRAND_REPORT');
  });
});

// ---------------------------------------------------------------------------------------------------
// Cascades: in the same transaction, all or nothing
// ---------------------------------------------------------------------------------------------------

async function auditActions(id: string): Promise<string[]> {
  const trail = dataOf(await server.gql(world.keys.admin, `query($id: ID!) { auditTrail(entityId: $id, first: 100) { nodes { action } } }`, { id }));
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
    const { investigation } = await mutate(server, inv(), 'closeInvestigation', { investigationId, reason: 'seller vanished' }, 'investigation { status closeReason }');
    expect(investigation).toEqual({ status: 'CLOSED', closeReason: 'seller vanished' });
    expect(await read(l1)).toMatchObject({ status: 'CLOSED', closeReason: 'INVESTIGATION_CLOSED', closeNote: 'seller vanished' });
    expect(await read(l2)).toEqual(closedBefore);
    expect(await auditActions(l1)).toEqual(['lead.reported', 'lead.triaged', 'lead.investigating', 'lead.closed']);
  });

  it('closeInvestigation of a REFERRED investigation concludes its REFERRED leads', async () => {
    const done = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'concluded' });
    await mutate(server, inv(), 'closeInvestigation', { investigationId: done.investigationId, reason: 'case over' }, 'investigation { id }');
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
    const { referral } = await mutate(server, inv(), 'sendReferral', { referralId: first, expectedVersion: 1 }, 'referral { status sentAt version investigation { status } }');
    expect(referral).toMatchObject({ status: 'SENT', version: 2, investigation: { status: 'REFERRED' } });
    expect(referral.sentAt).toEqual(expect.any(String));
    expect((await read(l1)).status).toBe('REFERRED');
    expect((await read(l2)).status).toBe('REFERRED');
    expect((await read(l3)).status).toBe('CLOSED');
    // One request, one transaction: the referral, the investigation and both leads, each audited, in one run of the chain.
    const events = await db.dataSource.query('SELECT action, request_id FROM audit_event WHERE seq > $1 ORDER BY seq', [eventsBefore]);
    expect(events.map((e: any) => e.action).sort()).toEqual(['investigation.referred', 'lead.referred', 'lead.referred', 'referral.sent']);
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
    await mutate(server, inv(), 'takeDownListings', { listingIds: [sListings[0], t1, sListings[1], sListings[0]], reason: 'round 1' }, 'listings { id }');
    expect(await read(s.id)).toMatchObject({ strikeCount: 2, status: 'WARNED' });
    expect(await read(t.id)).toMatchObject({ strikeCount: 1, status: 'WARNED' });
    // One more: 3, RESTRICTED; two more in one call: 5, SUSPENDED.
    await mutate(server, inv(), 'takeDownListings', { listingIds: [sListings[2]], reason: 'round 2' }, 'listings { id }');
    expect(await read(s.id)).toMatchObject({ strikeCount: 3, status: 'RESTRICTED' });
    await mutate(server, inv(), 'takeDownListings', { listingIds: [sListings[3], sListings[4]], reason: 'round 3' }, 'listings { id }');
    expect(await read(s.id)).toMatchObject({ strikeCount: 5, status: 'SUSPENDED' });
    expect((await auditActions(s.id)).filter((a) => a === 'seller.struck')).toHaveLength(3);
  });

  it('strikes never lower a sanction set directly by an investigator', async () => {
    const s = await newSeller();
    await mutate(server, inv(), 'updateSellerStatus', { sellerId: s.id, status: 'SUSPENDED', reason: 'repeat offender' }, 'seller { status }');
    await mutate(server, inv(), 'takeDownListings', { listingIds: [await newListing(s.id)], reason: 'fake' }, 'listings { id }');
    expect(await read(s.id)).toMatchObject({ status: 'SUSPENDED', strikeCount: 1 });
  });

  it('a takeDownListings batch with one listing already TAKEN_DOWN changes none of the listings and gives no strike', async () => {
    const u = await newSeller();
    const live = await newListing(u.id, 'LIVE');
    const reinstated = await newListing(u.id, 'REINSTATED');
    const down = await newListing(u.id, 'TAKEN_DOWN');
    await expectRefused(inv(), 'takeDownListings', { listingIds: [live, reinstated, down], reason: 'batch' }, 'INVALID_TRANSITION',
      `listing ${down} from TAKEN_DOWN to TAKEN_DOWN`);
    expect(await read(live)).toMatchObject({ status: 'LIVE', version: 1 });
    expect(await read(reinstated)).toMatchObject({ status: 'REINSTATED', version: 1 });
    expect(await read(u.id)).toMatchObject({ status: 'ACTIVE', strikeCount: 0 });
  });
});
