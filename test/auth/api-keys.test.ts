import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { token apiKey { id name tokenPrefix revokedAt } principal { id name role brand { name } } userErrors { field message code } }
}`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { apiKey { id revokedAt } userErrors { field message code } } }`;

describe('API keys', () => {
  it('lets an admin create a brand partner key that works at once and stores only a hash', async () => {
    const { createApiKey } = dataOf(
      await server.gql(world.keys.admin, CREATE, {
        input: {
          name: 'portal',
          principal: { name: 'Beta portal 2', role: 'BRAND_PARTNER', brandId: world.gid.brandB },
        },
      }),
    );
    expect(createApiKey.userErrors).toEqual([]);
    expect(createApiKey.token).toMatch(/^eca_[A-Za-z0-9_-]{43}$/);
    expect(createApiKey.principal).toMatchObject({ role: 'BRAND_PARTNER', brand: { name: 'Beta' } });
    const viewer = dataOf(await server.gql(createApiKey.token, '{ viewer { name } }')).viewer;
    expect(viewer.name).toBe('Beta portal 2');
    const stored = await db.dataSource.query(
      'SELECT token_hash FROM api_key WHERE token_hash = $1 OR token_hash = $2',
      [createApiKey.token, createApiKey.token.slice(4)],
    );
    expect(stored).toEqual([]);
  });

  it('refuses a brand partner without a brand, and a brand for other roles, changing nothing', async () => {
    const before = await db.dataSource.query('SELECT count(*)::int AS n FROM principal');
    const noBrand = dataOf(
      await server.gql(world.keys.admin, CREATE, {
        input: { name: 'x', principal: { name: 'x', role: 'BRAND_PARTNER' } },
      }),
    );
    expect(noBrand.createApiKey.userErrors).toEqual([
      { code: 'INVALID', field: ['input', 'principal', 'brandId'], message: 'A BRAND_PARTNER needs a brandId.' },
    ]);
    expect(noBrand.createApiKey.token).toBeNull();
    const extraBrand = dataOf(
      await server.gql(world.keys.admin, CREATE, {
        input: { name: 'x', principal: { name: 'x', role: 'ANALYST', brandId: world.gid.brandA } },
      }),
    );
    expect(extraBrand.createApiKey.userErrors[0].code).toBe('INVALID');
    const both = dataOf(await server.gql(world.keys.admin, CREATE, { input: { name: 'x' } }));
    expect(both.createApiKey.userErrors[0].message).toMatch(/exactly one of principalId/);
    expect(await db.dataSource.query('SELECT count(*)::int AS n FROM principal')).toEqual(before);
  });

  it.each(['investigator', 'analyst', 'brandA', 'agencyX'] as const)('answers FORBIDDEN to a %s', async (who) => {
    const response = await server.gql(world.keys[who], CREATE, {
      input: { name: 'x', principal: { name: 'x', role: 'ADMIN' } },
    });
    expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(response.body.data).toEqual({ createApiKey: null });
  });

  it('revokes a key mid-session: the next request is UNAUTHENTICATED', async () => {
    const { createApiKey } = dataOf(
      await server.gql(world.keys.admin, CREATE, {
        input: { name: 'temp', principal: { name: 'Temp analyst', role: 'ANALYST' } },
      }),
    );
    expect(dataOf(await server.gql(createApiKey.token, '{ viewer { name } }')).viewer.name).toBe('Temp analyst');
    const { revokeApiKey } = dataOf(await server.gql(world.keys.admin, REVOKE, { id: createApiKey.apiKey.id }));
    expect(revokeApiKey.userErrors).toEqual([]);
    expect(revokeApiKey.apiKey.revokedAt).not.toBeNull();
    const after = await server.gql(createApiKey.token, '{ viewer { name } }');
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const again = dataOf(await server.gql(world.keys.admin, REVOKE, { id: createApiKey.apiKey.id }));
    expect(again.revokeApiKey.userErrors[0].code).toBe('INVALID_TRANSITION');
  });

  it('refuses a key revoked by another server instance at once, although this one remembered it', async () => {
    const { createApiKey } = dataOf(
      await server.gql(world.keys.admin, CREATE, {
        input: { name: 'elsewhere', principal: { name: 'Elsewhere analyst', role: 'ANALYST' } },
      }),
    );
    expect(dataOf(await server.gql(createApiKey.token, '{ viewer { name } }')).viewer.name).toBe('Elsewhere analyst');
    // As another instance would: straight in the database, so this server's remembered key is not told.
    await db.dataSource.query(`UPDATE api_key SET revoked_at = now() WHERE token_prefix = $1`, [
      createApiKey.apiKey.tokenPrefix,
    ]);
    for (let i = 0; i < 2; i += 1) {
      const after = await server.gql(createApiKey.token, '{ viewer { name } leads(first: 1) { nodes { id } } }');
      expect(after.status).toBe(401);
      expect(after.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(after.body.data ?? null).toBeNull();
    }
  });

  it('adds a second key to an existing principal (rotation)', async () => {
    const viewer = dataOf(await server.gql(world.keys.analyst, '{ viewer { id } }')).viewer;
    const { createApiKey } = dataOf(
      await server.gql(world.keys.admin, CREATE, { input: { name: 'rotated', principalId: viewer.id } }),
    );
    expect(createApiKey.principal.id).toBe(viewer.id);
    expect(dataOf(await server.gql(createApiKey.token, '{ viewer { id } }')).viewer.id).toBe(viewer.id);
  });

  it('records key creation and revocation in the audit chain', async () => {
    const rows = await db.dataSource.query(`SELECT action FROM audit_event WHERE action LIKE 'apiKey.%' ORDER BY seq`);
    expect(rows.map((r: any) => r.action)).toEqual(expect.arrayContaining(['apiKey.created', 'apiKey.revoked']));
  });
});
