// Places: premises linked to findings and to outcomes, with their raid history; visible
// to internal roles and to the agencies whose referrals name them; brand partners see only the region.
import { buildCase, CaseIds, mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { world, server } = useTestServer();
let caseA: CaseIds; // brand A, referred to agency X
let caseA2: CaseIds; // brand A again, referred to agency X
let caseB: CaseIds; // brand B, referred to agency Y
let warehouse: string;
let other: string;

beforeAll(async () => {
  caseA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, send: false, tag: 'premises A' });
  caseA2 = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, send: false, tag: 'premises A2' });
  caseB = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyY, send: false, tag: 'premises B' });
});

const PREMISES = `query($id: ID!) { node(id: $id) { ... on Premises { id kind region address notes location { latitude longitude } raidCount
  raids { kind raidNumber occurredAt } outcomes { kind } findings { id } } } }`;
const premisesAs = async (token: string, id: string) => dataOf(await server.gql(token, PREMISES, { id })).node;
const listAs = async (token: string) =>
  dataOf(await server.gql(token, `{ premises(first: 100) { totalCount nodes { id } } }`)).premises;

async function finding(caseIds: CaseIds, premisesId: string, region = 'CN-ZJ') {
  return (
    await mutate(
      server,
      world.keys.investigator,
      'recordFinding',
      {
        investigationId: caseIds.investigationId,
        kind: 'WAREHOUSE',
        region,
        address: 'No. 8 Gongye Rd, Yiwu',
        premisesId,
      },
      'finding { id premises { id } }',
    )
  ).finding;
}
async function send(caseIds: CaseIds, agencyKey: string) {
  await mutate(server, world.keys.investigator, 'sendReferral', { referralId: caseIds.referralId }, 'referral { id }');
  await mutate(server, agencyKey, 'acknowledgeReferral', { referralId: caseIds.referralId }, 'referral { id }');
}
const raid = (agencyKey: string, caseIds: CaseIds, premisesId: string, occurredAt: string) =>
  mutate(
    server,
    agencyKey,
    'recordEnforcementOutcome',
    { referralId: caseIds.referralId, kind: 'RAID', occurredAt, arrests: 1, densDestroyed: 1, premisesId },
    'outcome { id kind region raidNumber premises { id } }',
  );

describe('premises', () => {
  it('are registered by investigators, once per region and address', async () => {
    const { premises } = await mutate(
      server,
      world.keys.investigator,
      'registerPremises',
      {
        kind: 'WAREHOUSE',
        region: 'CN-ZJ',
        address: 'No. 8 Gongye Rd, Yiwu',
        location: { latitude: 29.3, longitude: 120.07 },
        notes: 'informant: night shifts',
      },
      'premises { id kind region address location { latitude longitude } notes raidCount }',
    );
    warehouse = premises.id;
    expect(premises).toMatchObject({
      kind: 'WAREHOUSE',
      region: 'CN-ZJ',
      location: { latitude: 29.3, longitude: 120.07 },
      notes: 'informant: night shifts',
      raidCount: 0,
    });
    const duplicate = await refused(server, world.keys.investigator, 'registerPremises', {
      kind: 'FACTORY',
      region: 'CN-ZJ',
      address: '  no. 8   GONGYE rd, yiwu ',
    });
    expect(duplicate).toEqual([
      expect.objectContaining({ code: 'DUPLICATE', message: expect.stringContaining(warehouse) }),
    ]);
    expect(
      await refused(server, world.keys.investigator, 'registerPremises', {
        kind: 'ADDRESS',
        region: 'Zhejiang',
        address: 'x',
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID' })]);
    ({
      premises: { id: other },
    } = await mutate(
      server,
      world.keys.investigator,
      'registerPremises',
      { kind: 'ADDRESS', region: 'CN-GD', address: 'Room 3, Baiyun' },
      'premises { id }',
    ));
    for (const key of [world.keys.analyst, world.keys.brandA, world.keys.agencyX]) {
      const response = await server.gql(
        key,
        `mutation($input: RegisterPremisesInput!) { registerPremises(input: $input) { userErrors { code } } }`,
        { input: { kind: 'RETAIL', region: 'CN-ZJ', address: 'Shop 1' } },
      );
      expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('are linked to findings of the same region', async () => {
    expect((await finding(caseA, warehouse)).premises).toEqual({ id: warehouse });
    expect(
      await refused(server, world.keys.investigator, 'recordFinding', {
        investigationId: caseA.investigationId,
        kind: 'WAREHOUSE',
        region: 'CN-GD',
        address: 'x',
        premisesId: warehouse,
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'premisesId'] })]);
    await finding(caseA2, warehouse);
    await finding(caseB, warehouse);
  });

  it('reach an agency once a referral naming them is sent to it, never another agency or a brand partner', async () => {
    expect(await premisesAs(world.keys.agencyX, warehouse)).toBeNull();
    expect((await listAs(world.keys.agencyX)).totalCount).toBe(0);
    await send(caseA, world.keys.agencyX);
    const seen = await premisesAs(world.keys.agencyX, warehouse);
    expect(seen).toMatchObject({ id: warehouse, address: 'No. 8 Gongye Rd, Yiwu', notes: null, raidCount: 0 });
    expect(seen.findings).toHaveLength(1); // only the finding of the investigation referred to it
    expect((await listAs(world.keys.agencyX)).nodes).toEqual([{ id: warehouse }]);
    expect(await premisesAs(world.keys.agencyY, warehouse)).toBeNull();
    for (const key of [world.keys.brandA, world.keys.brandB]) {
      expect(await premisesAs(key, warehouse)).toBeNull();
      expect((await listAs(key)).totalCount).toBe(0);
    }
    expect((await premisesAs(world.keys.analyst, warehouse)).findings).toHaveLength(3);
  });

  it('keep their raid history: the third raid on the same warehouse shows as such', async () => {
    // Each raid occurs once its referral was sent (never before it): at the time it is recorded.
    const at = [new Date().toISOString()];
    const first = await raid(world.keys.agencyX, caseA, warehouse, at[0]);
    expect(first.outcome).toMatchObject({ region: 'CN-ZJ', raidNumber: 1, premises: { id: warehouse } });
    await send(caseA2, world.keys.agencyX);
    at.push(new Date().toISOString());
    const second = await raid(world.keys.agencyX, caseA2, warehouse, at[1]);
    expect(second.outcome.raidNumber).toBe(2);
    await send(caseB, world.keys.agencyY);
    at.push(new Date().toISOString());
    const third = await raid(world.keys.agencyY, caseB, warehouse, at[2]);
    // Agency Y sees its own raid only: the first it knows of.
    expect(third.outcome.raidNumber).toBe(1);

    const history = await premisesAs(world.keys.investigator, warehouse);
    expect(history.raidCount).toBe(3);
    expect(history.raids.map((r: any) => [r.raidNumber, r.occurredAt])).toEqual([
      [1, at[0]],
      [2, at[1]],
      [3, at[2]],
    ]);
    const x = await premisesAs(world.keys.agencyX, warehouse);
    expect(x.raidCount).toBe(2);
    const y = await premisesAs(world.keys.agencyY, warehouse);
    expect(y).toMatchObject({ raidCount: 1, raids: [{ raidNumber: 1, occurredAt: at[2] }] });
  });

  it('show a brand partner only the region of an outcome', async () => {
    const OUTCOMES = `query($id: ID!) { node(id: $id) { ... on Referral { outcomes { kind region raidNumber premises { id } } } } }`;
    const brand = dataOf(await server.gql(world.keys.brandA, OUTCOMES, { id: caseA2.referralId })).node;
    // Its second case's raid is the second at that place it knows of (brand B's case is not counted).
    expect(brand.outcomes).toEqual([{ kind: 'RAID', region: 'CN-ZJ', raidNumber: 2, premises: null }]);
    const response = await server.gql(
      world.keys.brandA,
      `query($id: ID!) { node(id: $id) { ... on Referral { outcomes { premises { address } } } } }`,
      { id: caseA.referralId },
    );
    expect(JSON.stringify(response.body)).not.toContain('Gongye');
  });

  it('can be named in an outcome only by an agency that may see them', async () => {
    const errors = await refused(server, world.keys.agencyX, 'recordEnforcementOutcome', {
      referralId: caseA.referralId,
      kind: 'SEIZURE',
      occurredAt: new Date().toISOString(),
      premisesId: other,
    });
    expect(errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'premisesId'] })]);
  });
});
