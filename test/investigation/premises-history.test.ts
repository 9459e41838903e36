// A place's history is a connection: the raids, outcomes and findings of one premises
// grow over the years with no natural bound, so they page (`raidsConnection`, `outcomesConnection`,
// `findingsConnection`, forward and backward); the former plain lists stay, deprecated. Every page is
// compared with the rows read through the owner's connection.
import { GraphQLObjectType } from 'graphql';
import { buildAppSchema } from '../../src/schema';
import { buildCase, CaseIds, mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();
let kase: CaseIds;
let premisesId: string;

const rowId = (gid: string) => Buffer.from(gid, 'base64url').toString('utf8').split(':')[1];

beforeAll(async () => {
  kase = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'premises history' });
  ({
    premises: { id: premisesId },
  } = await mutate(
    server,
    world.keys.investigator,
    'registerPremises',
    {
      kind: 'WAREHOUSE',
      region: 'CN-ZJ',
      address: 'No. 8 Gongye Rd, Yiwu',
    },
    'premises { id }',
  ));
  // Findings of the case referred to agency X locate the place first: the agency may then name it in its outcomes.
  for (const address of ['No. 8 Gongye Rd', 'No. 8 Gongye Road, back door', 'Gongye Rd 8, yard']) {
    await mutate(
      server,
      world.keys.investigator,
      'recordFinding',
      { investigationId: kase.investigationId, kind: 'WAREHOUSE', region: 'CN-ZJ', address, premisesId },
      'finding { id }',
    );
  }
  await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: kase.referralId }, 'referral { id }');
  // Three raids and a seizure at the place (each dated now: after the referral was sent).
  for (const kind of ['RAID', 'RAID', 'SEIZURE', 'RAID']) {
    await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      {
        referralId: kase.referralId,
        kind,
        occurredAt: new Date().toISOString(),
        premisesId,
      },
      'outcome { id }',
    );
  }
});

/** The ids of a place's rows as the owner reads them, oldest first. */
async function stored(sql: string): Promise<string[]> {
  return (await db.dataSource.query(sql, [rowId(premisesId)])).map((r: { id: string }) => String(r.id));
}
const raidsStored = () =>
  stored(`SELECT id FROM enforcement_outcome WHERE premises_id = $1 AND kind = 'RAID' ORDER BY occurred_at, id`);
const outcomesStored = () =>
  stored('SELECT id FROM enforcement_outcome WHERE premises_id = $1 ORDER BY occurred_at, id');
const findingsStored = () => stored('SELECT id FROM finding WHERE premises_id = $1 ORDER BY created_at, id');

interface PageAnswer {
  totalCount: number;
  edges: { node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Every item of one connection field of the premises, a page of `size` at a time, forward or backward. */
async function walk(
  token: string,
  field: string,
  size: number,
  backward = false,
): Promise<{ ids: string[]; totalCount: number; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let totalCount = 0;
  let pages = 0;
  for (;;) {
    const args = backward ? `last: ${size}, before: $cursor` : `first: ${size}, after: $cursor`;
    const data = dataOf<{ node: Record<string, PageAnswer> }>(
      await server.gql(
        token,
        `query($id: ID!, $cursor: String) { node(id: $id) { ... on Premises {
      ${field}(${args}) { totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`,
        { id: premisesId, cursor },
      ),
    );
    const page: PageAnswer = data.node[field];
    pages += 1;
    totalCount = page.totalCount;
    const pageIds = page.edges.map((e) => rowId(e.node.id));
    if (backward) ids.unshift(...pageIds);
    else ids.push(...pageIds);
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    if (!more) return { ids, totalCount, pages };
    cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
  }
}

describe('the history of premises pages as connections', () => {
  it('raids, outcomes and findings, forward and backward, as stored', async () => {
    const raids = await raidsStored();
    expect(raids).toHaveLength(3);
    expect(await walk(world.keys.investigator, 'raidsConnection', 2)).toEqual({ ids: raids, totalCount: 3, pages: 2 });
    expect(await walk(world.keys.investigator, 'raidsConnection', 2, true)).toEqual({
      ids: raids,
      totalCount: 3,
      pages: 2,
    });
    const outcomes = await outcomesStored();
    expect(outcomes).toHaveLength(4);
    expect(await walk(world.keys.investigator, 'outcomesConnection', 3)).toEqual({
      ids: outcomes,
      totalCount: 4,
      pages: 2,
    });
    const findings = await findingsStored();
    expect(findings).toHaveLength(3);
    expect(await walk(world.keys.investigator, 'findingsConnection', 1, true)).toEqual({
      ids: findings,
      totalCount: 3,
      pages: 3,
    });
  });

  it("refuse a cursor of another of the place's lists", async () => {
    const first = async (field: string) =>
      dataOf<{ node: Record<string, PageAnswer> }>(
        await server.gql(
          world.keys.investigator,
          `query($id: ID!) { node(id: $id) { ... on Premises { ${field}(first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`,
          { id: premisesId },
        ),
      ).node[field].pageInfo.endCursor;
    for (const [from, to] of [
      ['raidsConnection', 'outcomesConnection'],
      ['outcomesConnection', 'raidsConnection'],
    ]) {
      const cursor = await first(from);
      const response = await server.gql(
        world.keys.investigator,
        `query($id: ID!, $cursor: String) { node(id: $id) { ... on Premises { ${to}(first: 1, after: $cursor) { edges { node { id } } } } } }`,
        { id: premisesId, cursor },
      );
      expect({ from, to, code: response.body.errors?.[0]?.extensions?.code }).toEqual({
        from,
        to,
        code: 'BAD_USER_INPUT',
      });
    }
  });

  it('show an agency what it may see of the place, as the former lists do', async () => {
    const query = `query($id: ID!) { node(id: $id) { ... on Premises { raids { id } outcomes { id } findings { id } } } }`;
    const lists = dataOf(await server.gql(world.keys.agencyX, query, { id: premisesId })).node;
    const ids = (items: { id: string }[]) => items.map((i) => rowId(i.id));
    expect((await walk(world.keys.agencyX, 'raidsConnection', 100)).ids).toEqual(ids(lists.raids));
    expect((await walk(world.keys.agencyX, 'outcomesConnection', 100)).ids).toEqual(ids(lists.outcomes));
    expect((await walk(world.keys.agencyX, 'findingsConnection', 100)).ids).toEqual(ids(lists.findings));
    expect(ids(lists.outcomes)).toEqual(await outcomesStored());
    // Another agency sees none of the place: the premises itself is out of its scope.
    const other = dataOf(await server.gql(world.keys.agencyY, query, { id: premisesId })).node;
    expect(other).toBeNull();
  });

  it('keep the former plain lists, deprecated for the connections', async () => {
    const fields = (await buildAppSchema()).getType('Premises') as GraphQLObjectType;
    for (const [list, connection] of [
      ['raids', 'raidsConnection'],
      ['outcomes', 'outcomesConnection'],
      ['findings', 'findingsConnection'],
    ]) {
      const field = fields.getFields()[list];
      expect({ list, deprecated: field.deprecationReason?.includes(`\`${connection}\``) }).toEqual({
        list,
        deprecated: true,
      });
      expect(fields.getFields()[connection].deprecationReason).toBeUndefined();
    }
  });
});
