import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { world, server } = useTestServer();

const titles = (connection: any) => connection.nodes.map((n: any) => n.title).sort();

describe('a brand partner sees its own brand only', () => {
  it('in root lists, with totals that count only its records', async () => {
    const data = dataOf(
      await server.gql(
        world.keys.brandA,
        `{
      brands { totalCount nodes { name trademarks { mark } } }
      listings { totalCount nodes { title } }
      sellers(orderBy: { field: DISPLAY_NAME, direction: ASC }) { totalCount nodes { displayName } }
    }`,
      ),
    );
    expect(data.brands).toEqual({ totalCount: 1, nodes: [{ name: 'Alpha', trademarks: [{ mark: 'ALPHA' }] }] });
    expect(data.listings.totalCount).toBe(2);
    expect(titles(data.listings)).toEqual(['Alpha bag', 'Alpha shoe']);
    expect(data.sellers.nodes.map((s: any) => s.displayName)).toEqual(['Seller of Alpha', 'Seller of both']);
    expect(data.sellers.totalCount).toBe(2);
  });

  it('through node and nodes: the other brand reads as missing', async () => {
    const query = `query($ids: [ID!]!, $id: ID!) { node(id: $id) { id } nodes(ids: $ids) { id } }`;
    const ids = [
      world.gid.brandB,
      world.gid.listingB1,
      world.gid.sellerB,
      world.gid.trademarkB,
      world.gid.identifierA,
      world.gid.brandA,
    ];
    const data = dataOf(await server.gql(world.keys.brandA, query, { ids, id: world.gid.listingB2 }));
    expect(data.node).toBeNull();
    expect(data.nodes).toEqual([null, null, null, null, null, { id: world.gid.brandA }]);
  });

  it('through filters naming the other brand', async () => {
    const data = dataOf(
      await server.gql(
        world.keys.brandA,
        `query($b: [ID!]) {
      listings(filter: { brandIds: $b }) { totalCount nodes { title } }
      sellers(filter: { brandIds: $b }) { totalCount }
    }`,
        { b: [world.gid.brandB] },
      ),
    );
    expect(data.listings).toEqual({ totalCount: 0, nodes: [] });
    expect(data.sellers.totalCount).toBe(0);
  });

  it('through nested fields: a shared seller shows only its listings of this brand, and no identifiers', async () => {
    const data = dataOf(
      await server.gql(
        world.keys.brandA,
        `query($id: ID!) {
      node(id: $id) { ... on Seller { displayName identifiers { kind } listings { totalCount nodes { title brand { name } } } } }
    }`,
        { id: world.gid.sellerAB },
      ),
    );
    expect(data.node.identifiers).toEqual([]);
    expect(data.node.listings.totalCount).toBe(1);
    expect(data.node.listings.nodes).toEqual([{ title: 'Alpha shoe', brand: { name: 'Alpha' } }]);
  });

  it('sees principals and keys of nobody but itself', async () => {
    const viewer = dataOf(await server.gql(world.keys.brandA, '{ viewer { id } }')).viewer;
    const admin = dataOf(await server.gql(world.keys.admin, '{ viewer { id } }')).viewer;
    const data = dataOf(
      await server.gql(world.keys.brandA, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: [viewer.id, admin.id],
      }),
    );
    expect(data.nodes).toEqual([{ id: viewer.id }, null]);
  });
});

describe('an agency liaison', () => {
  it('sees no brand, seller or listing that no referral of its agency names', async () => {
    const data = dataOf(
      await server.gql(
        world.keys.agencyX,
        `{ brands { totalCount } sellers { totalCount } listings { totalCount } agencies { totalCount } }`,
      ),
    );
    expect(data).toEqual({
      brands: { totalCount: 0 },
      sellers: { totalCount: 0 },
      listings: { totalCount: 0 },
      agencies: { totalCount: 2 },
    });
  });
});

describe('internal roles', () => {
  it('see everything; analysts get identifier hashes masked', async () => {
    const query = `query($id: ID!) { listings { totalCount } node(id: $id) { ... on Seller { identifiers { kind valueHash } } } }`;
    const investigator = dataOf(await server.gql(world.keys.investigator, query, { id: world.gid.sellerA }));
    expect(investigator.listings.totalCount).toBe(4);
    expect(investigator.node.identifiers[0].valueHash).toMatch(/^[0-9a-f]{64}$/);
    const analyst = dataOf(await server.gql(world.keys.analyst, query, { id: world.gid.sellerA }));
    expect(analyst.node.identifiers[0].valueHash).toMatch(/^[0-9a-f]{8}…$/);
  });
});
