// The legal basis of an agency's reveal of seller identifiers comes from the referral's history: sent to
// the agency and never declined, whatever its status now. Every status path of a referral is walked, and
// at each step both layers are asked on their own: the service (through the API) and the database
// function `eca_disclosable_identifiers` (as the API's role, with the agency's scope).
import { Client } from 'pg';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

beforeAll(async () => {
  await mutate(
    server,
    world.keys.investigator,
    'addSellerIdentifier',
    { sellerId: world.gid.sellerA, kind: 'PHONE', value: '+86 139 5555 0001' },
    'identifier { id }',
  );
});

const rowId = (gid: string) => decodeGlobalId(gid).rowId;

/** The service's answer: the values revealed to agency X on this referral, or the refusal's code. */
async function serviceReveals(referralId: string): Promise<string> {
  const response = await server.gql(
    world.keys.agencyX,
    `mutation($input: RevealSellerIdentifiersInput!) {
    revealSellerIdentifiers(input: $input) { disclosure { identifiers { value } } userErrors { code } } }`,
    { input: { sellerId: world.gid.sellerA, referralId, purpose: 'raid planning' } },
  );
  const payload = response.body.data.revealSellerIdentifiers;
  return payload.userErrors.length
    ? payload.userErrors[0].code
    : payload.disclosure.identifiers
        .map((i: any) => i.value)
        .filter(Boolean)
        .join();
}

/** The database function's answer alone, as the API's login with agency X's scope. */
async function functionReveals(referralId: string): Promise<number> {
  const client = new Client({ connectionString: db.apiUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('eca.scope', 'AGENCY', true), set_config('eca.agency_id', $1, true)`, [
      world.ids.agencyX,
    ]);
    const { rows } = await client.query(
      'SELECT count(value_encrypted)::int AS n FROM eca_disclosable_identifiers($1, $2)',
      [world.ids.sellerA, rowId(referralId)],
    );
    return rows[0].n;
  } finally {
    await client.query('ROLLBACK');
    await client.end();
  }
}

type Step = [mutation: string, input: Record<string, unknown>];
const ack: Step = ['acknowledgeReferral', {}];
// Outcomes occur when they are recorded (never before the referral was sent): occurredAt is added then.
const action: Step = ['recordEnforcementOutcome', { kind: 'RAID' }];
const prosecution: Step = ['recordEnforcementOutcome', { kind: 'PROSECUTION' }];
const conviction: Step = ['recordEnforcementOutcome', { kind: 'CONVICTION', convictions: 1 }];
const acquittal: Step = ['recordEnforcementOutcome', { kind: 'ACQUITTAL' }];
const decline: Step = ['declineReferral', { reason: 'outside our jurisdiction' }];
const close: Step = ['closeReferral', {}];

// Each path from SENT, with whether the referral is a basis at every status it passes.
const PATHS: { name: string; steps: Step[]; basis: boolean }[] = [
  {
    name: 'SENT -> ACKNOWLEDGED -> ACTION_TAKEN -> PROSECUTION -> CONVICTED -> CLOSED',
    steps: [ack, action, prosecution, conviction, close],
    basis: true,
  },
  {
    name: 'SENT -> ACKNOWLEDGED -> ACTION_TAKEN -> PROSECUTION -> ACQUITTED -> CLOSED',
    steps: [ack, action, prosecution, acquittal, close],
    basis: true,
  },
  { name: 'SENT -> DECLINED -> CLOSED', steps: [decline, close], basis: false },
  { name: 'SENT -> ACKNOWLEDGED -> DECLINED -> CLOSED', steps: [ack, decline, close], basis: false },
];

describe('disclosure basis along every status path of a referral', () => {
  it('a DRAFT referral is no basis (and not even visible to the agency)', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, send: false, tag: 'draft basis' });
    expect(await serviceReveals(c.referralId!)).toBe('NOT_FOUND');
    expect(await functionReveals(c.referralId!)).toBe(0);
  });

  it.each(PATHS)('$name', async ({ steps, basis }) => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'path' });
    // SENT: a basis in both layers.
    expect(await serviceReveals(c.referralId!)).toBe('+86 139 5555 0001');
    expect(await functionReveals(c.referralId!)).toBe(1);
    let declined = false;
    for (const [mutation, input] of steps) {
      const token = mutation === 'closeReferral' ? world.keys.investigator : world.keys.agencyX;
      const occurred = mutation === 'recordEnforcementOutcome' ? { occurredAt: new Date().toISOString() } : {};
      await mutate(server, token, mutation, { referralId: c.referralId, ...input, ...occurred }, '__typename');
      declined ||= mutation === 'declineReferral';
      const [{ status }] = await db.dataSource.query(`SELECT status FROM referral WHERE id = $1`, [
        rowId(c.referralId!),
      ]);
      const expected = !declined;
      expect({ status, service: await serviceReveals(c.referralId!) }).toEqual({
        status,
        service: expected ? '+86 139 5555 0001' : 'INVALID',
      });
      expect({ status, function: await functionReveals(c.referralId!) }).toEqual({
        status,
        function: expected ? 1 : 0,
      });
    }
    expect(!declined).toBe(basis);
  });

  it("another agency's referral is no basis for this agency in the database function", async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyY, tag: 'other agency' });
    expect(await functionReveals(c.referralId!)).toBe(0);
    expect(await serviceReveals(c.referralId!)).toBe('NOT_FOUND');
  });
});
