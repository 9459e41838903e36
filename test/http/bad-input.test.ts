import { isNonNullType } from 'graphql';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { dataOf } from '../support/server';
import {
  db,
  expectHarmless,
  expectRefusal,
  gql,
  harmless,
  schema,
  server,
  useBadInputServer,
  world,
} from './bad-input-support';
import { snapshot } from './support';

// The bad-input catalogue, part 1: HTTP bodies, sizes, control characters, broken documents, ids and cursors
// (bad-input-support.ts says what every case asserts; part 2 is bad-input-queries.test.ts).

useBadInputServer();

describe('malformed HTTP bodies', () => {
  it.each([
    ['truncated JSON', '{"query": '],
    ['a trailing comma', '{"query": "{ viewer { id } }",}'],
    ['single quotes', "{'query': '{ viewer { id } }'}"],
    ['NaN', 'NaN'],
    ['garbage after the object', '{"query": "{ viewer { id } }"} {"query": "mutation { x }"}'],
    ['a raw control character in a string', '{"query": "{ viewer { id } }\u0007"}'],
    [
      'bytes that are not UTF-8 outside strings',
      Buffer.concat([Buffer.from('{"query": "{ viewer { id } }"'), Buffer.from([0xff, 0xfe]), Buffer.from('}')]),
    ],
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
    for (const body of [
      '42',
      '{"query": 42}',
      '{"query": ["{ viewer { id } }"]}',
      '{"query": "{ viewer { id } }", "variables": "x"}',
      '{"query": "{ viewer { id } }", "variables": [1]}',
      '{"query": "{ viewer { id } }", "operationName": 5}',
      '{"query": "{ viewer { id } }", "extensions": "x"}',
    ]) {
      expectRefusal(await gql(body), { status: 400, codes: ['BAD_REQUEST'] });
    }
  });

  harmless('refuses a batch (an array of operations) as a whole', async () => {
    const response = await gql([
      { query: '{ viewer { id } }' },
      { query: 'mutation { reportLead(input: { description: "batched" }) { lead { id } } }' },
    ]);
    expectRefusal(response, { status: 400, codes: ['BAD_REQUEST'], message: /batching/i });
  });

  harmless('survives JSON nested 100,000 levels deep', async () => {
    const deep =
      '{"query": "{ viewer { role } }", "variables": {"x": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}';
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
    const response = await gql(
      '{"query": "mutation { reportLead(input: { description: \\"x\\" }) { lead { id } } }"}',
      world.keys.brandA,
      { 'content-type': contentType },
    );
    expectRefusal(response, { status: 415, codes: ['BAD_REQUEST'], message: /application\/json/ });
    expect(await snapshot(db.dataSource)).toEqual(before);
  });

  harmless('refuses a POST without a content type', async () => {
    const response = await gql(new TextEncoder().encode('{"query": "{ viewer { id } }"}'), world.keys.brandA, {
      'content-type': '',
    });
    expectRefusal(response, { status: 415, codes: ['BAD_REQUEST'] });
  });
});

describe('sizes', () => {
  harmless('refuses a 1 MB string in the variables with 413 before parsing', async () => {
    const response = await gql({
      query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }',
      variables: { s: ['x'.repeat(1_048_576)] },
    });
    expectRefusal(response, { status: 413, codes: ['BAD_REQUEST'], message: /larger than/ });
  });

  harmless('refuses a 1 MB string in a mutation input with 413', async () => {
    const response = await gql({
      query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }',
      variables: { i: { description: 'x'.repeat(1_048_576) } },
    });
    expectRefusal(response, { status: 413 });
  });

  harmless('refuses a 1 MB query text with 413', async () => {
    expectRefusal(await gql({ query: `{ viewer { id } } # ${'x'.repeat(1_048_576)}` }), { status: 413 });
  });

  harmless('refuses a 1 MB body sent in chunks (no content-length) with 413', async () => {
    const chunk = new TextEncoder().encode(
      `{"query": "{ viewer { id } }", "variables": {"s": "${'y'.repeat(64 * 1024)}`,
    );
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
    const response = await gql({
      query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }',
      variables: { s: ['z'.repeat(400_000)] },
    });
    expectHarmless(response);
    expect(response.body.data.brands.totalCount).toBe(0);
  });

  harmless('refuses a 400 kB string in a mutation input through its length validation', async () => {
    const response = await gql({
      query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code } } }',
      variables: { i: { description: 'x'.repeat(400_000) } },
    });
    expectRefusal(response, { codes: ['BAD_USER_INPUT'], message: /description/ });
  });
});

describe('control characters and invalid UTF-8', () => {
  harmless('refuses a NUL character in the variables (PostgreSQL cannot store it) with 400', async () => {
    for (const body of [
      { query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }', variables: { s: ['a\u0000b'] } },
      {
        query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }',
        variables: { i: { description: 'before\u0000after' } },
      },
    ]) {
      expectRefusal(await gql(body), { status: 400, codes: ['BAD_USER_INPUT'], message: /NUL character/ });
    }
  });

  harmless('refuses a NUL character in a string literal of the query with 400', async () => {
    expectRefusal(await gql({ query: '{ brands(filter: { slug: ["a\\u0000b"] }) { totalCount } }' }), {
      status: 400,
      message: /NUL character/,
    });
    expectRefusal(await gql({ query: 'mutation { reportLead(input: { description: "x\\u0000" }) { lead { id } } }' }), {
      status: 400,
      message: /NUL character/,
    });
  });

  harmless('refuses control characters in the query text as a syntax error', async () => {
    for (const query of ['{ viewer { id \u0007 } }', '{ viewer\u0000 { id } }', '{ viewer { id } }\u001b[31m']) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_PARSE_FAILED'], message: /Syntax Error/ });
    }
  });

  harmless('answers other control characters and lone surrogates in filters without error', async () => {
    for (const slug of ['\u0001\u0002\u001f', '\ud800', '\udfff\ud800', '\u202e\u200b', 'e\u0301']) {
      const response = await gql({
        query: 'query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }',
        variables: { s: [slug] },
      });
      expectHarmless(response);
      expect(response.body.data.brands.totalCount).toBe(0);
    }
  });

  harmless('reads invalid UTF-8 bytes inside strings as replacement characters, never as an error', async () => {
    for (const bytes of [
      [0xff, 0xfe],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xe2, 0x82],
    ]) {
      const body = Buffer.concat([
        Buffer.from(
          '{"query": "query($s: [String!]) { brands(filter: { slug: $s }) { totalCount } }", "variables": {"s": ["',
        ),
        Buffer.from(bytes),
        Buffer.from('"]}}'),
      ]);
      const response = await gql(body);
      expectHarmless(response);
      expect(response.body.data.brands.totalCount).toBe(0);
    }
  });

  harmless('refuses invalid UTF-8 bytes in the query text as a syntax error', async () => {
    const body = Buffer.concat([
      Buffer.from('{"query": "{ viewer { id '),
      Buffer.from([0xff, 0xc3]),
      Buffer.from(' } }"}'),
    ]);
    expectRefusal(await gql(body), { status: 400, codes: ['GRAPHQL_PARSE_FAILED'] });
  });
});

describe('broken GraphQL documents', () => {
  harmless('refuses an empty or missing query', async () => {
    for (const body of [{ query: '' }, {}, { variables: {} }, { operationName: 'X' }]) {
      expectRefusal(await gql(body), {
        status: 400,
        codes: ['BAD_REQUEST'],
        message: /non-empty `query`|POST body missing/,
      });
    }
    for (const query of ['   ', '# only a comment', '\n\n']) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_PARSE_FAILED'] });
    }
  });

  harmless('refuses syntax errors with 400 GRAPHQL_PARSE_FAILED and the place of the error', async () => {
    for (const query of [
      '{',
      '{ viewer { id }',
      '{ viewer { id } } }',
      'query',
      'mutation',
      '{ viewer(: 1) { id } }',
      '{ listings(first: ) { totalCount } }',
      'query($: Int) { viewer { id } }',
      '{ "viewer" }',
      'SELECT * FROM brand',
      '<script>alert(1)</script>',
    ]) {
      const response = await gql({ query });
      expectRefusal(response, { status: 400, codes: ['GRAPHQL_PARSE_FAILED'], message: /Syntax Error/ });
      expect(response.body.errors[0].locations?.[0]).toEqual({ line: expect.any(Number), column: expect.any(Number) });
    }
  });

  harmless('refuses an unknown operation name, and several operations without one', async () => {
    const document = 'query A { viewer { id } } mutation B { reportLead(input: { description: "x" }) { lead { id } } }';
    expectRefusal(await gql({ query: document, operationName: 'Nope' }), {
      status: 400,
      codes: ['OPERATION_RESOLUTION_FAILURE'],
      message: /Unknown operation named "Nope"/,
    });
    expectRefusal(await gql({ query: document }), {
      status: 400,
      codes: ['OPERATION_RESOLUTION_FAILURE'],
      message: /operation name/,
    });
    expectRefusal(await gql({ query: '{ viewer { id } }', operationName: 'Other' }), {
      status: 400,
      codes: ['OPERATION_RESOLUTION_FAILURE'],
    });
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
      [
        'query($s: [ListingStatus!]) { listings(filter: { status: $s }) { totalCount } }',
        { s: ['LIVE; DROP TABLE listing'] },
      ],
      ['query($l: ListingFilter) { listings(filter: $l) { totalCount } }', { l: 'status = LIVE' }],
      [
        'query($l: ListingFilter) { listings(filter: $l) { totalCount } }',
        { l: { status: ['LIVE'], injected: "' OR 1=1" } },
      ],
      [
        'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }',
        { i: { description: 42, unknownField: 1 } },
      ],
      ['mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } } }', { i: [] }],
      [
        'query($d: DateTimeISO) { listings(filter: { createdAt: { from: $d } }) { totalCount } }',
        { d: "2026-01-01'; --" },
      ],
    ];
    for (const [query, variables] of cases) {
      const response = await gql({ query, variables });
      expectRefusal(response, { status: 400, codes: ['BAD_USER_INPUT'], message: /^Variable "\$\w+"/ });
    }
  });

  harmless('refuses arguments of the wrong type written in the query with 400', async () => {
    for (const query of [
      '{ listings(first: "ten") { totalCount } }',
      '{ listings(first: 1e9) { totalCount } }',
      '{ listings(first: 2147483648) { totalCount } }',
      '{ listings(filter: { status: [LIVE, "x"] }) { totalCount } }',
      '{ node(id: 5.5) { id } }',
    ]) {
      expectRefusal(await gql({ query }), { status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });
    }
  });
});

describe('ids and cursors', () => {
  const malformedIds = [
    '',
    'not an id',
    "' OR 1=1 --",
    '../../etc/passwd',
    Buffer.from('Listing:1; DROP TABLE listing').toString('base64url'),
    Buffer.from('Listing:-1').toString('base64url'),
    Buffer.from('Listing:99999999999999999999999').toString('base64url'),
    Buffer.from('{"type":"Listing","id":1}').toString('base64'),
    'x'.repeat(300),
  ];

  harmless('refuses malformed ids in node, nodes, filters and mutation inputs with BAD_USER_INPUT', async () => {
    for (const id of malformedIds) {
      for (const [query, variables] of [
        ['query($id: ID!) { node(id: $id) { id } }', { id }],
        ['query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [world.gid.listingA1, id] }],
        ['query($ids: [ID!]) { listings(filter: { sellerIds: $ids }) { totalCount } }', { ids: [id] }],
        [
          'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code } } }',
          { i: { description: 'id probe', sellerIds: [id] } },
        ],
      ] as [string, Record<string, unknown>][]) {
        const response = await gql({ query, variables });
        expectRefusal(response, { codes: ['BAD_USER_INPUT'] });
      }
    }
  });

  harmless('answers null for ids of another tenant, indistinguishable from missing ones', async () => {
    for (const id of [
      world.gid.listingB1,
      world.gid.brandB,
      world.gid.trademarkB,
      toGlobalId('Listing', 999_999),
      toGlobalId('ApiKey', 1),
      toGlobalId('Principal', 1),
    ]) {
      const response = await gql({ query: 'query($id: ID!) { node(id: $id) { id __typename } }', variables: { id } });
      expect(response.status).toBe(200);
      expect(dataOf(response as any).node).toBeNull();
    }
    const nodes = await gql({
      query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: { ids: [world.gid.listingB1, world.gid.listingA1, world.gid.sellerB] },
    });
    expect(nodes.body.data.nodes).toEqual([null, { id: world.gid.listingA1 }, null]);
  });

  harmless("refuses a mutation on another tenant's records as not found, writing nothing", async () => {
    const response = await gql({
      query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code field } } }',
      variables: { i: { description: 'foreign', brandIds: [world.gid.brandB], sellerIds: [world.gid.sellerB] } },
    });
    expect(response.status).toBe(200);
    expect(response.body.data.reportLead.lead).toBeNull();
    expect(response.body.data.reportLead.userErrors.length).toBeGreaterThan(0);
  });

  harmless('refuses tampered cursors on every root connection with BAD_USER_INPUT', async () => {
    const roots = Object.values(schema.getQueryType()!.getFields()).filter(
      (f) =>
        f.args.some((a) => a.name === 'after') && f.args.every((a) => a.name === 'after' || !isNonNullType(a.type)),
    );
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
        const response = await gql({
          query: `query($after: String) { ${root.name}(after: $after) { totalCount } }`,
          variables: { after },
        });
        // Refused by the cursor decoder (src/shared/relay/cursor.ts) before any SQL: cursors are authenticated,
        // so a forged one never reaches PostgreSQL (which used to refuse some as "could not be read").
        expectRefusal(response, { codes: ['BAD_USER_INPUT'], message: /not a valid cursor/ });
      }
    }
  });

  harmless('refuses first: -1, 0 and 1e9 on root and nested connections with BAD_USER_INPUT', async () => {
    for (const first of [-1, 0, 101, 1e9, -(2 ** 31)]) {
      for (const query of [
        'query($f: Int) { listings(first: $f) { totalCount } }',
        'query($f: Int) { sellers(first: 1) { nodes { listings(first: $f) { totalCount } } } }',
      ]) {
        const response = await gql({ query, variables: { f: first } });
        expectRefusal(response, { codes: ['BAD_USER_INPUT'], message: /"first" must be between 1 and 100/ });
      }
    }
  });

  harmless('refuses a huge list of ids in nodes(ids:) quickly, without looking any up', async () => {
    const started = Date.now();
    const ids = Array.from({ length: 20_000 }, (_, i) => toGlobalId('Listing', i + 1));
    expectRefusal(await gql({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } }), {
      codes: ['BAD_USER_INPUT'],
      message: /at most 100 ids/,
    });
    expectRefusal(
      await gql({
        query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
        variables: { ids: Array(100_000).fill(world.gid.listingA1) },
      }),
      { status: 413 },
    );
    const literal = `{ nodes(ids: [${Array(2000).fill(JSON.stringify(world.gid.listingA1)).join(',')}]) { id } }`;
    expectRefusal(await gql({ query: literal }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

// SQL and JSON metacharacters, LIKE wildcards, and a few strings that break naive escaping.
