import { Client } from 'pg';
import { QueryRunner } from 'typeorm';
import { RowLevelSecurity1763900200000 } from '../../migrations/1763900200000-RowLevelSecurity';
import { connectApi, connectOwner, DatabaseLoginError } from '../../src/database/connect';
import { API_LOGIN } from '../../src/database/data-source';
import { apiLoginProblems, describeLogin, isOwnerLogin } from '../../src/database/logins';
import { CREATE_APP_ROLE, GRANT_APP_ROLE_TO_OWNER, leavingOut } from '../../src/database/pre-created-roles';
import { createTestDatabase } from '../support/database';
import { dataOf, testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

// The API logs in as a login of its own (eca_api), a member of eca_app with nothing more: no statement on an
// API connection, whatever it is, reaches the owner's rights. Before, the API logged in as the owner and
// switched to eca_app (`-c role=eca_app`): one RESET ROLE led back to the owner.

const { db, world, server } = useTestServer();

/** A connection as the server's pool makes them: the API's login. */
async function apiConnection(): Promise<Client> {
  const client = new Client({ connectionString: db.apiUrl });
  await client.connect();
  return client;
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(client: Client, sql: string): Promise<string> {
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('the API login', () => {
  it("is what the server pool logs in as: eca_api, not a superuser, no BYPASSRLS or CREATEROLE, owning nothing, with eca_app's privileges", async () => {
    const [who] = await server.dataSource.query('SELECT session_user AS login, current_user AS role');
    expect(who).toEqual({ login: API_LOGIN, role: API_LOGIN });
    const facts = await describeLogin(server.dataSource);
    expect(facts).toMatchObject({
      login: API_LOGIN,
      superuser: false,
      bypassRls: false,
      createRole: false,
      powerfulRoles: [],
      owners: [],
      appPrivileges: true,
    });
    expect(apiLoginProblems(facts)).toEqual([]);
    // And the API works through it.
    expect(
      dataOf(await server.gql(world.keys.brandA, '{ viewer { role } listings(first: 5) { totalCount } }')),
    ).toEqual({ viewer: { role: 'BRAND_PARTNER' }, listings: { totalCount: 2 } });
  });

  it("RESET ROLE, SET ROLE and SET SESSION AUTHORIZATION lead nowhere: every write or change beyond eca_app's rights is permission denied", async () => {
    const [{ owner }] = await db.dataSource.query(
      `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'audit_event'`,
    );
    const client = await apiConnection();
    try {
      for (const reset of ['RESET ROLE', 'SET ROLE NONE', 'RESET SESSION AUTHORIZATION', 'SET ROLE eca_app']) {
        expect([reset, await outcome(client, reset)]).toEqual([reset, 'ok']);
        const attempts = [
          `UPDATE audit_event SET actor_label = 'forged'`,
          'DELETE FROM audit_event',
          'TRUNCATE audit_event',
          `INSERT INTO migrations ("timestamp", name) VALUES (1, 'Forged1')`,
          'DELETE FROM migrations',
          'ALTER TABLE audit_event DISABLE ROW LEVEL SECURITY',
          'ALTER TABLE lead DISABLE ROW LEVEL SECURITY',
          'DROP TABLE audit_event',
          'CREATE TABLE planted (id int)',
          `CREATE FUNCTION planted() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
          `SET ROLE ${owner}`,
          'SET ROLE postgres',
          `SET SESSION AUTHORIZATION ${owner}`,
          'CREATE ROLE planted',
          'ALTER ROLE eca_api BYPASSRLS',
          'GRANT eca_app TO eca_api WITH ADMIN OPTION',
          `SELECT listing_takedown_day_add('[]'::jsonb)`,
        ];
        for (const sql of attempts) expect([reset, sql, await outcome(client, sql)]).toEqual([reset, sql, '42501']);
      }
      await client.query('RESET ROLE');
      const [who] = (await client.query('SELECT session_user AS login, current_user AS role')).rows;
      expect(who).toEqual({ login: API_LOGIN, role: API_LOGIN });
    } finally {
      await client.end();
    }
    // Nothing changed.
    const [{ forged }] = await db.dataSource.query(
      `SELECT count(*)::int AS forged FROM audit_event WHERE actor_label = 'forged'`,
    );
    expect(forged).toBe(0);
    expect(await db.dataSource.query(`SELECT name FROM migrations WHERE name = 'Forged1'`)).toEqual([]);
  });

  it('the set-up it replaces was open: the owner switched to eca_app went back to the owner with SET ROLE NONE', async () => {
    // The check above is not vacuous: on the old connection the same statement succeeds. (RESET ROLE returns
    // to the role given at connection, eca_app; SET ROLE NONE to the login, the owner.)
    const client = new Client({ connectionString: db.url, options: '-c role=eca_app' });
    await client.connect();
    try {
      await client.query('BEGIN');
      expect(await outcome(client, `INSERT INTO migrations ("timestamp", name) VALUES (1, 'Forged1')`)).toBe('42501');
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query('SET ROLE NONE');
      expect((await client.query('SELECT current_user AS role')).rows).toEqual([{ role: 'postgres' }]);
      expect(await outcome(client, `INSERT INTO migrations ("timestamp", name) VALUES (1, 'Forged1')`)).toBe('ok');
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });
});

describe('the server and the command line choose their logins', () => {
  it("the server refuses the owner's (here a superuser) login in DATABASE_URL, saying what to do", async () => {
    const refusal = connectApi(testConfig({ DATABASE_URL: db.url }), { runMigrations: false });
    await expect(refusal).rejects.toBeInstanceOf(DatabaseLoginError);
    await expect(refusal).rejects.toThrow(
      /DATABASE_URL logs in as postgres, which the API may not use:\n {2}- it is a superuser[^]*MIGRATION_DATABASE_URL/,
    );
  });

  it('the server refuses MIGRATION_DATABASE_URL in production: migrations are a step of their own there', async () => {
    const config = {
      ...testConfig({ DATABASE_URL: db.apiUrl, MIGRATION_DATABASE_URL: db.url }),
      nodeEnv: 'production' as const,
    };
    await expect(connectApi(config)).rejects.toThrow(
      /MIGRATION_DATABASE_URL is set for the server: in production the server holds no owner credential/,
    );
  });

  it('the server migrates with MIGRATION_DATABASE_URL and serves with DATABASE_URL; without it, it says which migrations are pending', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      const notices: string[] = [];
      const unmigrated = await connectApi(testConfig({ DATABASE_URL: fresh.apiUrl }), {
        onNotice: (message) => notices.push(message),
      });
      await unmigrated.close();
      expect(notices).toEqual([
        expect.stringMatching(
          /^\d+ migrations are pending \(Foundation1763900000000, [^]*Run `npx eca migrate` with the owner's login in MIGRATION_DATABASE_URL/,
        ),
      ]);

      const database = await connectApi(testConfig({ DATABASE_URL: fresh.apiUrl, MIGRATION_DATABASE_URL: fresh.url }));
      try {
        expect(await database.dataSource.query('SELECT session_user AS login')).toEqual([{ login: API_LOGIN }]);
        expect(await fresh.dataSource.showMigrations()).toBe(false);
      } finally {
        await database.close();
      }
    } finally {
      await fresh.drop();
    }
  });

  it("the command line refuses the API's login: row-level security would show it empty lists", async () => {
    await expect(connectOwner(testConfig({ MIGRATION_DATABASE_URL: db.apiUrl }))).rejects.toThrow(
      /^MIGRATION_DATABASE_URL logs in as eca_api, which owns neither this database nor its tables \(it is the API's login\)/,
    );
    const notices: string[] = [];
    const owner = await connectOwner(testConfig({ DATABASE_URL: db.url }), {
      onNotice: (message) => notices.push(message),
    });
    try {
      expect(isOwnerLogin(await describeLogin(owner.dataSource))).toBe(true);
      expect(notices).toEqual([
        expect.stringMatching(/^note: MIGRATION_DATABASE_URL is unset: the command line logs in with DATABASE_URL/),
      ]);
    } finally {
      await owner.close();
    }
  });
});

describe('RowLevelSecurity under roles an administrator created', () => {
  it('the two statements it may leave out are found, once each, in the landed migration', async () => {
    const sent: string[] = [];
    const recorder = { query: async (text: string) => void sent.push(text) } as unknown as QueryRunner;
    await new RowLevelSecurity1763900200000().up(leavingOut(recorder, [CREATE_APP_ROLE, GRANT_APP_ROLE_TO_OWNER]));
    const all = sent.join('\n');
    expect(all).not.toMatch(/CREATE ROLE/);
    expect(all).not.toMatch(/GRANT eca_app TO CURRENT_USER/);
    expect(all.match(/-- \(left out: src\/database\/pre-created-roles\.ts\)/g)).toHaveLength(2);
    // Everything else is sent as written.
    const original: string[] = [];
    await new RowLevelSecurity1763900200000().up({
      query: async (text: string) => void original.push(text),
    } as unknown as QueryRunner);
    expect(
      original.join('\n').replace(CREATE_APP_ROLE, '').replace(GRANT_APP_ROLE_TO_OWNER, '').replace(/\s+/g, ' '),
    ).toBe(all.replace(/-- \(left out: src\/database\/pre-created-roles\.ts\)/g, '').replace(/\s+/g, ' '));
  });
});
