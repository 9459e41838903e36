import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { API_LOGIN, createDataSource, migrate } from '../../src/database/data-source';

export interface TestDatabase {
  /** The owner's login (the tests' server's administrator): migrations, fixtures, checks of what was written. */
  url: string;
  /** The same database as the API's own login (eca_api), as the server's pool connects. */
  apiUrl: string;
  /** A pool on `url`, the owner's. */
  dataSource: DataSource;
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test`');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** The tests' password of the API's login, set by global-setup.mjs. */
export function apiPassword(): string {
  const password = process.env.TEST_API_PASSWORD;
  if (!password) throw new Error('TEST_API_PASSWORD is not set: run the tests through `npm test`');
  return password;
}

/** The same server and database as `url`, logged in as the API's login (eca_api) with the tests' password. */
export function asApiLogin(url: string): string {
  const api = new URL(url);
  api.username = API_LOGIN;
  api.password = apiPassword();
  return api.toString();
}

/**
 * Creates eca_app and eca_api (with the tests' password) where they are missing, as test/support/test-logins.sql
 * says: for a test that starts a PostgreSQL server of its own. `adminUrl` logs in as a role that may create roles.
 */
export async function ensureTestLogins(adminUrl: string): Promise<void> {
  const sql = fs.readFileSync(path.join(__dirname, 'test-logins.sql'), 'utf8');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql.replace(/:api_password/g, client.escapeLiteral(apiPassword())));
  } finally {
    await client.end();
  }
}

/**
 * The same database as a login with eca_app's privileges and BYPASSRLS (created where missing; the tests'
 * server login is a superuser): the API's reads with the row-level security policies out of the way, so
 * that visibility.ts alone is tested (test/isolation/generated-isolation.test.ts). Never the API's login.
 */
export async function asBypassLogin(url: string): Promise<string> {
  await admin(async (client) => {
    const password = client.escapeLiteral(apiPassword());
    await client.query(`DO $$ BEGIN
      CREATE ROLE eca_api_bypass_rls LOGIN BYPASSRLS PASSWORD ${password} IN ROLE eca_app;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  });
  const login = new URL(url);
  login.username = 'eca_api_bypass_rls';
  login.password = apiPassword();
  return login.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database of its own for one test file, migrated from nothing. */
export async function createTestDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const name = `eca_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(name);
  const dataSource = createDataSource({ url, poolSize: 10, applicationName: 'eca-test' });
  await dataSource.initialize();
  if (migrated) await migrate(dataSource);
  return {
    url,
    apiUrl: asApiLogin(url),
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
