import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { world, server } = useTestServer();

describe('authentication', () => {
  it('answers 401 UNAUTHENTICATED without a key', async () => {
    const response = await server.gql(null, '{ viewer { id } }');
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.body.data).toBeUndefined();
  });

  it('answers 401 UNAUTHENTICATED with an unknown key', async () => {
    const response = await server.gql('eca_not-a-real-key', '{ viewer { id } }');
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('tells each caller who it is', async () => {
    const brand = dataOf(
      await server.gql(world.keys.brandA, '{ viewer { id name role brand { name } agency { name } } }'),
    );
    expect(brand.viewer).toMatchObject({ role: 'BRAND_PARTNER', brand: { name: 'Alpha' }, agency: null });
    const agency = dataOf(await server.gql(world.keys.agencyX, '{ viewer { role agency { code } } }'));
    expect(agency.viewer).toEqual({ role: 'AGENCY_LIAISON', agency: { code: 'AG-X' } });
  });
});

describe('HTTP contract', () => {
  it('returns a request id header, echoing a well-formed incoming one', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${world.keys.admin}`,
        'x-request-id': 'client-abc-1',
      },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('client-abc-1');
  });

  it('refuses malformed JSON with 400 and a clear message', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${world.keys.admin}` },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    const body: any = await response.json();
    expect(body.errors[0].message).toMatch(/not valid JSON/);
  });

  it('refuses a GraphQL syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    const response = await server.gql(world.keys.admin, '{ viewer { id }');
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await server.gql(world.keys.admin, '{ viewer { password } }');
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('keeps CSRF prevention on: a simple GET without a preflight header is refused', async () => {
    const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ viewer { id } }')}`, {
      headers: { authorization: `Bearer ${world.keys.admin}`, accept: 'application/json' },
    });
    expect(response.status).toBe(400);
  });

  it('serves health and readiness', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('serves the IDE to browsers from its own assets, with no CDN', async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/graphql/ide/graphiql.js');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css', 'start.js']) {
      expect((await fetch(`${server.url}/graphql/ide/${asset}`)).status).toBe(200);
    }
  });
});
