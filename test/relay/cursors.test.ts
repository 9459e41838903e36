import { createApiKey } from '../../src/modules/principal/principal.service';
import { Role } from '../../src/shared/auth/role';
import { systemContext } from '../../src/shared/context';
import { INVALID_CURSOR_MESSAGE } from '../../src/shared/relay/cursor';
import { buildCase, mutate } from '../support/cases';
import { dataOf, GraphQLResponse } from '../support/server';
import { useTestServer } from '../support/harness';

// Cursors are checked before they reach SQL: bound to their list (and parent), ordering, direction and
// caller, authenticated, and their values typed by the ordering's columns (src/shared/relay/cursor.ts).
// Any other cursor is BAD_USER_INPUT with one message, at the field that received it, and the request's
// transaction goes on: sibling fields answer, a mutation's change is kept and told.

const { db, world, server } = useTestServer();
let caseIds: { leadId: string; investigationId: string; referralId?: string };

beforeAll(async () => {
  caseIds = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'one' });
  await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'two' });
  await db.dataSource.query(
    `
    INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status, created_at)
    SELECT $1, $2, 'Extra ' || g, 'https://x/e' || g, g * 10, 'CNY', 'LIVE', timestamptz '2026-02-01' + g * interval '1 hour'
    FROM generate_series(1, 5) g`,
    [world.ids.sellerAB, world.ids.brandA],
  );
});

/** The one refusal every bad cursor answers, at `path`. */
function expectCursorRefused(response: GraphQLResponse, path: (string | number)[]) {
  expect(response.status).toBe(200);
  const errors = response.body.errors ?? [];
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({
    message: INVALID_CURSOR_MESSAGE,
    path,
    extensions: { code: 'BAD_USER_INPUT', argument: 'after' },
  });
}

async function endCursor(
  token: string,
  query: string,
  field: string,
  variables: Record<string, unknown> = {},
): Promise<string> {
  const data = dataOf(await server.gql(token, query, variables));
  const cursor = field.split('.').reduce((value: any, key) => value?.[key], data)?.pageInfo?.endCursor;
  expect(typeof cursor).toBe('string');
  return cursor;
}

const LEADS = '{ leads(first: 1) { pageInfo { endCursor } } }';
/** A cursor of the former, readable form whose value PostgreSQL cannot read: it used to reach SQL and abort the request's transaction. */
const unreadable = (orderingKey: string) =>
  Buffer.from(JSON.stringify({ k: orderingKey, v: 'not a value of the column', id: '1' })).toString('base64url');

describe('a cursor of another list', () => {
  it('of leads is refused by listings, sellers, referrals and premises (same ordering and direction)', async () => {
    const leadsCursor = await endCursor(world.keys.admin, LEADS, 'leads');
    expect(
      dataOf(
        await server.gql(world.keys.admin, 'query($after: String) { leads(after: $after) { totalCount } }', {
          after: leadsCursor,
        }),
      ).leads.totalCount,
    ).toBe(2);
    for (const list of ['listings', 'sellers', 'referrals', 'premises']) {
      const response = await server.gql(
        world.keys.admin,
        `query($after: String) { ${list}(first: 5, after: $after) { totalCount nodes { id } } }`,
        { after: leadsCursor },
      );
      expectCursorRefused(response, [list]);
    }
  });

  it('of an audit trail is refused by referralChanges (both SEQ ascending), and by the trail of another record', async () => {
    const trail = 'query($id: ID!) { auditTrail(entityId: $id, first: 1) { pageInfo { endCursor } } }';
    const trailCursor = await endCursor(world.keys.agencyX, trail, 'auditTrail', { id: caseIds.referralId });
    const feed = 'query($after: String) { referralChanges(first: 5, after: $after) { edges { node { seq } } } }';
    expect(
      dataOf(await server.gql(world.keys.agencyX, feed, { after: null })).referralChanges.edges.length,
    ).toBeGreaterThan(0);
    expectCursorRefused(await server.gql(world.keys.agencyX, feed, { after: trailCursor }), ['referralChanges']);

    const adminTrail = await endCursor(world.keys.admin, trail, 'auditTrail', { id: caseIds.leadId });
    const otherRecord = 'query($id: ID!, $after: String) { auditTrail(entityId: $id, after: $after) { totalCount } }';
    expect(
      dataOf(await server.gql(world.keys.admin, otherRecord, { id: caseIds.leadId, after: adminTrail })).auditTrail
        .totalCount,
    ).toBeGreaterThan(0);
    expectCursorRefused(
      await server.gql(world.keys.admin, otherRecord, { id: caseIds.investigationId, after: adminTrail }),
      ['auditTrail'],
    );
  });

  it('of another ordering or direction is refused', async () => {
    const byDate = await endCursor(world.keys.admin, '{ listings(first: 2) { pageInfo { endCursor } } }', 'listings');
    const query =
      'query($after: String, $orderBy: ListingOrder) { listings(first: 2, after: $after, orderBy: $orderBy) { totalCount } }';
    expect(
      dataOf(
        await server.gql(world.keys.admin, query, {
          after: byDate,
          orderBy: { field: 'CREATED_AT', direction: 'DESC' },
        }),
      ).listings.totalCount,
    ).toBe(9);
    expectCursorRefused(
      await server.gql(world.keys.admin, query, { after: byDate, orderBy: { field: 'CREATED_AT', direction: 'ASC' } }),
      ['listings'],
    );
    expectCursorRefused(
      await server.gql(world.keys.admin, query, { after: byDate, orderBy: { field: 'PRICE', direction: 'DESC' } }),
      ['listings'],
    );
  });
});

describe('a cursor of a nested list', () => {
  const OF_SELLER = `query($id: ID!, $after: String) { node(id: $id) { ... on Seller { listings(first: 2, after: $after) { nodes { title } pageInfo { endCursor } } } } }`;

  it('reads on for its own parent and is refused for another parent', async () => {
    const cursor = await endCursor(world.keys.admin, OF_SELLER, 'node.listings', { id: world.gid.sellerAB });
    const next = dataOf(await server.gql(world.keys.admin, OF_SELLER, { id: world.gid.sellerAB, after: cursor }));
    expect(next.node.listings.nodes).toHaveLength(2);
    expectCursorRefused(await server.gql(world.keys.admin, OF_SELLER, { id: world.gid.sellerA, after: cursor }), [
      'node',
      'listings',
    ]);
    // The same list (listings by brand_id) under another parent of the same type: refused too.
    const ofBrand = `query($id: ID!, $after: String) { node(id: $id) { ... on Brand { listings(first: 2, after: $after) { totalCount pageInfo { endCursor } } } } }`;
    const brandCursor = await endCursor(world.keys.admin, ofBrand, 'node.listings', { id: world.gid.brandA });
    expectCursorRefused(await server.gql(world.keys.admin, ofBrand, { id: world.gid.brandB, after: brandCursor }), [
      'node',
      'listings',
    ]);
  });

  it('is checked per parent within one batch: its parent reads on, the others are refused at their own paths', async () => {
    const cursor = await endCursor(world.keys.admin, OF_SELLER, 'node.listings', { id: world.gid.sellerAB });
    // Three parents whose listings are read in one batch; the cursor is sellerAB's.
    const query = `query($after: String) {
      a: node(id: "${world.gid.sellerA}") { ... on Seller { listings(first: 2, after: $after) { nodes { title } } } }
      ab: node(id: "${world.gid.sellerAB}") { ... on Seller { listings(first: 2, after: $after) { nodes { title } } } }
      b: node(id: "${world.gid.sellerB}") { ... on Seller { listings(first: 2, after: $after) { nodes { title } } } }
    }`;
    const response = await server.gql(world.keys.admin, query, { after: cursor });
    // Seller.listings is non-null: a refused one nulls its seller.
    expect(response.body.data).toEqual({
      a: null,
      ab: { listings: { nodes: [expect.any(Object), expect.any(Object)] } },
      b: null,
    });
    const errors = response.body.errors ?? [];
    expect(errors.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        ['a', 'listings'],
        ['b', 'listings'],
      ]),
    );
    expect(errors).toHaveLength(2);
    for (const error of errors)
      expect(error).toMatchObject({ message: INVALID_CURSOR_MESSAGE, extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('a cursor of another caller', () => {
  const LISTINGS =
    'query($after: String) { listings(first: 1, after: $after) { totalCount nodes { title } pageInfo { endCursor } } }';

  it("of another brand's principal is refused (not read as an empty page)", async () => {
    const brandCursor = await endCursor(world.keys.brandA, LISTINGS, 'listings');
    expect(dataOf(await server.gql(world.keys.brandA, LISTINGS, { after: brandCursor })).listings.nodes).toHaveLength(
      1,
    );
    expectCursorRefused(await server.gql(world.keys.brandB, LISTINGS, { after: brandCursor }), ['listings']);
    // Nor by an internal role, an agency, or the other way round.
    for (const key of [world.keys.admin, world.keys.agencyX])
      expectCursorRefused(await server.gql(key, LISTINGS, { after: brandCursor }), ['listings']);
    const adminCursor = await endCursor(world.keys.admin, LISTINGS, 'listings');
    expectCursorRefused(await server.gql(world.keys.brandA, LISTINGS, { after: adminCursor }), ['listings']);
    // Internal roles are bound to their principal: an investigator's cursor is not the analyst's.
    expectCursorRefused(
      await server.gql(world.keys.analyst, LISTINGS, {
        after: await endCursor(world.keys.investigator, LISTINGS, 'listings'),
      }),
      ['listings'],
    );
  });

  it('of the same agency survives a new API key (its tenant, not its key, is bound)', async () => {
    const feed =
      'query($after: String) { referralChanges(first: 1, after: $after) { nodes { seq } pageInfo { endCursor } } }';
    const cursor = await endCursor(world.keys.agencyX, feed, 'referralChanges');
    const ctx = systemContext(db.dataSource, server.config, 'cursor-test');
    const { viewer } = dataOf(await server.gql(world.keys.agencyX, '{ viewer { id } }'));
    const rotated = (await createApiKey(ctx, { name: 'agency X tool, rotated', principalId: viewer.id })).token;
    const secondTool = (
      await createApiKey(ctx, {
        name: 'agency X second tool',
        principal: { name: 'agency X second tool', role: Role.AGENCY_LIAISON, agencyId: world.gid.agencyX },
      })
    ).token;
    const expected = dataOf(await server.gql(world.keys.agencyX, feed, { after: cursor })).referralChanges.nodes;
    expect(expected).toHaveLength(1);
    for (const key of [rotated, secondTool])
      expect(dataOf(await server.gql(key, feed, { after: cursor })).referralChanges.nodes).toEqual(expected);
    expectCursorRefused(await server.gql(world.keys.agencyY, feed, { after: cursor }), ['referralChanges']);
  });
});

describe('an altered cursor', () => {
  it('is refused wherever it was altered, with the message of garbage', async () => {
    const cursor = await endCursor(world.keys.admin, '{ listings(first: 1) { pageInfo { endCursor } } }', 'listings');
    const bytes = Buffer.from(cursor, 'base64url');
    const query = 'query($after: String) { listings(first: 1, after: $after) { totalCount } }';
    for (const i of [0, 1, 2, 20, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[i] ^= 0x20;
      expectCursorRefused(await server.gql(world.keys.admin, query, { after: altered.toString('base64url') }), [
        'listings',
      ]);
    }
    for (const garbage of [
      'garbage!',
      cursor.slice(0, -4),
      Buffer.from('{"k":"CREATED_AT","v":"not a date","id":"1"}').toString('base64url'),
    ]) {
      expectCursorRefused(await server.gql(world.keys.admin, query, { after: garbage }), ['listings']);
    }
  });
});

describe('a refused cursor leaves the rest of the request alone', () => {
  it('answers BAD_USER_INPUT at its field while its siblings answer data (no internal error)', async () => {
    const leadsCursor = await endCursor(world.keys.admin, LEADS, 'leads');
    const query = `query($id: ID!, $bad: String, $unreadable: String) {
      trail: auditTrail(entityId: $id, after: $unreadable) { totalCount }
      sibling: listings(first: 3) { totalCount nodes { title } }
      a: node(id: "${world.gid.sellerA}") { ... on Seller { listings(after: $bad) { totalCount } } }
      b: node(id: "${world.gid.sellerAB}") { ... on Seller { displayName listings(first: 1) { totalCount } } }
    }`;
    const response = await server.gql(world.keys.admin, query, {
      id: caseIds.leadId,
      bad: leadsCursor,
      unreadable: unreadable('SEQ'),
    });
    expect(response.status).toBe(200);
    const errors = response.body.errors ?? [];
    expect(errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining([['trail'], ['a', 'listings']]));
    expect(response.body.data).toMatchObject({
      trail: null,
      sibling: { totalCount: 9, nodes: [expect.any(Object), expect.any(Object), expect.any(Object)] },
      a: null,
      b: { displayName: 'Seller of both', listings: { totalCount: 7 } },
    });
  });

  it("in a mutation's payload: the change is kept, the answer tells it, and the database holds what it tells", async () => {
    const [{ count: before }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM lead`);
    const response = await server.gql(
      world.keys.brandA,
      `mutation($input: ReportLeadInput!, $bad: String) {
      reportLead(input: $input) {
        lead { id reference description status }
        withListings: lead { listings(after: $bad) { totalCount } }
        userErrors { code }
      }
    }`,
      {
        input: {
          description: 'payload with a bad cursor',
          sellerIds: [world.gid.sellerA],
          listingIds: [world.gid.listingA1],
        },
        bad: unreadable('CREATED_AT'),
      },
    );
    expect(response.status).toBe(200);
    expectCursorRefused(response, ['reportLead', 'withListings', 'listings']);
    const payload = response.body.data?.reportLead;
    expect(payload).toMatchObject({
      lead: { reference: expect.any(String), description: 'payload with a bad cursor', status: 'NEW' },
      withListings: null,
      userErrors: [],
    });

    // Read back through the owner connection (no row-level security): exactly the lead the answer names.
    const [{ count: after }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM lead`);
    expect(after).toBe(before + 1);
    const rowId = Buffer.from(payload.lead.id, 'base64url').toString('utf8').split(':')[1];
    const [row] = await db.dataSource.query(`SELECT reference, description, status FROM lead WHERE id = $1`, [rowId]);
    expect(row).toEqual({ reference: payload.lead.reference, description: 'payload with a bad cursor', status: 'NEW' });
    const links = await db.dataSource.query(
      `SELECT (SELECT array_agg(listing_id::text) FROM lead_listing WHERE lead_id = $1) AS listings, (SELECT array_agg(seller_id::text) FROM lead_seller WHERE lead_id = $1) AS sellers, (SELECT array_agg(brand_id::text) FROM lead_brand WHERE lead_id = $1) AS brands`,
      [rowId],
    );
    expect(links[0]).toEqual({
      listings: [world.ids.listingA1],
      sellers: [world.ids.sellerA],
      brands: [world.ids.brandA],
    });
    const events = await db.dataSource.query(
      `SELECT action FROM audit_event WHERE entity_type = 'Lead' AND entity_id = $1`,
      [rowId],
    );
    expect(events).toEqual([{ action: 'lead.reported' }]);
    // And the API tells the same afterwards.
    const { node } = dataOf(
      await server.gql(
        world.keys.brandA,
        'query($id: ID!) { node(id: $id) { ... on Lead { reference listings { totalCount } } } }',
        { id: payload.lead.id },
      ),
    );
    expect(node).toEqual({ reference: payload.lead.reference, listings: { totalCount: 1 } });
  });
});
