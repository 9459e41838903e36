import { toGlobalId } from '../../src/shared/relay/global-id';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    // 45 more listings of brand A, some sharing a created_at, to page through.
    await db.dataSource.query(
      `
      INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status, created_at)
      SELECT $1, $2, 'Extra ' || g, 'https://x/e' || g, g * 10, 'CNY', 'LIVE', timestamptz '2026-02-01' + ((g / 3) * interval '1 hour')
      FROM generate_series(1, 45) g`,
      [world.ids.sellerA, world.ids.brandA],
    );
  },
});

const LISTINGS = `query($first: Int, $after: String, $orderBy: ListingOrder) {
  listings(first: $first, after: $after, orderBy: $orderBy) {
    totalCount edges { cursor node { id title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('cursor connections', () => {
  it('defaults to 20 items and reports the total only as asked', async () => {
    const { listings } = dataOf(await server.gql(world.keys.admin, LISTINGS));
    expect(listings.edges).toHaveLength(20);
    expect(listings.totalCount).toBe(49);
    expect(listings.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it.each([
    ['CREATED_AT', 'DESC'],
    ['CREATED_AT', 'ASC'],
    ['PRICE', 'ASC'],
    ['PRICE', 'DESC'],
  ])('walks every page ordered by %s %s without gaps or repeats', async (field, direction) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages += 1) {
      const { listings }: any = dataOf(
        await server.gql(world.keys.admin, LISTINGS, { first: 7, after, orderBy: { field, direction } }),
      );
      seen.push(...listings.edges.map((e: any) => e.node.id));
      expect(listings.pageInfo.endCursor).toBe(listings.edges.at(-1)?.cursor ?? null);
      if (!listings.pageInfo.hasNextPage) break;
      after = listings.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(49);
    expect(new Set(seen).size).toBe(49);
  });

  it('returns an empty last page with null cursors', async () => {
    const all = dataOf(await server.gql(world.keys.admin, LISTINGS, { first: 100 }));
    const last = all.listings.pageInfo.endCursor;
    const { listings } = dataOf(await server.gql(world.keys.admin, LISTINGS, { after: last }));
    expect(listings.edges).toEqual([]);
    expect(listings.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
  });

  it.each([[0], [-1], [101], [1000]])('refuses first: %p with BAD_USER_INPUT', async (first) => {
    const response = await server.gql(world.keys.admin, LISTINGS, { first });
    expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0].message).toMatch(/"first" must be between 1 and 100/);
  });

  it('refuses a tampered cursor and a cursor of another ordering', async () => {
    const page = dataOf(await server.gql(world.keys.admin, LISTINGS, { first: 1 }));
    // Cursors are encrypted and authenticated (src/shared/relay/cursor.ts): one altered by a bit, or one
    // built by hand in the former readable form, is garbage. More in cursors.test.ts.
    const altered = Buffer.from(page.listings.pageInfo.endCursor, 'base64url');
    altered[altered.length - 1] ^= 1;
    for (const after of [
      'garbage!',
      'eyJrIjoiQ1JFQVRFRF9BVCJ9',
      Buffer.from('{"k":"CREATED_AT","v":1,"id":"1; DROP TABLE x"}').toString('base64url'),
      altered.toString('base64url'),
    ]) {
      const response = await server.gql(world.keys.admin, LISTINGS, { after });
      expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.body.errors?.[0].message).toMatch(/not a valid cursor/);
    }
    const otherOrder = await server.gql(world.keys.admin, LISTINGS, {
      after: page.listings.pageInfo.endCursor,
      orderBy: { field: 'PRICE', direction: 'ASC' },
    });
    expect(otherOrder.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages nested connections per parent in one request', async () => {
    const query = `query($after: String) { sellers(first: 10, orderBy: { field: DISPLAY_NAME, direction: ASC }) { nodes { displayName listings(first: 2, after: $after) { totalCount nodes { title } pageInfo { hasNextPage endCursor } } } } }`;
    const { sellers } = dataOf(await server.gql(world.keys.admin, query));
    const byName = Object.fromEntries(sellers.nodes.map((s: any) => [s.displayName, s.listings]));
    expect(byName['Seller of Alpha'].totalCount).toBe(46);
    expect(byName['Seller of Alpha'].nodes).toHaveLength(2);
    expect(byName['Seller of Alpha'].pageInfo.hasNextPage).toBe(true);
    expect(byName['Seller of both'].nodes.map((n: any) => n.title)).toEqual(['Beta belt', 'Alpha shoe']);
    expect(byName['Seller of both'].pageInfo.hasNextPage).toBe(false);
  });
});

describe('node and nodes', () => {
  it('resolves any object by global id, with its type', async () => {
    const { node } = dataOf(
      await server.gql(
        world.keys.admin,
        `query($id: ID!) { node(id: $id) { __typename id ... on Listing { title } } }`,
        { id: world.gid.listingA1 },
      ),
    );
    expect(node).toEqual({ __typename: 'Listing', id: world.gid.listingA1, title: 'Alpha bag' });
  });

  it('answers null for ids of missing records and of unknown types', async () => {
    for (const id of [toGlobalId('Listing', 999999), toGlobalId('Spaceship', 1)]) {
      const { node } = dataOf(await server.gql(world.keys.admin, `query($id: ID!) { node(id: $id) { id } }`, { id }));
      expect(node).toBeNull();
    }
  });

  it('refuses malformed ids with BAD_USER_INPUT', async () => {
    for (const id of [
      '',
      'not an id',
      Buffer.from('Listing:abc').toString('base64url'),
      Buffer.from('Listing:-1').toString('base64url'),
      'x'.repeat(5000),
    ]) {
      const response = await server.gql(world.keys.admin, `query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('answers nodes one entry per id, in order, null for misses', async () => {
    const ids = [world.gid.brandB, toGlobalId('Brand', 424242), world.gid.sellerA, world.gid.brandB];
    const { nodes } = dataOf(
      await server.gql(world.keys.admin, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids }),
    );
    expect(nodes).toEqual([
      { __typename: 'Brand', id: world.gid.brandB },
      null,
      { __typename: 'Seller', id: world.gid.sellerA },
      { __typename: 'Brand', id: world.gid.brandB },
    ]);
  });

  it('refuses more than 100 ids', async () => {
    const response = await server.gql(world.keys.admin, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: Array(101).fill(world.gid.brandA),
    });
    expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
