import { toGlobalId } from '../../src/shared/relay/global-id';
import { World } from '../support/fixtures';
import { startTestServer } from '../support/server';
import { LoggedServer, post, startLoggedServer } from './support';
import { useTestServer } from '../support/harness';

/**
 * Query limits: the canonical client queries (README, examples/, the statement-count test) pass the
 * default limits; each limit refuses with QUERY_LIMIT_EXCEEDED and the name of the limit, never its value;
 * field suggestions only for internal roles; introspection as configured; no batches.
 */

const { db, world } = useTestServer({
  server: false,
  beforeClose: async () => {
    await server?.close();
  },
});
let server: LoggedServer;

beforeAll(async () => {
  server = await startLoggedServer(db);
});

const gql = (token: string, query: string, variables?: Record<string, unknown>, url = server.url) =>
  post(url, { token, body: { query, variables } });

describe('the canonical client queries pass the default limits', () => {
  const referralId = () => toGlobalId('Referral', 1);
  const CANONICAL: [string, keyof World['keys'], string, (() => Record<string, unknown>)?][] = [
    ['README: viewer', 'brandA', '{ viewer { name role brand { name } } }'],
    [
      'README: brand portal listings',
      'brandA',
      '{ listings(first: 20, filter: { status: [LIVE] }) { totalCount pageInfo { hasNextPage endCursor } nodes { id title price { amount currency } seller { displayName region status } } } }',
    ],
    [
      'README: agency tool',
      'agencyX',
      '{ viewer { name agency { code name jurisdiction } } agencies(first: 50) { nodes { code kind } } }',
    ],
    [
      'README: analyst sellers',
      'analyst',
      '{ sellers(first: 10, filter: { region: ["CN-ZJ", "CN-GD"] }, orderBy: { field: STRIKE_COUNT, direction: DESC }) { totalCount nodes { displayName region strikeCount identifiers { kind valueHash } listings(first: 3) { totalCount } } } }',
    ],
    [
      'README: agency sync feed',
      'agencyX',
      '{ referralChanges(first: 100) { pageInfo { endCursor hasNextPage } nodes { seq at kind status referral { reference status } outcome { kind arrests } } } }',
    ],
    [
      'examples/brand-portal.mjs',
      'brandA',
      `query($after: String) { leads(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      nodes { reference status closeReason createdAt sellers { displayName region status }
        investigation { status referrals { reference status agency { name } outcomes { kind arrests densDestroyed convictions seizedValue { amount currency } } } } } } }`,
    ],
    [
      'examples/agency-sync.mjs: feed',
      'agencyX',
      `query($after: String) { referralChanges(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { seq at kind status referral { id reference status } } } }`,
    ],
    [
      'examples/agency-sync.mjs: referral',
      'agencyX',
      `query($id: ID!) { node(id: $id) { ... on Referral { reference summary
      disclosedEvidence { kind sha256 storageKey custodian custodyTransfers { toCustodian purpose transferredAt } }
      investigation { findings { kind region address } leads(first: 10) { nodes { reference sellers { displayName region } } } } } } }`,
      () => ({ id: referralId() }),
    ],
    ['examples/investigator-flow.mjs: agencies', 'investigator', '{ agencies(first: 100) { nodes { id code } } }'],
    [
      'statement-count: brand case list of 50',
      'brandA',
      `query($first: Int) { leads(first: $first) { edges { node { reference status
      sellers { displayName region } investigation { status referrals { status agency { name } outcomes { kind arrests } } } } } } }`,
      () => ({ first: 50 }),
    ],
    [
      'statement-count: agency sync page of 12',
      'agencyX',
      `query($first: Int) { referrals(first: $first) { nodes { reference status disclosedEvidence { sha256 custodyTransfers { toCustodian } }
      investigation { leads(first: 10) { nodes { reference sellers { displayName } listings(first: 5) { nodes { title } } } } } } } }`,
      () => ({ first: 12 }),
    ],
  ];

  it.each(CANONICAL.map(([name, key, query, variables]) => ({ name, key, query, variables })))(
    '$name',
    async ({ key, query, variables }) => {
      const response = await gql(world.keys[key], query, variables?.());
      expect(response.body.errors).toBeUndefined();
      expect(response.status).toBe(200);
      const cost = response.body.extensions.cost;
      expect(cost.requestedQueryCost).toBeLessThanOrEqual(150_000);
      expect(cost.actualQueryCost).toBe(cost.requestedQueryCost);
    },
  );
});

describe('each limit refuses with QUERY_LIMIT_EXCEEDED, naming the limit but not its value', () => {
  const nested = (levels: number) =>
    '{ sellers { nodes { ' + 'listings { nodes { seller { '.repeat(levels) + 'id' + ' } } }'.repeat(levels) + ' } } }';
  const CASES: [string, string, string][] = [
    ['depth', nested(3), 'nested too deeply'],
    ['aliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`, 'too many aliases'],
    [
      'aliases',
      `{ viewer { ${Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ')} } }`,
      'too many aliases',
    ],
    [
      'directives',
      `{ viewer { id ${Array.from({ length: 11 }, (_, i) => `@skip(if: ${i % 2 === 0 ? 'false' : 'false'})`)
        .slice(0, 1)
        .join(' ')} ${Array.from({ length: 10 }, () => '... @include(if: true) { id }').join(' ')} } }`,
      'too many directives',
    ],
    ['tokens', `{ viewer { ${'id '.repeat(2100)} } }`, 'document is too large'],
    ['characters', `{ viewer { id } } # ${'x'.repeat(10_000)}`, 'text is too long'],
    // 15 aliases (the alias limit) of 10,200 objects each: 153,000, over the 150,000 an answer may hold.
    [
      'cost',
      `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: listings(first: 100) { nodes { seller { listings(first: 100) { nodes { id } } } } }`).join(' ')} }`,
      'would cost too much',
    ],
  ];

  it.each(CASES)('%s', async (limit, query, message) => {
    for (const key of ['brandA', 'agencyX', 'admin'] as const) {
      const response = await gql(world.keys[key], query);
      expect(response.status).toBe(400);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors).toHaveLength(1);
      const [error] = response.body.errors;
      expect(error.extensions).toEqual({ code: 'QUERY_LIMIT_EXCEEDED', limit, requestId: expect.any(String) });
      expect(error.message).toContain(message);
      // No number at all: neither the limit nor what was counted.
      expect(error.message).not.toMatch(/\d/);
      // The log has the detail, under the request id.
      const line = server.logs.find(
        (l) => l.msg === 'query refused by a limit' && l.requestId === error.extensions.requestId,
      );
      expect(line).toMatchObject({ limit, detail: expect.stringMatching(/\d/) });
    }
  });

  it('accepts a document right at each limit', async () => {
    const atLimits = [
      '{ sellers(first: 5) { nodes { listings(first: 5) { nodes { seller { listings(first: 5) { nodes { id } } } } } } } }',
      `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`,
      `{ viewer { ${Array.from({ length: 10 }, () => '... @include(if: true) { id }').join(' ')} } }`,
    ];
    for (const query of atLimits) {
      const response = await gql(world.keys.brandA, query);
      expect(response.body.errors).toBeUndefined();
    }
  });

  it('counts the cost of a connection as `first` times its items', async () => {
    const cost = async (query: string) => (await gql(world.keys.admin, query)).body.extensions.cost.requestedQueryCost;
    expect(await cost('{ viewer { id } }')).toBe(1);
    expect(await cost('{ listings(first: 10) { totalCount pageInfo { hasNextPage } nodes { id } } }')).toBe(2 + 10 * 1);
    expect(await cost('{ listings(first: 10) { edges { cursor node { id seller { id } } } } }')).toBe(2 + 10 * 2);
    expect(await cost('{ listings { nodes { id } } }')).toBe(2 + 20);
    expect(await cost('{ sellers(first: 5) { nodes { listings(first: 4) { nodes { id } } } } }')).toBe(
      2 + 5 * (1 + 2 + 4),
    );
    expect(
      await cost(`{ nodes(ids: ${JSON.stringify([world.gid.brandA, world.gid.brandB, world.gid.sellerA])}) { id } }`),
    ).toBe(3);
    expect(await cost('{ listings(first: 1) { nodes { id } } }')).toBeLessThan(
      await cost('{ listings(first: 100) { nodes { id } } }'),
    );
  });

  it('applies configured limits', async () => {
    const strict = await startTestServer(db, {
      GRAPHQL_MAX_DEPTH: '3',
      GRAPHQL_MAX_ALIASES: '1',
      GRAPHQL_MAX_COST: '50',
      RATE_LIMIT_MAXIMUM_AVAILABLE: '1000',
    });
    try {
      const refused = async (query: string) =>
        (await gql(world.keys.brandA, query, undefined, strict.url)).body.errors?.[0]?.extensions?.limit;
      expect(await refused('{ listings { nodes { seller { id } } } }')).toBe('depth');
      expect(await refused('{ a: viewer { id } b: viewer { id } }')).toBe('aliases');
      expect(await refused('{ listings(first: 49) { nodes { id } } }')).toBe('cost');
      expect(await refused('{ listings(first: 48) { nodes { id } } }')).toBeUndefined();
    } finally {
      await strict.close();
    }
  });
});

describe('what the schema tells callers', () => {
  it('gives "Did you mean" suggestions to internal roles only', async () => {
    for (const key of ['brandA', 'agencyX'] as const) {
      const field = await gql(world.keys[key], '{ viewer { nam } }');
      expect(field.body.errors[0].message).toBe('Cannot query field "nam" on type "Principal".');
      const value = await gql(
        world.keys[key],
        'query($s: [ListingStatus!]) { listings(filter: { status: $s }) { totalCount } }',
        { s: ['LIV'] },
      );
      expect(value.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(value.body.errors[0].message).not.toMatch(/Did you mean/);
    }
    for (const key of ['admin', 'investigator', 'analyst'] as const) {
      const field = await gql(world.keys[key], '{ viewer { nam } }');
      expect(field.body.errors[0].message).toBe('Cannot query field "nam" on type "Principal". Did you mean "name"?');
    }
  });

  it('answers introspection only when GRAPHQL_INTROSPECTION is on', async () => {
    const introspect = '{ __schema { queryType { name } } __type(name: "Lead") { name } }';
    const on = await gql(world.keys.brandA, introspect);
    expect(on.body.data.__schema.queryType.name).toBe('Query');
    const closed = await startTestServer(db, { GRAPHQL_INTROSPECTION: 'false' });
    try {
      const off = await gql(world.keys.brandA, introspect, undefined, closed.url);
      expect(off.status).toBe(400);
      expect(off.body.errors[0].message).toMatch(/introspection is not allowed/i);
      expect(off.body.data).toBeUndefined();
      expect(
        (await gql(world.keys.brandA, '{ viewer { __typename } }', undefined, closed.url)).body.data.viewer.__typename,
      ).toBe('Principal');
    } finally {
      await closed.close();
    }
  });

  it('refuses batched requests as a whole', async () => {
    const response = await post(server.url, {
      token: world.keys.admin,
      body: [{ query: '{ viewer { id } }' }, { query: '{ viewer { id } }' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a body over the limit with 413 before parsing it, and says so', async () => {
    const response = await post(server.url, {
      token: world.keys.brandA,
      body: `{"query": "{ viewer { id } }", "variables": {"x": "${'x'.repeat(1_000_001)}"}}`,
    });
    expect(response.status).toBe(413);
    expect(response.body.errors[0]).toMatchObject({
      message: 'The request body is larger than 1000000 bytes.',
      extensions: { code: 'BAD_REQUEST' },
    });
  });
});
