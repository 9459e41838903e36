import { toGlobalId } from '../../src/shared/relay/global-id';
import { mutate } from '../support/cases';
import { dataOf, GraphQLResponse } from '../support/server';
import { useTestServer } from '../support/harness';

// Backward paging (Relay cursor connections): `last` with `before` reads a list from its end, returning
// each page in the list's order. An edge's cursor is one position of its list, read on from with `after`
// and back from with `before`. Pages are checked against SQL through the owner connection.

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    // 11 more listings of brand A (seller AB), some sharing a created_at and a price, so that ties are broken by id.
    await db.dataSource.query(
      `
      INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status, created_at)
      SELECT $1, $2, 'Extra ' || g, 'https://x/e' || g, (g / 2) * 10, 'CNY', 'LIVE', timestamptz '2026-02-01' + ((g / 3) * interval '1 hour')
      FROM generate_series(1, 11) g`,
      [world.ids.sellerAB, world.ids.brandA],
    );
  },
});

const LISTINGS = `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: ListingOrder) {
  listings(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const listingIds = (rows: { id: string }[]) => rows.map((row) => toGlobalId('Listing', String(row.id)));

interface Walk {
  pages: string[][];
  infos: { hasNextPage: boolean; hasPreviousPage: boolean }[];
}

/** Every page of a list, forward (`first`, `after`) or backward (`last`, `before`), in the order read. */
async function walk(
  read: (variables: Record<string, unknown>) => Promise<GraphQLResponse>,
  size: number,
  backward: boolean,
  pick: (data: any) => any,
): Promise<Walk> {
  const result: Walk = { pages: [], infos: [] };
  let cursor: string | null = null;
  for (let n = 0; n < 50; n += 1) {
    const connection = pick(
      dataOf(await read(backward ? { last: size, before: cursor } : { first: size, after: cursor })),
    );
    const { hasNextPage, hasPreviousPage, startCursor, endCursor } = connection.pageInfo;
    result.pages.push(connection.edges.map((edge: any) => edge.node.id));
    result.infos.push({ hasNextPage, hasPreviousPage });
    expect(startCursor).toBe(connection.edges[0]?.cursor ?? null);
    expect(endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
    if (!(backward ? hasPreviousPage : hasNextPage)) return result;
    cursor = backward ? startCursor : endCursor;
  }
  throw new Error('the list did not end');
}

function expectSameListBothWays(forward: Walk, backward: Walk, expected: string[], size: number) {
  expect(forward.pages.flat()).toEqual(expected);
  // Backward, each page holds the `size` items before the previous one, in the list's order: read in
  // reverse, the pages make the list again. The pages are cut from the other end, so compared by content.
  expect([...backward.pages].reverse().flat()).toEqual(expected);
  for (const page of backward.pages.slice(0, -1)) expect(page).toHaveLength(size);
  expect(backward.pages[0]).toEqual(expected.slice(-size));
  expect(backward.pages.at(-1)).toEqual(expected.slice(0, expected.length - size * (backward.pages.length - 1)));
  // Forward: hasPreviousPage when `after` was given; backward: hasNextPage when `before` was given.
  expect(forward.infos.map((info) => info.hasPreviousPage)).toEqual(forward.pages.map((_, i) => i > 0));
  expect(backward.infos.map((info) => info.hasNextPage)).toEqual(backward.pages.map((_, i) => i > 0));
  expect(backward.infos.map((info) => info.hasPreviousPage)).toEqual(
    backward.pages.map((_, i) => i < backward.pages.length - 1),
  );
}

describe('backward paging of a root list', () => {
  it.each([
    ['CREATED_AT', 'DESC', 'created_at DESC, id DESC'],
    ['CREATED_AT', 'ASC', 'created_at ASC, id ASC'],
    ['PRICE', 'ASC', 'price_amount ASC, id ASC'],
    ['PRICE', 'DESC', 'price_amount DESC, id DESC'],
  ])(
    'pages the listings of a brand by %s %s from the end to the start as SQL orders them',
    async (field, direction, orderBy) => {
      const expected = listingIds(
        await db.dataSource.query(`SELECT id FROM listing WHERE brand_id = $1 ORDER BY ${orderBy}`, [world.ids.brandA]),
      );
      expect(expected.length).toBe(13);
      const read = (variables: Record<string, unknown>) =>
        server.gql(world.keys.brandA, LISTINGS, { ...variables, orderBy: { field, direction } });
      const forward = await walk(read, 2, false, (data) => data.listings);
      const backward = await walk(read, 2, true, (data) => data.listings);
      expectSameListBothWays(forward, backward, expected, 2);
    },
  );

  it('reads back from any edge cursor, the same cursor that reads on with `after`', async () => {
    const expected = listingIds(await db.dataSource.query(`SELECT id FROM listing ORDER BY created_at DESC, id DESC`));
    const all = dataOf(await server.gql(world.keys.admin, LISTINGS, { first: 100 })).listings;
    expect(all.edges.map((edge: any) => edge.node.id)).toEqual(expected);
    const middle = all.edges[6].cursor;
    const before = dataOf(await server.gql(world.keys.admin, LISTINGS, { last: 3, before: middle })).listings;
    expect(before.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(3, 6));
    expect(before.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const after = dataOf(await server.gql(world.keys.admin, LISTINGS, { first: 3, after: middle })).listings;
    expect(after.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(7, 10));
    // Between two cursors: `after` and `before` both bound the page.
    const between = dataOf(
      await server.gql(world.keys.admin, LISTINGS, { after: all.edges[1].cursor, before: middle }),
    ).listings;
    expect(between.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(2, 6));
    expect(between.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // The first item's cursor has nothing before it.
    const none = dataOf(
      await server.gql(world.keys.admin, LISTINGS, { last: 5, before: all.edges[0].cursor }),
    ).listings;
    expect(none.edges).toEqual([]);
    expect(none.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
    // `last` alone: the end of the list; more than the list holds: all of it.
    const end = dataOf(await server.gql(world.keys.admin, LISTINGS, { last: 4 })).listings;
    expect(end.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(-4));
    expect(end.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const whole = dataOf(await server.gql(world.keys.admin, LISTINGS, { last: 100 })).listings;
    expect(whole.edges.map((edge: any) => edge.node.id)).toEqual(expected);
    expect(whole.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });
});

describe("backward paging of a brand partner's leads (the brand's own index)", () => {
  const LEADS = `query($first: Int, $after: String, $last: Int, $before: String) {
    leads(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;

  it('pages from the end to the start as SQL orders them', async () => {
    for (let n = 0; n < 5; n += 1)
      await mutate(
        server,
        world.keys.brandA,
        'reportLead',
        { description: `lead ${n}`, sellerIds: [world.gid.sellerA] },
        'lead { id }',
      );
    const rows = await db.dataSource.query(
      `SELECT lead_id AS id FROM lead_brand WHERE brand_id = $1 ORDER BY lead_created_at DESC, lead_id DESC`,
      [world.ids.brandA],
    );
    const expected = rows.map((row: { id: string }) => toGlobalId('Lead', String(row.id)));
    expect(expected.length).toBeGreaterThanOrEqual(5);
    const read = (variables: Record<string, unknown>) => server.gql(world.keys.brandA, LEADS, variables);
    const forward = await walk(read, 2, false, (data) => data.leads);
    const backward = await walk(read, 2, true, (data) => data.leads);
    expectSameListBothWays(forward, backward, expected, 2);
  });
});

describe('backward paging of a nested list', () => {
  const OF_SELLER = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    node(id: $id) { ... on Seller { listings(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } } }
  }`;

  it('pages seller.listings from the end to the start as SQL orders them', async () => {
    const expected = listingIds(
      await db.dataSource.query(`SELECT id FROM listing WHERE seller_id = $1 ORDER BY created_at DESC, id DESC`, [
        world.ids.sellerAB,
      ]),
    );
    expect(expected.length).toBe(13);
    const read = (variables: Record<string, unknown>) =>
      server.gql(world.keys.admin, OF_SELLER, { ...variables, id: world.gid.sellerAB });
    const forward = await walk(read, 3, false, (data) => data.node.listings);
    const backward = await walk(read, 3, true, (data) => data.node.listings);
    expectSameListBothWays(forward, backward, expected, 3);
  });

  it('reads the last page of several parents in one batch, each as SQL orders it', async () => {
    const response = await server.gql(
      world.keys.admin,
      `{
      a: node(id: "${world.gid.sellerA}") { ... on Seller { listings(last: 2) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } } }
      ab: node(id: "${world.gid.sellerAB}") { ... on Seller { listings(last: 2) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } } }
      b: node(id: "${world.gid.sellerB}") { ... on Seller { listings(last: 2) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } } }
    }`,
    );
    const data = dataOf(response);
    for (const [alias, seller] of [
      ['a', world.ids.sellerA],
      ['ab', world.ids.sellerAB],
      ['b', world.ids.sellerB],
    ] as const) {
      const expected = listingIds(
        await db.dataSource.query(`SELECT id FROM listing WHERE seller_id = $1 ORDER BY created_at DESC, id DESC`, [
          seller,
        ]),
      );
      expect(data[alias].listings.nodes.map((node: any) => node.id)).toEqual(expected.slice(-2));
      expect(data[alias].listings.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: expected.length > 2 });
    }
  });

  it("refuses another parent's cursor as `before`", async () => {
    const page = dataOf(await server.gql(world.keys.admin, OF_SELLER, { id: world.gid.sellerAB, first: 2 }));
    const response = await server.gql(world.keys.admin, OF_SELLER, {
      id: world.gid.sellerA,
      last: 2,
      before: page.node.listings.pageInfo.endCursor,
    });
    expect(response.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'before' } });
    expect(response.body.errors?.[0].message).toMatch(/"before" is not a valid cursor/);
  });
});

describe('the cost of a backward page', () => {
  it('prices `last` like `first`', async () => {
    const cost = async (query: string) =>
      (await server.gql(world.keys.admin, query)).body.extensions?.cost?.requestedQueryCost;
    expect(await cost('{ listings(last: 10) { nodes { id } } }')).toBe(2 + 10);
    expect(await cost('{ listings(last: 10) { nodes { id } } }')).toBe(
      await cost('{ listings(first: 10) { nodes { id } } }'),
    );
    expect(await cost('{ sellers(last: 5) { nodes { listings(last: 4, before: null) { nodes { id } } } } }')).toBe(
      2 + 5 * (1 + 2 + 4),
    );
    expect(await cost('query($n: Int) { listings(last: $n) { nodes { id } } }')).toBe(2 + 20);
  });
});

describe('refused paging arguments', () => {
  it('refuses `first` with `last`', async () => {
    const response = await server.gql(world.keys.admin, LISTINGS, { first: 2, last: 2 });
    expect(response.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'last' } });
    expect(response.body.errors?.[0].message).toMatch(/"first" .* or "last" .*, not both/);
  });

  it.each([[0], [-1], [101], [1000]])('refuses last: %p', async (last) => {
    const response = await server.gql(world.keys.admin, LISTINGS, { last });
    expect(response.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'last' } });
    expect(response.body.errors?.[0].message).toMatch(/"last" must be between 1 and 100/);
  });

  it('refuses a cursor of another list, order or caller as `before`', async () => {
    const sellersCursor = dataOf(await server.gql(world.keys.admin, '{ sellers(first: 1) { pageInfo { endCursor } } }'))
      .sellers.pageInfo.endCursor;
    const byPrice = dataOf(
      await server.gql(world.keys.admin, LISTINGS, { first: 1, orderBy: { field: 'PRICE', direction: 'DESC' } }),
    ).listings.pageInfo.endCursor;
    const ofBrandB = dataOf(await server.gql(world.keys.brandB, LISTINGS, { first: 1 })).listings.pageInfo.endCursor;
    for (const [key, before] of [
      [world.keys.admin, sellersCursor],
      [world.keys.admin, byPrice],
      [world.keys.brandA, ofBrandB],
      [world.keys.admin, 'garbage!'],
    ]) {
      const response = await server.gql(key, LISTINGS, { last: 2, before });
      expect(response.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'before' } });
      expect(response.body.errors?.[0].message).toMatch(/"before" is not a valid cursor/);
    }
  });
});
