// Seized-value ledger: the outcomes several agencies report of one joint operation are
// grouped, and analytics count the operation's agreed seized value once, with its valuation method.
import { buildCase, CaseIds, mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { world, server } = useTestServer();
let caseA: CaseIds;
let caseA2: CaseIds;
let caseB: CaseIds;
let seizureX: string;
let seizureY: string;
let standaloneX: string;
let operationId: string;

async function seize(agencyKey: string, c: CaseIds, amount: number, extra: Record<string, unknown> = {}) {
  await mutate(server, agencyKey, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
  return (
    await mutate(
      server,
      agencyKey,
      'recordEnforcementOutcome',
      {
        referralId: c.referralId,
        kind: 'SEIZURE',
        occurredAt: new Date().toISOString(),
        seizedValue: { amount, currency: 'CNY' },
        ...extra,
      },
      'outcome { id valuationMethod }',
    )
  ).outcome;
}

beforeAll(async () => {
  caseA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'op A' });
  caseA2 = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'op A2' });
  caseB = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyY, tag: 'op B' });
  seizureX = (await seize(world.keys.agencyX, caseA, 1_000_000, { valuationMethod: 'MARKET_PRICE' })).id;
  seizureY = (await seize(world.keys.agencyY, caseB, 1_500_000, { valuationMethod: 'GENUINE_RETAIL_PRICE' })).id;
  standaloneX = (await seize(world.keys.agencyX, caseA2, 200_000)).id;
});

const SEIZED = `{ analytics { outcomeTotals { seizures seizedValue { amount currency } } } }`;
const seizedAs = async (token: string) => dataOf(await server.gql(token, SEIZED)).analytics.outcomeTotals;

describe('joint operations', () => {
  it('record the valuation method of a seized value, and only with one', async () => {
    const outcome = dataOf(
      await server.gql(
        world.keys.agencyX,
        `query($id: ID!) { node(id: $id) { ... on EnforcementOutcome { valuationMethod seizedValue { amount } } } }`,
        { id: seizureX },
      ),
    ).node;
    expect(outcome).toEqual({ valuationMethod: 'MARKET_PRICE', seizedValue: { amount: 1_000_000 } });
    expect(
      await refused(server, world.keys.agencyX, 'recordEnforcementOutcome', {
        referralId: caseA.referralId,
        kind: 'RAID',
        occurredAt: '2026-04-02T00:00:00Z',
        valuationMethod: 'OTHER',
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'valuationMethod'] })]);
  });

  it('group the outcomes of several agencies, so that analytics count the agreed seized value once', async () => {
    expect(await seizedAs(world.keys.analyst)).toEqual({
      seizures: 3,
      seizedValue: [{ amount: 2_700_000, currency: 'CNY' }],
    });
    const { operation } = await mutate(
      server,
      world.keys.investigator,
      'createJointOperation',
      {
        name: 'Operation Thunder, Yiwu and Guangzhou',
        outcomeIds: [seizureX, seizureY],
        seizedValue: { amount: 1_200_000, currency: 'CNY' },
        valuationMethod: 'MARKET_PRICE',
        valuationNote: 'Joint appraisal by both bureaus',
        idempotencyKey: 'op-1',
      },
      'operation { id reference name seizedValue { amount currency } valuationMethod valuationNote version outcomes { id } }',
    );
    operationId = operation.id;
    expect(operation).toMatchObject({
      reference: expect.stringMatching(/^OP-\d{4}-\d{6}$/),
      valuationMethod: 'MARKET_PRICE',
      version: 1,
      seizedValue: { amount: 1_200_000 },
    });
    expect(operation.outcomes.map((o: any) => o.id).sort()).toEqual([seizureX, seizureY].sort());
    // 1.2 million for the operation, once, and the standalone seizure. Each agency counts its share of the
    // operation (600,000 each: the agencies' figures add up to the operation once).
    expect(await seizedAs(world.keys.analyst)).toEqual({
      seizures: 3,
      seizedValue: [{ amount: 1_400_000, currency: 'CNY' }],
    });
    expect(await seizedAs(world.keys.agencyX)).toEqual({
      seizures: 2,
      seizedValue: [{ amount: 800_000, currency: 'CNY' }],
    });
    expect(await seizedAs(world.keys.agencyY)).toEqual({
      seizures: 1,
      seizedValue: [{ amount: 600_000, currency: 'CNY' }],
    });
    expect(await seizedAs(world.keys.brandB)).toEqual({
      seizures: 1,
      seizedValue: [{ amount: 600_000, currency: 'CNY' }],
    });
  });

  it('show each participant the operation with its own outcomes only, and the valuation note to internal roles', async () => {
    const OPS = `{ jointOperations { totalCount nodes { id name valuationNote seizedValue { amount } outcomes { id } } } }`;
    const x = dataOf(await server.gql(world.keys.agencyX, OPS)).jointOperations;
    expect(x).toMatchObject({
      totalCount: 1,
      nodes: [{ id: operationId, valuationNote: null, outcomes: [{ id: seizureX }] }],
    });
    const y = dataOf(await server.gql(world.keys.agencyY, OPS)).jointOperations;
    expect(y.nodes[0].outcomes).toEqual([{ id: seizureY }]);
    const a = dataOf(await server.gql(world.keys.brandA, OPS)).jointOperations;
    expect(a.nodes[0].outcomes).toEqual([{ id: seizureX }]);
    const analyst = dataOf(await server.gql(world.keys.analyst, OPS)).jointOperations;
    expect(analyst.nodes[0]).toMatchObject({
      valuationNote: 'Joint appraisal by both bureaus',
      outcomes: [{ id: seizureX }, { id: seizureY }],
    });
    const viaOutcome = dataOf(
      await server.gql(
        world.keys.agencyY,
        `query($id: ID!) { node(id: $id) { ... on EnforcementOutcome { operation { id } } } }`,
        { id: seizureY },
      ),
    ).node;
    expect(viaOutcome.operation).toEqual({ id: operationId });
  });

  it('take an outcome once, by investigators only, and revalue with versions', async () => {
    expect(
      await refused(server, world.keys.investigator, 'createJointOperation', {
        name: 'Again',
        outcomeIds: [seizureX],
        valuationMethod: 'OTHER',
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'outcomeIds'] })]);
    const response = await server.gql(
      world.keys.agencyX,
      `mutation($input: CreateJointOperationInput!) { createJointOperation(input: $input) { userErrors { code } } }`,
      { input: { name: 'Mine', outcomeIds: [standaloneX], valuationMethod: 'OTHER' } },
    );
    expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const added = await mutate(
      server,
      world.keys.investigator,
      'addOutcomesToJointOperation',
      { operationId, outcomeIds: [standaloneX], expectedVersion: 1 },
      'operation { version outcomes { id } }',
    );
    expect(added.operation.version).toBe(2);
    expect(await seizedAs(world.keys.analyst)).toEqual({
      seizures: 3,
      seizedValue: [{ amount: 1_200_000, currency: 'CNY' }],
    });
    expect(
      await refused(server, world.keys.investigator, 'revalueJointOperation', {
        operationId,
        seizedValue: { amount: 1, currency: 'CNY' },
        valuationMethod: 'OTHER',
        expectedVersion: 1,
      }),
    ).toEqual([expect.objectContaining({ code: 'STALE_VERSION' })]);
    await mutate(
      server,
      world.keys.investigator,
      'revalueJointOperation',
      {
        operationId,
        seizedValue: { amount: 1_300_000, currency: 'CNY' },
        valuationMethod: 'PRODUCTION_COST',
        expectedVersion: 2,
      },
      'operation { id }',
    );
    expect(await seizedAs(world.keys.analyst)).toEqual({
      seizures: 3,
      seizedValue: [{ amount: 1_300_000, currency: 'CNY' }],
    });
    const trail = dataOf(
      await server.gql(world.keys.admin, `query($id: ID!) { auditTrail(entityId: $id) { nodes { action } } }`, {
        id: operationId,
      }),
    ).auditTrail.nodes;
    expect(trail.map((e: any) => e.action)).toEqual(['jointOperation.created', 'jointOperation.revalued']);
  });
});
