import {
  getNamedType,
  GraphQLInputObjectType,
  GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
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

// The bad-input catalogue, part 2: SQL and JSON metacharacters in every filter, fragments, aliases and floods, a key
// revoked mid-session (bad-input-support.ts says what every case asserts; part 1 is bad-input.test.ts).

useBadInputServer();

const METACHARACTERS = [
  "'; DROP TABLE brand; --",
  "' OR '1'='1",
  '" OR ""="',
  "\\'; --",
  '\\',
  '%',
  '_',
  '%_%',
  "'); DELETE FROM lead; --",
  '{"$ne": null}',
  '{"$gt": ""}',
  '$1',
  '${jndi:ldap://x}',
  '*',
  '[',
  ']',
  'null',
  "CN-ZJ' OR region IS NOT NULL --",
  '\u0001',
  '🙂',
];

/** Every leaf of a filter input (including nested ones such as date ranges), with its path. */
function filterLeaves(
  type: GraphQLInputObjectType,
  path: string[] = [],
): { path: string[]; type: GraphQLNamedType; list: boolean }[] {
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
    const filtered = Object.values(schema.getQueryType()!.getFields()).filter((f) =>
      f.args.some((a) => a.name === 'filter'),
    );
    expect(filtered.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining(['analytics', 'brands', 'leads', 'listings', 'referrals', 'sellers']),
    );
  });

  harmless(
    'answers every metacharacter in every filter field with no match or a clear refusal, and changes nothing',
    async () => {
      const roots = Object.values(schema.getQueryType()!.getFields()).filter((f) =>
        f.args.some((a) => a.name === 'filter'),
      );
      let requests = 0;
      for (const root of roots) {
        const filterType = getNamedType(root.args.find((a) => a.name === 'filter')!.type) as GraphQLInputObjectType;
        const returns = getNamedType(root.type);
        const connection = isObjectType(returns) && Boolean(returns.getFields().totalCount);
        const selection = connection
          ? '{ totalCount }'
          : '{ enforcementFunnel { leads referred actioned } outcomeTotals { __typename } }';
        for (const leaf of filterLeaves(filterType)) {
          const responses = await Promise.all(
            METACHARACTERS.map((value) =>
              gql(
                {
                  query: `query($f: ${filterType.name}) { ${root.name}(filter: $f) ${selection} }`,
                  variables: { f: nest(leaf.path, leaf.list ? [value] : value) },
                },
                world.keys.brandA,
              ),
            ),
          );
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
            const value = 'x\'; DROP TABLE brand; -- " \\ %';
            const literal = JSON.stringify(value);
            const text = leaf.path.reduceRight(
              (inner, key) => `{ ${key}: ${inner} }`,
              leaf.list ? `[${literal}]` : literal,
            );
            const response = await gql({ query: `{ ${root.name}(filter: ${text}) ${selection} }` });
            expectHarmless(response, [value]);
            if (connection && !response.body.errors) expect(response.body.data[root.name].totalCount).toBe(0);
          }
        }
      }
      expect(requests).toBeGreaterThan(300);
      // The tables are intact: every brand and listing is still there.
      expect(await db.dataSource.query('SELECT count(*)::int AS n FROM brand')).toEqual([{ n: 2 }]);
    },
  );

  harmless('matches exact values only: region and slug filters with quotes and wildcards', async () => {
    const sellers = await gql(
      {
        query: 'query($r: [String!]) { sellers(filter: { region: $r }) { totalCount } }',
        variables: { r: ["CN-ZJ'", 'CN-%', 'CN-Z_', '"CN-ZJ"'] },
      },
      world.keys.admin,
    );
    expect(sellers.body.data.sellers.totalCount).toBe(0);
    const exact = await gql(
      {
        query: 'query($r: [String!]) { sellers(filter: { region: $r }) { totalCount } }',
        variables: { r: ['CN-ZJ', "CN-ZJ' OR 1=1 --"] },
      },
      world.keys.admin,
    );
    expect(exact.body.data.sellers.totalCount).toBe(1);
    const brands = await gql(
      { query: '{ brands(filter: { slug: ["\'; DROP TABLE brand; --", "%", "alpha\\u0027"] }) { totalCount } }' },
      world.keys.admin,
    );
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
      expectRefusal(await gql({ query }), {
        status: 400,
        codes: ['GRAPHQL_VALIDATION_FAILED'],
        message: /within itself/,
      });
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  harmless('refuses deeply nested selections: depth through fields, fragments and inline fragments', async () => {
    const nested = (levels: number) =>
      '{ sellers { nodes { ' +
      'listings { nodes { seller { '.repeat(levels) +
      'id' +
      ' } } }'.repeat(levels) +
      ' } } }';
    expectRefusal(await gql({ query: nested(3) }), {
      status: 400,
      codes: ['QUERY_LIMIT_EXCEEDED'],
      message: /nested too deeply/,
    });
    let fragments = 'query { sellers { nodes { ...F0 } } } ';
    for (let i = 0; i < 6; i += 1)
      fragments += `fragment F${i} on Seller { listings { nodes { seller { ...F${i + 1} } } } } `;
    fragments += 'fragment F6 on Seller { id }';
    expectRefusal(await gql({ query: fragments }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
    const inline =
      '{ node(id: "x") { ' +
      '... on Seller { listings { nodes { seller { '.repeat(4) +
      'id' +
      ' } } } }'.repeat(4) +
      ' } }';
    expectRefusal(await gql({ query: inline }), { status: 400, codes: ['QUERY_LIMIT_EXCEEDED'] });
  });

  harmless('refuses braces nested thousands of levels deep before the parser recurses', async () => {
    expectRefusal(await gql({ query: '{ viewer '.repeat(5000) + '}'.repeat(5000) }), {
      status: 400,
      codes: ['QUERY_LIMIT_EXCEEDED'],
    });
    expectRefusal(await gql({ query: '{ viewer '.repeat(1200) + '}'.repeat(1200) }), {
      status: 400,
      codes: ['QUERY_LIMIT_EXCEEDED'],
    });
    expectRefusal(
      await gql({ query: 'query($v: Int = ' + '['.repeat(900) + ']'.repeat(900) + ') { viewer { id } }' }),
      { status: 400 },
    );
  });

  harmless('refuses a fragment bomb (each fragment spreading the next twice) quickly', async () => {
    let bomb = 'query { ...F0 } ';
    for (let i = 0; i < 40; i += 1) bomb += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} } `;
    bomb += 'fragment F40 on Query { viewer { id } }';
    const started = Date.now();
    expectRefusal(await gql({ query: bomb }), {
      status: 400,
      codes: ['QUERY_LIMIT_EXCEEDED'],
      message: /too many fields/,
    });
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
    for (const query of [
      `{ viewer { ${'id '.repeat(1900)} } }`,
      `{ ${'viewer { id } '.repeat(450)} }`,
      `{ ${'listings(first: 100) { nodes { id } } '.repeat(200)} }`,
    ]) {
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
    expectRefusal(await gql({ query: spread }), {
      status: 400,
      codes: ['QUERY_LIMIT_EXCEEDED'],
      message: /directives/,
    });
  });
});

describe('a key revoked mid-session', () => {
  it('works until it is revoked, then every request is 401 and writes nothing', async () => {
    const created = dataOf(
      await server.gql(
        world.keys.admin,
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token apiKey { id } userErrors { code } } }`,
        {
          input: {
            name: 'leaky laptop',
            principal: { name: 'Alpha portal 2', role: 'BRAND_PARTNER', brandId: world.gid.brandA },
          },
        },
      ),
    ).createApiKey;
    const token: string = created.token;
    const mutation = {
      query: 'mutation($i: ReportLeadInput!) { reportLead(input: $i) { lead { id } userErrors { code } } }',
      variables: { i: { description: 'reported with a key about to be revoked' } },
    };
    expect((await gql(mutation, token)).body.data.reportLead.lead.id).toEqual(expect.any(String));
    // A slow request in flight while the key is revoked still finishes; the next ones do not pass.
    const inFlight = gql({ query: '{ listings(first: 100) { totalCount nodes { id } } }' }, token);
    const revoked = dataOf(
      await server.gql(
        world.keys.admin,
        'mutation($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { apiKey { revokedAt } userErrors { code } } }',
        { id: created.apiKey.id },
      ),
    );
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
