import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../../src/config';
import { createDataSource } from '../../src/database/data-source';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { useTestServer } from '../support/harness';

// The GraphQL IDE and the analytics dashboard are pages for people at a browser: not served in
// production unless GRAPHQL_IDE=true says so.

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://api:s3cret@db.internal:5432/enforcement',
  IDENTIFIER_HASH_KEY: 'a-production-secret-of-at-least-32-characters',
  CURSOR_KEY: 'c0'.repeat(32),
  AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  EVIDENCE_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
  LOG_LEVEL: 'silent',
};
const PAGES = [
  '/graphql',
  '/graphql/ide/start.js',
  '/graphql/ide/graphiql.js',
  '/graphql/ide/graphiql.css',
  '/dashboard',
  '/dashboard/assets/chart.js',
];

const { db, world, server } = useTestServer({
  world: false,
  server: false,
  beforeClose: async () => {
    await api?.destroy();
  },
});
/** The apps' pool, as the API's login. */
let api: DataSource;
beforeAll(async () => {
  api = await createDataSource({ url: db.apiUrl, api: true, poolSize: 4 }).initialize();
});

/** Status and body of each browser page from an app configured by `env`. */
async function pagesOf(env: Record<string, string>): Promise<Record<string, { status: number; body: string }>> {
  const app = await createApp(api, loadConfig(env), createLogger({ logLevel: 'silent' }));
  const server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const pages: Record<string, { status: number; body: string }> = {};
    for (const path of PAGES) {
      const response = await fetch(`${url}${path}`, { headers: { accept: 'text/html,*/*' } });
      pages[path] = { status: response.status, body: await response.text() };
    }
    return pages;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.apollo.stop();
  }
}

describe('the browser pages', () => {
  it('are not served in production by default: no IDE, no dashboard, no landing page', async () => {
    const pages = await pagesOf(PRODUCTION);
    for (const path of PAGES) {
      expect([path, pages[path].status]).toEqual([path, path.startsWith('/graphql') ? 400 : 404]);
      expect(pages[path].body).not.toMatch(/<script|GraphiQL|Chart\.js v/);
    }
  });

  it('are served in production with GRAPHQL_IDE=true, and by default elsewhere', async () => {
    for (const env of [
      { ...PRODUCTION, GRAPHQL_IDE: 'true' },
      { NODE_ENV: 'development', LOG_LEVEL: 'silent' },
      { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    ]) {
      const pages = await pagesOf(env);
      for (const path of PAGES) expect([env.NODE_ENV, path, pages[path].status]).toEqual([env.NODE_ENV, path, 200]);
      expect(pages['/graphql'].body).toContain('/graphql/ide/graphiql.js');
    }
  });

  it('can be turned off outside production', async () => {
    const pages = await pagesOf({ NODE_ENV: 'development', GRAPHQL_IDE: 'false', LOG_LEVEL: 'silent' });
    for (const path of PAGES) expect([path, pages[path].status]).not.toEqual([path, 200]);
  });
});

describe('configuration of the pages and of /metrics', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('reads GRAPHQL_IDE and METRICS_TOKEN', () => {
    expect(loadConfig(PRODUCTION)).toMatchObject({ graphqlIde: false, metricsToken: undefined });
    expect(loadConfig({}).graphqlIde).toBe(true);
    const token = 'f'.repeat(64);
    expect(loadConfig({ ...PRODUCTION, GRAPHQL_IDE: 'true', METRICS_TOKEN: token })).toMatchObject({
      graphqlIde: true,
      metricsToken: token,
    });
  });

  it('refuses a GRAPHQL_IDE that is not true or false, and a short METRICS_TOKEN without repeating it', () => {
    expect(problemsOf({ GRAPHQL_IDE: 'on' })).toContain('GRAPHQL_IDE must be true or false, got "on"');
    const message = problemsOf({ METRICS_TOKEN: 'short-secret' });
    expect(message).toContain('METRICS_TOKEN must be at least 32 printable characters');
    expect(message).not.toContain('short-secret');
    expect(problemsOf({ METRICS_TOKEN: `${'x'.repeat(32)} y` })).toContain('METRICS_TOKEN');
  });
});
