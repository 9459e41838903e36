/**
 * The fixtures and checks of the transition tests (transitions*.test.ts): one record in every state of every
 * lifecycle, built through the API before a file's tests, and "nothing changed" (a fingerprint of every case table
 * and the length of the audit chain) around each refusal. Each file that calls `useTransitionFixtures()` builds its
 * own; the bindings below are set by its beforeAll.
 */
import { TestDatabase } from '../support/database';
import { World } from '../support/fixtures';
import { useTestServer } from '../support/harness';
import { dataOf, TestServer } from '../support/server';
import { buildCase as buildCaseOf, CaseIds, mutate as mutateOf, refused, sha } from '../support/cases';
import { toGlobalId } from '../../src/shared/relay/global-id';

export let db: TestDatabase;
export let server: TestServer;
export let world: World;

// ---------------------------------------------------------------------------------------------------
// "Nothing changed": a fingerprint of every case table (and the length of the audit chain).
// ---------------------------------------------------------------------------------------------------

const CASE_TABLES = [
  'lead',
  'lead_brand',
  'lead_seller',
  'lead_listing',
  'investigation',
  'finding',
  'evidence',
  'custody_transfer',
  'referral',
  'referral_evidence',
  'enforcement_outcome',
  'referral_change',
  'listing',
  'seller',
  'idempotency_key',
];

export type Snapshot = Record<string, string | number>;

export async function snapshot(): Promise<Snapshot> {
  const parts = CASE_TABLES.map(
    (table) => `(SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM ${table} x) AS ${table}`,
  );
  const [row] = await db.dataSource.query(
    `SELECT ${parts.join(', ')}, (SELECT count(*)::int FROM audit_event) AS audit_events`,
  );
  return row;
}

// The snapshot taken after the last refusal, reused as the next one's "before" as long as this file wrote
// nothing since. Every write of this file goes through mutate, buildCase or insertRow, which forget it.
let lastKnown: Snapshot | null = null;
export const mutate: typeof mutateOf = (...args) => {
  lastKnown = null;
  return mutateOf(...args);
};
export const buildCase: typeof buildCaseOf = (...args) => {
  lastKnown = null;
  return buildCaseOf(...args);
};

/** Runs `attempt` and checks that no case table and no audit event changed. */
export async function unchanged<T>(attempt: () => Promise<T>): Promise<T> {
  const before = lastKnown ?? (await snapshot());
  lastKnown = null;
  const result = await attempt();
  const after = await snapshot();
  expect(after).toEqual(before);
  lastKnown = after;
  return result;
}

export type Code = 'INVALID_TRANSITION' | 'INVALID' | 'NOT_FOUND' | 'STALE_VERSION' | 'DUPLICATE';

/** The mutation is refused with exactly one user error of `code` whose message contains every fragment, and nothing changed. */
export async function expectRefused(
  token: string,
  name: string,
  input: Record<string, unknown>,
  code: Code,
  ...fragments: string[]
) {
  const errors = await unchanged(() => refused(server, token, name, input));
  expect(errors).toHaveLength(1);
  expect(errors[0].code).toBe(code);
  for (const fragment of fragments) expect(errors[0].message).toContain(fragment);
  return errors[0];
}

/** The mutation fails as a GraphQL error with `code` (authorisation), and nothing changed. */
export async function expectGraphQLError(token: string, name: string, input: Record<string, unknown>, code: string) {
  const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const response = await unchanged(() =>
    server.gql(token, `mutation($input: ${inputType}!) { ${name}(input: $input) { userErrors { code } } }`, { input }),
  );
  expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  expect(response.body.data?.[name] ?? null).toBeNull();
}

// ---------------------------------------------------------------------------------------------------
// Fixtures: one record in every state of every lifecycle.
// ---------------------------------------------------------------------------------------------------

export const inv = () => world.keys.investigator;
let evidenceCounter = 1000;

export async function reportLead(tag: string, sellerIds = [world.gid.sellerA]): Promise<string> {
  const { lead } = await mutate(
    server,
    inv(),
    'reportLead',
    { description: `lead ${tag}`, brandIds: [world.gid.brandA], sellerIds },
    'lead { id }',
  );
  return lead.id;
}
export async function triage(leadId: string) {
  await mutate(server, inv(), 'triageLead', { leadId }, 'lead { id }');
}
export async function triagedLead(tag: string) {
  const id = await reportLead(tag);
  await triage(id);
  return id;
}
export async function openInvestigation(leadIds: string[]): Promise<string> {
  const { investigation } = await mutate(
    server,
    inv(),
    'openInvestigation',
    { leadIds, summary: 'work' },
    'investigation { id }',
  );
  return investigation.id;
}
export async function addEvidence(investigationId: string): Promise<string> {
  evidenceCounter += 1;
  const { evidence } = await mutate(
    server,
    inv(),
    'addEvidence',
    {
      investigationId,
      kind: 'PHOTO',
      description: 'photo',
      sha256: sha(evidenceCounter),
      storageKey: `s3://e/${evidenceCounter}`,
      collectedBy: 'Investigator Li',
      collectedAt: '2026-03-01T10:00:00Z',
    },
    'evidence { id }',
  );
  return evidence.id;
}
export async function createReferral(
  investigationId: string,
  agencyId: string,
  evidenceIds: string[],
): Promise<string> {
  const { referral } = await mutate(
    server,
    inv(),
    'createReferral',
    { investigationId, agencyId, evidenceIds, summary: 'please act' },
    'referral { id }',
  );
  return referral.id;
}
export const send = (referralId: string) => mutate(server, inv(), 'sendReferral', { referralId }, 'referral { id }');
export const outcome = (referralId: string, kind: string, extra: Record<string, unknown> = {}) =>
  mutate(
    server,
    world.keys.agencyX,
    'recordEnforcementOutcome',
    { referralId, kind, occurredAt: new Date().toISOString(), ...extra },
    'outcome { id }',
  );

export async function insertRow(table: string, values: Record<string, unknown>): Promise<string> {
  lastKnown = null;
  const columns = Object.keys(values);
  const [row] = await db.dataSource.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
    Object.values(values),
  );
  return String(row.id);
}
let externalCounter = 0;
export async function newSeller(status = 'ACTIVE', strikeCount = 0): Promise<{ id: string; label: string }> {
  externalCounter += 1;
  const externalId = `t-${externalCounter}`;
  const rowId = await insertRow('seller', {
    platform: 'TAOBAO',
    external_id: externalId,
    display_name: `Shop ${externalId}`,
    region: 'CN-ZJ',
    status,
    strike_count: strikeCount,
  });
  return { id: toGlobalId('Seller', rowId), label: `TAOBAO/${externalId}` };
}
export async function newListing(sellerGid: string, status = 'LIVE'): Promise<string> {
  const sellerRowId = Buffer.from(sellerGid, 'base64url').toString().split(':')[1];
  const rowId = await insertRow('listing', {
    seller_id: sellerRowId,
    brand_id: world.ids.brandA,
    title: 'Alpha copy',
    url: 'https://x/t',
    price_amount: 100,
    price_currency: 'CNY',
    status,
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
export async function read(id: string): Promise<any> {
  const type = Buffer.from(id, 'base64url').toString().split(':')[0];
  return dataOf(
    await server.gql(inv(), `query($id: ID!) { node(id: $id) { ... on ${type} { ${SELECTIONS[type]} } } }`, { id }),
  ).node;
}

export const LEAD_STATES = ['NEW', 'TRIAGED', 'INVESTIGATING', 'REFERRED', 'CLOSED'] as const;
export const INVESTIGATION_STATES = ['OPEN', 'EVIDENCE_GATHERING', 'READY_FOR_REFERRAL', 'REFERRED', 'CLOSED'] as const;
export const REFERRAL_STATES = [
  'DRAFT',
  'SENT',
  'ACKNOWLEDGED',
  'ACTION_TAKEN',
  'PROSECUTION',
  'CONVICTED',
  'ACQUITTED',
  'DECLINED',
  'CLOSED',
] as const;
export const SELLER_STATES = ['ACTIVE', 'WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED'] as const;

export const leads: Record<string, string> = {};
export const investigations: Record<string, string> = {};
export const referrals: Record<string, string> = {};
export const sellers: Record<string, { id: string; label: string }> = {};
export const listings: Record<string, string> = {};
export const refs: Record<string, string> = {};
export let referred: CaseIds;
export const evidenceOf: Record<string, string> = {};
export let draftOnClosed: { referralId: string; investigationId: string };
export let referralToY: string;

/** Builds the fixtures (one record in every state of every lifecycle) before the file's tests, drops them after. */
export function useTransitionFixtures(): void {
  ({ db, world, server } = useTestServer());
  beforeAll(async () => {
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
    await mutate(
      server,
      inv(),
      'closeInvestigation',
      { investigationId: investigations.CLOSED, reason: 'no case' },
      'investigation { id }',
    );

    // A draft whose investigation was closed before it was sent.
    const abandoned = await buildCase(server, world, { referTo: world.gid.agencyX, send: false, tag: 'abandoned' });
    await mutate(
      server,
      inv(),
      'closeInvestigation',
      { investigationId: abandoned.investigationId, reason: 'suspect died' },
      'investigation { id }',
    );
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
    await mutate(
      server,
      world.keys.agencyX,
      'declineReferral',
      { referralId: referrals.DECLINED, reason: 'out of our area' },
      'referral { id }',
    );
    referrals.CLOSED = await fresh();
    await mutate(
      server,
      world.keys.agencyX,
      'declineReferral',
      { referralId: referrals.CLOSED, reason: 'out of our area' },
      'referral { id }',
    );
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
    const named = [
      ...Object.values(leads),
      ...Object.values(investigations),
      ...Object.values(referrals),
      draftOnClosed.investigationId,
      draftOnClosed.referralId,
    ];
    await Promise.all(
      named.map(async (id) => {
        refs[id] = (await read(id)).reference;
      }),
    );
    const fixtures = [leads, investigations, referrals, listings].flatMap((byStatus) => Object.entries(byStatus));
    const states = await Promise.all(fixtures.map(async ([status, id]) => [status, (await read(id)).status]));
    expect(states.filter(([expected, actual]) => expected !== actual)).toEqual([]);
  });
}

export const except = <S extends string>(states: readonly S[], ...allowed: S[]) =>
  states.filter((s) => !allowed.includes(s));
