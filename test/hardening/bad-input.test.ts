import {
  getNamedType, GraphQLInputObjectType, GraphQLInputType, GraphQLNamedType, GraphQLSchema, isEnumType, isInputObjectType, isListType,
  isNonNullType, isObjectType, isScalarType,
} from 'graphql';
import { buildAppSchema } from '../../src/schema';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { dataOf, startTestServer, TestServer } from '../support/server';
import { post, RawResponse, snapshot } from './support';

/**
 * The bad-input catalogue: requests a broken or hostile client sends. Every case asserts a clear error
 * (a known code and a message that says what is wrong, no SQL, stack or internal error), no 5xx for a
 * well-formed HTTP request, nothing written (a digest of every row of every table is the same before and
 * after), and that the server still answers afterwards.
 */

let db: TestDatabase;
let server: TestServer;
let world: World;
let schema: GraphQLSchema;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  server = await startTestServer(db);
  schema = await buildAppSchema();
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const CLIENT_CODES = new Set(['BAD_REQUEST', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE', 'QUERY_LIMIT_EXCEEDED', 'UNAUTHENTICATED', 'FORBIDDEN']);
/** What must never reach a client: SQL, PostgreSQL's words, stack frames, source paths. */
const LEAK = /\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b|syntax error at or near|violates|relation "|column "|permission denied|QueryFailedError|\bat .+\.(ts|js):\d+|node_modules|\/src\//;

interface Expectation {
  /** Expected HTTP status (exact), or a range check by default: < 500. */
  status?: number;
  /** Every error must have one of these codes. */
  codes?: string[];
  /** The (first) error message must match. */
  message?: RegExp;
}

/** The response is a clear refusal: the expected status and codes, a readable message, nothing leaked, no data. */
function expectRefusal(response: RawResponse, expected: Expectation): void {
  expect(response.status).toBeLessThan(500);
  if (expected.status) expect(response.status).toBe(expected.status);
  expect(response.body).toBeDefined();
  const errors: { message: string; extensions?: Record<string, unknown> }[] = response.body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error.message.length).toBeGreaterThan(10);
    if (!CLIENT_CODES.has(String(error.extensions?.code))) throw new Error(`not a client error: ${JSON.stringify(error)}`);
    if (expected.codes) expect(expected.codes).toContain(error.extensions?.code);
    expect(error.extensions?.stacktrace).toBeUndefined();
  }
  if (expected.message) expect(errors[0].message).toMatch(expected.message);
  expect(response.text).not.toMatch(LEAK);
  // A request refused as a whole ran nothing.
  if (response.status >= 400) expect(response.body.data ?? null).toBeNull();
}

/**
 * The response is harmless: no 5xx, no internal error, no leak; errors (if any) are client errors.
 * `echoes` are values the request sent, which an error message may quote back (they are not a leak).
 */
function expectHarmless(response: RawResponse, echoes: string[] = []): void {
  expect(response.status).toBeLessThan(500);
  expect(response.body).toBeDefined();
  for (const error of response.body.errors ?? []) {
    if (!CLIENT_CODES.has(String(error.extensions?.code))) throw new Error(`not a client error: ${JSON.stringify(error)}`);
    let message: string = error.message;
    for (const echo of echoes) message = message.split(JSON.stringify(echo)).join('').split(echo).join('');
    expect(message).not.toMatch(LEAK);
  }
  expect(JSON.stringify(response.body.data ?? null)).not.toMatch(LEAK);
}

/** Runs one case: the database is the same after it, and the server still answers. */
function harmless(name: string, run: () => Promise<void>): void {
  it(name, async () => {
    const before = await snapshot(db.dataSource);
    await run();
    expect(await snapshot(db.dataSource)).toEqual(before);
    const alive = await post(server.url, { token: world.keys.brandA, body: { query: '{ viewer { role } }' } });
    expect(alive.status).toBe(200);
    expect(alive.body.data.viewer.role).toBe('BRAND_PARTNER');
  });
}

const gql = (body: unknown, token: string | null = world.keys.brandA, headers?: Record<string, string>) =>
  post(server.url, { token, body, headers });

describe('malformed HTTP bodies', () => {
  it.each([
    ['truncated JSON', '{"query": '],
    ['a trailing comma', '{"query": "{ viewer { id } }",}'],
    ['single quotes', "{'query': '{ viewer { id } }'}"],
    ['NaN', 'NaN'],
    ['garbage after the object', '{"query": "{ viewer { id } }"} {"query": "mutation { x }"}'],
    ['a raw control character in a string', '{"query": "{ viewer { id } }\u0007"}'],
    ['bytes that are not UTF-8 outside strings', Buffer.concat([Buffer.from('{"query": "{ viewer { id } }"'), Buffer.from([0xff, 0xfe]), Buffer.from('}')])],
    ['a JSON scalar', '"{ viewer { id } }"'],
    ['null', 'null'],
  ])('refuses %s with 400 and says the body is not valid JSON', async (_name, body) => {
    const before = await snapshot(db.dataSource);
    expectRefusal(await gql(body), { status: 400, codes: ['BAD_REQUEST'], message: /not valid JSON/ });
    expect(await snapshot(db.dataSource)).toEqual(before);
  });

  harmless('refuses an empty body', async () => {
    expectRefusal(await gql(''), { status: 400, codes: ['BAD_REQUEST'] });
  });

  harmless('refuses JSON that is not a GraphQL request', async () => {
    for (const body of ['42', '{"query": 42}', '{"query": ["{ viewer { id } }"]}', '{"query": "{ viewer { id } }", "variables": "x"}', '{"query": "{ viewer { id } }", "variables": [1]}', '{"query": "{ viewer { id } }", "operationName": 5}', '{"query": "{ viewer { id } }", "extensions": "x"}']) {
      expectRefusal(await gql(body), { status: 400, codes: ['BAD_REQUEST'] });
    }
  });

  harmless('refuses a batch (an array of operations) as a whole', async () => {
    const response = await gql([{ query: '{ viewer { id } }' }, { query: 'mutation { reportLead(input: { description: "batched" }) { lead { id } } }' }]);
    expectRefusal(response, { status: 400, codes: ['BAD_REQUEST'], message: /batching/i });
  });

  harmless('survives JSON nested 100,000 levels deep', async () => {
    const deep = '{"query": "{ viewer { role } }", "variables": {"x": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}';
    expectHarmless(await gql(deep));
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form-encoded', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['application/graphql', 'application/graphql'],
    ['XML', 'application/xml'],
  ])('refuses a %s body with 415 and says to send JSON', async (_name, contentType) => {
    const before = await snapshot(db.dataSource);
    const response = await gql('{"query": "mutation { reportLead(input: { description: \\"x\\" }) { lead { id } } }"}', world.keys.brandA, { 'content-type': contentType });
    expectRefusal(response, { status: 415, codes: ['BAD_REQUEST'], message: /application\/json/ });
    expect(await snapshot(db.dataSource)).toEqual(before);
  });

  harmless('refuses a POST without a content type', async () => {
    const response = await gql(new TextEncoder().encode('{"query": "{ viewer { id } }"}'), world.keys.brandA, { 'content-type': '' });
    expectRefusal(response, { status: 415, codes: ['BAD_REQUEST'] });
  });
});

describe('sizes', () => {
  harmless('refuses a 1 MB string in the variables with 413 before parsing', async () => {
    const response = await gql({ query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }', variables: { s: ['x'.repeat(1_048_576)] } });
    expectRefusal(response, { status: 413, codes: ['BAD_REQUEST'], message: /larger than/ });
  });

  harmless('refuses a 1 MB string in a mutation input with 413', async () => {
    const response = await gql({ query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }', variables: { i: { description: 'x'.repeat(1_048_576) } } });
    expectRefusal(response, { status: 413 });
  });

  harmless('refuses a 1 MB query text with 413', async () => {
    expectRefusal(await gql({ query: `{ viewer { id } } # ${'x'.repeat(1_048_576)}` }), { status: 413 });
  });

  harmless('refuses a 1 MB body sent in chunks (no content-length) with 413', async () => {
    const chunk = new TextEncoder().encode(`{"query": "{ viewer { id } }", "variables": {"s": "${'y'.repeat(64 * 1024)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 1_100_000) {
          controller.enqueue(new TextEncoder().encode('"}}'));
          controller.close();
          return;
        }
        controller.enqueue(sent === 0 ? chunk : new TextEncoder().encode('y'.repeat(64 * 1024)));
        sent += 64 * 1024;
      },
    });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${world.keys.brandA}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  harmless('answers a 400 kB string in a filter (under the body limit) without error or 5xx', async () => {
    const response = await gql({ query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }', variables: { s: ['z'.repeat(400_000)] } });
    expectHarmless(response);
    expect(response.body.data.brands.totalCount).toBe(0);
  });

  harmless('refuses a 400 kB string in a mutation input through its length validation', async () => {
    const response = await gql({ query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code } } }', variables: { i: { description: 'x'.repeat(400_000) } } });
    expectRefusal(response, { codes: ['BAD_USER_INPUT'], message: /description/ });
  });
});

describe('control characters and invalid UTF-8', () => {
  harmless('refuses a NUL character in the variables (PostgreSQL cannot store it) with 400', async () => {
    for (const body of [
      { query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }', variables: { s: ['a\u0000b'] } },
      { query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }', variables: { i: { description: 'before\u0000after' } } },
    ]) {
      expectRefusal(await gql(body), { status: 400, codes: ['BAD_USER_INPUT'], message: /NUL character/ });
    }
  });

  harmless('refuses a NUL character in a string literal of the query with 400', async () => {
    expectRefusal(await gql({ query: '{ brands(filter: { slug: ["a\\u0000b"] }) { totalCount } }' }), { status: 400, message: /NUL character/ });
    expectRefusal(await gql({ query: 'mutation { reportLead(input: { description: "x\\u0000" }) { lead { id } } }' }), { status: 400, message: /NUL character/ });
  });

  harmless('refuses control characters in the query text as a syntax error', async () => {
    for (const query of ['{ viewer { id \u0007 } }', '{ viewer\u0000 { id } }', '{ viewer { id } }\u001b[31m']) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_PARSE_FAILED'], message: /Syntax Error/ });
    }
  });

  harmless('answers other control characters and lone surrogates in filters without error', async () => {
    for (const slug of ['\u0001\u0002\u001f', '\ud800', '\udfff\ud800', '\u202e\u200b', 'e\u0301']) {
      const response = await gql({ query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }', variables: { s: [slug] } });
      expectHarmless(response);
      expect(response.body.data.brands.totalCount).toBe(0);
    }
  });

  harmless('reads invalid UTF-8 bytes inside strings as replacement characters, never as an error', async () => {
    for (const bytes of [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const body = Buffer.concat([Buffer.from('{"query": "query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }", "variables": {"s": ["'), Buffer.from(bytes), Buffer.from('"]}}')]);
      const response = await gql(body);
      expectHarmless(response);
      expect(response.body.data.brands.totalCount).toBe(0);
    }
  });

  harmless('refuses invalid UTF-8 bytes in the query text as a syntax error', async () => {
    const body = Buffer.concat([Buffer.from('{"query": "{ viewer { id '), Buffer.from([0xff, 0xc3]), Buffer.from(' } }"}')]);
    expectRefusal(await gql(body), { status: 400, codes: ['GRAPHQL_PARSE_FAILED'] });
  });
});

describe('broken GraphQL documents', () => {
  harmless('refuses an empty or missing query', async () => {
    for (const body of [{ query: '' }, {}, { variables: {} }, { operationName: 'X' }]) {
      expectRefusal(await gql(body), { status: 400, codes: ['BAD_REQUEST'], message: /non-empty `query`|POST body missing/ });
    }
    for (const query of ['   ', '# only a comment', '\n\n']) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_PARSE_FAILED'] });
    }
  });

  harmless('refuses syntax errors with 400 GRAPHQL_PARSE_FAILED and the place of the error', async () => {
    for (const query of ['{', '{ viewer { id }', '{ viewer { id } } }', 'query', 'mutation', '{ viewer(: 1) { id } }', '{ listings(first: ) { totalCount } }', 'query($: Int) { viewer { id } }', '{ "viewer" }', 'SELECT * FROM brand', '<script>alert(1)</script>']) {
      const response = await gql({ query });
      expectRefusal(response, { status: 400, codes: ['GRAPHQL_PARSE_FAILED'], message: /Syntax Error/ });
      expect(response.body.errors[0].locations?.[0]).toEqual({ line: expect.any(Number), column: expect.any(Number) });
    }
  });

  harmless('refuses an unknown operation name, and several operations without one', async () => {
    const document = 'query A { viewer { id } } mutation B { reportLead(input: { description: "x" }) { lead { id } } }';
    expectRefusal(await gql({ query: document, operationName: 'Nope' }), { status: 400, codes: ['OPERATION_RESOLUTION_FAILURE'], message: /Unknown operation named "Nope"/ });
    expectRefusal(await gql({ query: document }), { status: 400, codes: ['OPERATION_RESOLUTION_FAILURE'], message: /operation name/ });
    expectRefusal(await gql({ query: '{ viewer { id } }', operationName: 'Other' }), { status: 400, codes: ['OPERATION_RESOLUTION_FAILURE'] });
  });

  harmless('refuses variables of the wrong type with 400 BAD_USER_INPUT naming the variable', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['query($f: Int) { listings(first: $f) { totalCount } }', { f: 'ten' }],
      ['query($f: Int) { listings(first: $f) { totalCount } }', { f: 1.5 }],
      ['query($f: Int) { listings(first: $f) { totalCount } }', { f: true }],
      ['query($f: Int) { listings(first: $f) { totalCount } }', { f: 2 ** 31 }],
      ['query($f: Int) { listings(first: $f) { totalCount } }', { f: { $gt: 1 } }],
      ['query($id: ID!) { node(id: $id) { id } }', { id: null }],
      ['query($id: ID!) { node(id: $id) { id } }', {}],
      ['query($id: ID!) { node(id: $id) { id } }', { id: { id: 1 } }],
      ['query($s: [ListingStatus!]) { listings(filter: { status: $s }) { totalCount } }', { s: ['LIVE; DROP TABLE listing'] }],
      ['query($l: ListingFilter) { listings(filter: $l) { totalCount } }', { l: 'status = LIVE' }],
      ['query($l: ListingFilter) { listings(filter: $l) { totalCount } }', { l: { status: ['LIVE'], injected: "' OR 1=1" } }],
      ['mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }', { i: { description: 42, unknownField: 1 } }],
      ['mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }', { i: [] }],
      ['query($d: DateTimeISO) { listings(filter: { createdAt: { from: $d } }) { totalCount } }', { d: "2026-01-01'; --" }],
    ];
    for (const [query, variables] of cases) {
      const response = await gql({ query, variables });
      expectRefusal(response, { status: 400, codes: ['BAD_USER_INPUT'], message: /^Variable "\$\w+"/ });
    }
  });

  harmless('refuses arguments of the wrong type written in the query with 400', async () => {
    for (const query of ['{ listings(first: "ten") { totalCount } }', '{ listings(first: 1e9) { totalCount } }', '{ listings(first: 2147483648) { totalCount } }', '{ listings(filter: { status: [LIVE, "x"] }) { totalCount } }', '{ node(id: 5.5) { id } }']) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });
    }
  });
});

describe('ids and cursors', () => {
  const malformedIds = ['', 'not an id', "' OR 1=1 --", '../../etc/passwd', Buffer.from('Listing:1; DROP TABLE listing').toString('base64url'), Buffer.from('Listing:-1').toString('base64url'), Buffer.from('Listing:99999999999999999999999').toString('base64url'), Buffer.from('{"type":"Listing","id":1}').toString('base64'), 'x'.repeat(300)];

  harmless('refuses malformed ids in node, nodes, filters and mutation inputs with BAD_USER_INPUT', async () => {
    for (const id of malformedIds) {
      for (const [query, variables] of [
        ['query($id: ID!) { node(id: $id) { id } }', { id }],
        ['query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [world.gid.listingA1, id] }],
        ['query($ids: [ID!]) { listings(filter: { sellerIds: $ids }) { totalCount } }', { ids: [id] }],
        ['mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code } } }', { i: { description: 'id probe', sellerIds: [id] } }],
      ] as [string, Record<string, unknown>][]) {
        const response = await gql({ query, variables });
        expectRefusal(response, { codes: ['BAD_USER_INPUT'] });
      }
    }
  });

  harmless('answers null for ids of another tenant, indistinguishable from missing ones', async () => {
    for (const id of [world.gid.listingB1, world.gid.brandB, world.gid.trademarkB, toGlobalId('Listing', 999_999), toGlobalId('ApiKey', 1), toGlobalId('Principal', 1)]) {
      const response = await gql({ query: 'query($id: ID!) { node(id: $id) { id __typename } }', variables: { id } });
      expect(response.status).toBe(200);
      expect(dataOf(response as any).node).toBeNull();
    }
    const nodes = await gql({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: [world.gid.listingB1, world.gid.listingA1, world.gid.sellerB] } });
    expect(nodes.body.data.nodes).toEqual([null, { id: world.gid.listingA1 }, null]);
  });

  harmless('refuses a mutation on another tenant\'s records as not found, writing nothing', async () => {
    const response = await gql({ query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code field } } }', variables: { i: { description: 'foreign', brandIds: [world.gid.brandB], sellerIds: [world.gid.sellerB] } } });
    expect(response.status).toBe(200);
    expect(response.body.data.reportLead.lead).toBeNull();
    expect(response.body.data.reportLead.userErrors.length).toBeGreaterThan(0);
  });

  harmless('refuses tampered cursors on every root connection with BAD_USER_INPUT', async () => {
    const roots = Object.values(schema.getQueryType()!.getFields()).filter((f) => f.args.some((a) => a.name === 'after') && f.args.every((a) => a.name === 'after' || !isNonNullType(a.type)));
    expect(roots.length).toBeGreaterThan(5);
    const forged = [
      'garbage!',
      Buffer.from('{"k":"CREATED_AT","v":"2026-01-01\' OR \'1\'=\'1","id":"1"}').toString('base64url'),
      Buffer.from('{"k":"CREATED_AT","v":{"$gt":""},"id":{"$ne":null}}').toString('base64url'),
      Buffer.from('{"__proto__":{"admin":true}}').toString('base64url'),
      Buffer.from('[1,2,3]').toString('base64url'),
      'x'.repeat(2000),
    ];
    for (const root of roots) {
      for (const after of forged) {
        const response = await gql({ query: `query($after: String) { ${root.name}(after: $after) { totalCount } }`, variables: { after } });
        // Refused by the cursor decoder (src/shared/relay/cursor.ts) before any SQL: cursors are authenticated,
        // so a forged one never reaches PostgreSQL (which used to refuse some as "could not be read").
        expectRefusal(response, { codes: ['BAD_USER_INPUT'], message: /not a valid cursor/ });
      }
    }
  });

  harmless('refuses first: -1, 0 and 1e9 on root and nested connections with BAD_USER_INPUT', async () => {
    for (const first of [-1, 0, 101, 1e9, -(2 ** 31)]) {
      for (const query of ['query($f: Int) { listings(first: $f) { totalCount } }', 'query($f: Int) { sellers(first: 1) { nodes { listings(first: $f) { totalCount } } } }']) {
        const response = await gql({ query, variables: { f: first } });
        expectRefusal(response, { codes: ['BAD_USER_INPUT'], message: /"first" must be between 1 and 100/ });
      }
    }
  });

  harmless('refuses a huge list of ids in nodes(ids:) quickly, without looking any up', async () => {
    const started = Date.now();
    const ids = Array.from({ length: 20_000 }, (_, i) => toGlobalId('Listing', i + 1));
    expectRefusal(await gql({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } }), { codes: ['BAD_USER_INPUT'], message: /at most 100 ids/ });
    expectRefusal(await gql({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: Array(100_000).fill(world.gid.listingA1) } }), { status: 413 });
    const literal = `{ nodes(ids: [${Array(2000).fill(JSON.stringify(world.gid.listingA1)).join(',')}]) { id } }`;
    expectRefusal(await gql({ query: literal }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

// SQL and JSON metacharacters, LIKE wildcards, and a few strings that break naive escaping.
const METACHARACTERS = [
  "'; DROP TABLE brand; --", "' OR '1'='1", '" OR ""="', "\\'; --", '\\', '%', '_', '%_%', "'); DELETE FROM lead; --",
  '{"$ne": null}', '{"$gt": ""}', '$1', '${jndi:ldap://x}', '*', '[', ']', 'null', "CN-ZJ' OR region IS NOT NULL --", '\u0001', '🙂',
];

/** Every leaf of a filter input (including nested ones such as date ranges), with its path. */
function filterLeaves(type: GraphQLInputObjectType, path: string[] = []): { path: string[]; type: GraphQLNamedType; list: boolean }[] {
  return Object.values(type.getFields()).flatMap((field) => {
    const named = getNamedType(field.type);
    const inner = isNonNullType(field.type) ? field.type.ofType : field.type;
    if (isInputObjectType(named)) return filterLeaves(named, [...path, field.name]);
    return [{ path: [...path, field.name], type: named, list: isListType(inner) }];
  });
}

function nest(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

describe('SQL and JSON metacharacters in every filter', () => {
  it('covers every filter of every root field, found in the schema', () => {
    const filtered = Object.values(schema.getQueryType()!.getFields()).filter((f) => f.args.some((a) => a.name === 'filter'));
    expect(filtered.map((f) => f.name).sort()).toEqual(expect.arrayContaining(['analytics', 'brands', 'leads', 'listings', 'referrals', 'sellers']));
  });

  harmless('answers every metacharacter in every filter field with no match or a clear refusal, and changes nothing', async () => {
    const roots = Object.values(schema.getQueryType()!.getFields()).filter((f) => f.args.some((a) => a.name === 'filter'));
    let requests = 0;
    for (const root of roots) {
      const filterType = getNamedType(root.args.find((a) => a.name === 'filter')!.type) as GraphQLInputObjectType;
      const returns = getNamedType(root.type);
      const connection = isObjectType(returns) && Boolean(returns.getFields().totalCount);
      const selection = connection ? '{ totalCount }' : '{ enforcementFunnel { leads referred actioned } outcomeTotals { __typename } }';
      for (const leaf of filterLeaves(filterType)) {
        const responses = await Promise.all(METACHARACTERS.map((value) =>
          gql({ query: `query($f: ${filterType.name}) { ${root.name}(filter: $f) ${selection} }`, variables: { f: nest(leaf.path, leaf.list ? [value] : value) } }, world.keys.brandA)));
        for (const [i, response] of responses.entries()) {
          const value = METACHARACTERS[i];
          requests += 1;
          expectHarmless(response, [value]);
          const codes = (response.body.errors ?? []).map((e: any) => e.extensions.code);
          // A string field finds nothing (no LIKE wildcard, no injection); anything else refuses the value.
          if (!codes.length && connection) expect(response.body.data[root.name].totalCount).toBe(0);
          if (isEnumType(leaf.type) || (isScalarType(leaf.type) && !['String'].includes(leaf.type.name))) {
            expect(codes.length).toBeGreaterThan(0);
            expect(codes.every((c: string) => c === 'BAD_USER_INPUT')).toBe(true);
          }
        }
        // The same in the query text, as a literal (escaped as GraphQL strings are).
        if (isScalarType(leaf.type) && leaf.type.name === 'String') {
          const value = "x'; DROP TABLE brand; -- \" \\ %";
          const literal = JSON.stringify(value);
          const text = leaf.path.reduceRight((inner, key) => `{ ${key}: ${inner} }`, leaf.list ? `[${literal}]` : literal);
          const response = await gql({ query: `{ ${root.name}(filter: ${text}) ${selection} }` });
          expectHarmless(response, [value]);
          if (connection && !response.body.errors) expect(response.body.data[root.name].totalCount).toBe(0);
        }
      }
    }
    expect(requests).toBeGreaterThan(300);
    // The tables are intact: every brand and listing is still there.
    expect(await db.dataSource.query('SELECT count(*)::int AS n FROM brand')).toEqual([{ n: 2 }]);
  });

  harmless('matches exact values only: region and slug filters with quotes and wildcards', async () => {
    const sellers = await gql({ query: 'query($r: [String!]) { sellers(filter: { region: $r }) { totalCount } }', variables: { r: ["CN-ZJ'", 'CN-%', 'CN-Z_', '"CN-ZJ"'] } }, world.keys.admin);
    expect(sellers.body.data.sellers.totalCount).toBe(0);
    const exact = await gql({ query: 'query($r: [String!]) { sellers(filter: { region: $r }) { totalCount } }', variables: { r: ['CN-ZJ', "CN-ZJ' OR 1=1 --"] } }, world.keys.admin);
    expect(exact.body.data.sellers.totalCount).toBe(1);
    const brands = await gql({ query: '{ brands(filter: { slug: ["\'; DROP TABLE brand; --", "%", "alpha\\u0027"] }) { totalCount } }' }, world.keys.admin);
    expect(brands.body.data.brands.totalCount).toBe(0);
  });
});

describe('fragments, aliases and floods', () => {
  harmless('refuses circular fragments with 400, at once', async () => {
    for (const query of [
      'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
      'query { ...A } fragment A on Query { viewer { id } ...A }',
      'query { viewer { ...P } } fragment P on Principal { brand { ...B } } fragment B on Brand { listings { nodes { brand { ...B } } } }',
    ]) {
      const started = Date.now();
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'], message: /within itself/ });
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  harmless('refuses deeply nested selections: depth through fields, fragments and inline fragments', async () => {
    const nested = (levels: number) => '{ sellers { nodes { ' + 'listings { nodes { seller { '.repeat(levels) + 'id' + ' } } }'.repeat(levels) + ' } } }';
    expectRefusal(await gql({ query: nested(3) }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'], message: /nested too deeply/ });
    let fragments = 'query { sellers { nodes { ...F0 } } } ';
    for (let i = 0; i < 6; i += 1) fragments += `fragment F${i} on Seller { listings { nodes { seller { ...F${i + 1} } } } } `;
    fragments += 'fragment F6 on Seller { id }';
    expectRefusal(await gql({ query: fragments }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
    const inline = '{ node(id: "x") { ' + '... on Seller { listings { nodes { seller { '.repeat(4) + 'id' + ' } } } }'.repeat(4) + ' } }';
    expectRefusal(await gql({ query: inline }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
  });

  harmless('refuses braces nested thousands of levels deep before the parser recurses', async () => {
    expectRefusal(await gql({ query: '{ viewer '.repeat(5000) + '}'.repeat(5000) }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
    expectRefusal(await gql({ query: '{ viewer '.repeat(1200) + '}'.repeat(1200) }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
    expectRefusal(await gql({ query: 'query($v: Int = ' + '['.repeat(900) + ']'.repeat(900) + ') { viewer { id } }' }), { status: 400 });
  });

  harmless('refuses a fragment bomb (each fragment spreading the next twice) quickly', async () => {
    let bomb = 'query { ...F0 } ';
    for (let i = 0; i < 40; i += 1) bomb += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} } `;
    bomb += 'fragment F40 on Query { viewer { id } }';
    const started = Date.now();
    expectRefusal(await gql({ query: bomb }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'], message: /too many fields/ });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  harmless('refuses alias floods, __typename aliases included', async () => {
    for (const query of [
      `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`,
      `{ viewer { ${Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ')} } }`,
      `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: listings(first: 100) { totalCount }`).join(' ')} }`,
      `mutation { ${Array.from({ length: 20 }, (_, i) => `m${i}: reportLead(input: { description: "flood ${i}" }) { lead { id } }`).join(' ')} }`,
    ]) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'], message: /aliases/ });
    }
  });

  harmless('refuses field-duplication floods without aliases quickly', async () => {
    for (const query of [`{ viewer { ${'id '.repeat(1900)} } }`, `{ ${'viewer { id } '.repeat(450)} }`, `{ ${'listings(first: 100) { nodes { id } } '.repeat(200)} }`]) {
      const started = Date.now();
      expectRefusal(await gql({ query }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  harmless('refuses directive floods', async () => {
    const query = `{ viewer { id ${Array(11).fill('@include(if: true)').join(' ')} } }`;
    const response = await gql({ query });
    expectRefusal(response, { status: 400, codes: ['QUERY_LIMIT_EXCEEDED', 'GRAPHQL_VALIDATION_FAILED'] });
    const spread = `{ viewer { ${Array.from({ length: 11 }, () => '... @skip(if: false) { id }').join(' ')} } }`;
    expectRefusal(await gql({ query: spread }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'], message: /directives/ });
  });
});

describe('a key revoked mid-session', () => {
  it('works until it is revoked, then every request is 401 and writes nothing', async () => {
    const created = dataOf(await server.gql(world.keys.admin, `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token apiKey { id } userErrors { code } } }`, {
      input: { name: 'leaky laptop', principal: { name: 'Alpha portal 2', role: 'BRAND_PARTNER', brandId: world.gid.brandA } },
    })).createApiKey;
    const token: string = created.token;
    const mutation = { query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code } } }', variables: { i: { description: 'reported with a key about to be revoked' } } };
    expect((await gql(mutation, token)).body.data.reportLead.lead.id).toEqual(expect.any(String));
    // A slow request in flight while the key is revoked still finishes; the next ones do not pass.
    const inFlight = gql({ query: '{ listings(first: 100) { totalCount nodes { id } } }' }, token);
    const revoked = dataOf(await server.gql(world.keys.admin, 'mutation($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { apiKey { revokedAt } userErrors { code } } }', { id: created.apiKey.id }));
    expect(revoked.revokeApiKey.apiKey.revokedAt).toEqual(expect.any(String));
    expectHarmless(await inFlight);

    const before = await snapshot(db.dataSource);
    for (const body of [mutation, { query: '{ viewer { id } }' }, { query: '{ listings { totalCount } }' }]) {
      expectRefusal(await gql(body, token), { status: 401, codes: ['UNAUTHENTICATED'], message: /unknown or revoked/ });
    }
    expect(await snapshot(db.dataSource)).toEqual(before);
    expect((await gql({ query: '{ viewer { role } }' })).body.data.viewer.role).toBe('BRAND_PARTNER');
  });
});
