import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { apiPassword, asApiLogin, databaseUrl, serverUrl } from '../support/database';
import { buildServer, ServerProcess, startServerProcess } from './support/server-process';

// A hosted PostgreSQL whose administrator created the roles beforehand, as README "On a hosted PostgreSQL"
// says, and an owner without CREATEROLE: the owner migrates (the command line, a step of its own), the
// server runs with the API's login alone, a read and a write go through, and the owner sees what was written.

const README = path.resolve(__dirname, '../../README.md');
const suffix = randomBytes(5).toString('hex');
const owner = `eca_test_owner_${suffix}`;
const ownerPassword = randomBytes(12).toString('hex');
const database = `eca_test_hosted_${suffix}`;
let main: string;
let server: ServerProcess | null = null;

/** The administrator's statements of the README, for this owner and database. */
function administratorStatements(): string[] {
  const text = fs.readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('### On a hosted PostgreSQL'), text.indexOf('## Configuration'));
  const block = /```sql\n([^]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README, "On a hosted PostgreSQL": no sql block');
  return block
    .replace(/--[^\n]*/g, '')
    .replace(/'api-password'/g, `'${apiPassword()}'`)
    .replace(/'owner-password'/g, `'${ownerPassword}'`)
    .replace(/\beca_owner\b/g, owner)
    .replace(/DATABASE enforcement\b/g, `DATABASE ${database}`)
    .split(';')
    .map((statement) => statement.trim())
    .filter(Boolean);
}

async function asAdministrator<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function ownerUrl(): string {
  const url = new URL(databaseUrl(database));
  url.username = owner;
  url.password = ownerPassword;
  return url.toString();
}

async function asOwner<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ownerUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [path.join(path.dirname(main), 'cli.js'), ...args], {
    cwd: path.dirname(main),
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', MIGRATION_DATABASE_URL: ownerUrl() },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  main = buildServer();
  await asAdministrator(async (client) => {
    for (const statement of administratorStatements()) {
      try {
        await client.query(statement);
      } catch (error) {
        // eca_app and eca_api are cluster-wide: the tests' set-up (or an earlier run) made them already.
        const existing =
          (error as { code?: string }).code === '42710' && /^CREATE ROLE eca_(app|api)\b/.test(statement);
        if (!existing) throw error;
      }
    }
  });
}, 180_000);

afterAll(async () => {
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await asAdministrator(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.query(`DROP ROLE IF EXISTS ${owner}`);
  });
});

it("the README's administrator statements, an owner without CREATEROLE: migrate as the owner, serve as eca_api, read and write", async () => {
  const [ownerRole] = await asAdministrator(
    async (client) =>
      (
        await client.query(
          `SELECT rolcreaterole, rolsuper, pg_has_role(oid, 'eca_app', 'MEMBER') AS member FROM pg_roles WHERE rolname = $1`,
          [owner],
        )
      ).rows,
  );
  expect(ownerRole).toEqual({ rolcreaterole: false, rolsuper: false, member: false });

  // The migrations, as their own step, as the owner.
  const migrated = cli(['migrate']);
  expect({ status: migrated.status, stderr: migrated.stderr }).toEqual({
    status: 0,
    stderr: expect.stringMatching(/^applied \d+ migrations/),
  });
  await asOwner(async (client) => {
    const { rows } = await client.query(
      `SELECT tableowner FROM pg_tables WHERE schemaname = 'public' GROUP BY tableowner`,
    );
    expect(rows).toEqual([{ tableowner: owner }]);
  });
  await asOwner((client) =>
    client.query(
      `INSERT INTO agency (name, code, kind, jurisdiction) VALUES ('Agency H', 'AG-H', 'PUBLIC_SECURITY', 'CN-ZJ')`,
    ),
  );
  const admin = cli(['apikey', 'create', '--role', 'ADMIN', '--name', 'hosted admin']);
  expect(admin.status).toBe(0);
  const token = admin.stdout.trim();

  // The server: the API's login only, no owner credential in its environment.
  server = await startServerProcess(main, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: asApiLogin(databaseUrl(database)),
  });
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  const gql = async (query: string, variables?: object) => {
    const response = await fetch(`${server!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
  const read = await gql('{ viewer { role } agencies(first: 5) { nodes { code } } }');
  expect(read.errors).toBeUndefined();
  expect(read.data).toEqual({ viewer: { role: 'ADMIN' }, agencies: { nodes: [{ code: 'AG-H' }] } });

  const eventsBefore = await asOwner(
    async (client) => (await client.query('SELECT count(*)::int AS n FROM audit_event')).rows[0].n,
  );
  const written = await gql(
    'mutation Hosted($input: CreateApiKeyInput!) { createApiKey(input: $input) { token userErrors { code } } }',
    { input: { name: 'written by eca_api', principal: { name: 'Hosted principal', role: 'ANALYST' } } },
  );
  expect(written.errors).toBeUndefined();
  expect(written.data.createApiKey).toEqual({ token: expect.stringMatching(/^eca_/), userErrors: [] });

  // What the owner sees: the principal, its key, two more audit events; and the server's connections were eca_api's.
  await asOwner(async (client) => {
    const {
      rows: [principal],
    } = await client.query(
      `SELECT p.role, count(k.*)::int AS keys FROM principal p JOIN api_key k ON k.principal_id = p.id WHERE p.name = 'Hosted principal' GROUP BY p.role`,
    );
    expect(principal).toEqual({ role: 'ANALYST', keys: 1 });
    const {
      rows: [{ n }],
    } = await client.query('SELECT count(*)::int AS n FROM audit_event');
    expect(n).toBe(eventsBefore + 2);
  });
  const logins = await asAdministrator(
    async (client) =>
      (
        await client.query(
          `SELECT DISTINCT usename AS login FROM pg_stat_activity WHERE datname = $1 AND application_name = 'enforcement-api'`,
          [database],
        )
      ).rows,
  );
  expect(logins).toEqual([{ login: 'eca_api' }]);
}, 120_000);

it('the owner seeds with COPY although row-level security is forced on its tables (it is lifted for each COPY, then put back)', async () => {
  const seeded = cli(['seed', '--reset']);
  expect({ status: seeded.status, stderr: seeded.status === 0 ? '' : seeded.stderr }).toEqual({
    status: 0,
    stderr: '',
  });
  await asOwner(async (client) => {
    const { rows } = await client.query(
      `SELECT relname FROM pg_class WHERE relrowsecurity AND NOT relforcerowsecurity`,
    );
    expect(rows).toEqual([]);
    const {
      rows: [{ leads }],
    } = await client.query(`SELECT count(*)::int AS leads FROM lead`);
    expect(leads).toBeGreaterThan(0);
  });
}, 120_000);
