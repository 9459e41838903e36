import http from 'node:http';
import { AddressInfo } from 'node:net';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { apiLoginRefusal, apiLoginProblems, describeLogin } from '../../src/database/logins';
import { Config, loadConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { TestDatabase } from './database';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: {
    data?: T;
    errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
    extensions?: Record<string, any>;
  };
}

export interface TestServer {
  url: string;
  config: Config;
  /** The server's own pool: it logs in as the API's login (eca_api), subject to row-level security. */
  dataSource: DataSource;
  gql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * Overrides for a test harness that sends documents far beyond what a client may (the generated isolation
 * walk batches thousands of paths under aliases into 60 kB documents): every query limit and the rate
 * limit off. Not for tests of ordinary client behaviour, which run with the defaults.
 */
export const NO_QUERY_LIMITS: Record<string, string> = {
  GRAPHQL_MAX_QUERY_CHARS: 'off',
  GRAPHQL_MAX_TOKENS: 'off',
  GRAPHQL_MAX_DEPTH: 'off',
  GRAPHQL_MAX_ALIASES: 'off',
  GRAPHQL_MAX_DIRECTIVES: 'off',
  GRAPHQL_MAX_COST: 'off',
  RATE_LIMIT_MAXIMUM_AVAILABLE: 'off',
  GRAPHQL_MAX_BODY_BYTES: '10000000',
};

export const testConfig = (overrides: Record<string, string> = {}): Config =>
  loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...overrides });

/** The real HTTP server on an ephemeral port over a test database. */
export async function startTestServer(
  db: TestDatabase,
  env: Record<string, string> = {},
  { loginUrl }: { loginUrl?: string } = {},
): Promise<TestServer> {
  const config = testConfig(env);
  const dataSource = await createDataSource({
    url: loginUrl ?? db.apiUrl,
    api: true,
    poolSize: 10,
    applicationName: 'eca-test-server',
  }).initialize();
  // Another login (asBypassLogin) only where a test asks for it by name.
  if (!loginUrl) await assertApiLogin(dataSource);
  const { app, apollo } = await createApp(dataSource, config, pino({ level: 'silent' }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    config,
    dataSource,
    async gql(token, query, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as GraphQLResponse<any>['body'],
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await apollo.stop();
      await dataSource.destroy();
    },
  };
}

/** Refuses a pool whose login the server would refuse (src/database/connect.ts): every test server runs as the API does. */
export async function assertApiLogin(dataSource: DataSource): Promise<void> {
  const login = await describeLogin(dataSource);
  if (apiLoginProblems(login).length) {
    await dataSource.destroy();
    throw new Error(apiLoginRefusal(login, "the test server's URL"));
  }
}

/** The data of a response that must have succeeded without errors. */
export function dataOf<T = any>(response: GraphQLResponse<T>): T {
  if (response.body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.body.errors)}`);
  return response.body.data as T;
}
