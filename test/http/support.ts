import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { createApp } from '../../src/http/app';
import { TestDatabase } from '../support/database';
import { testConfig } from '../support/server';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  body: any;
}

/** POST /graphql with any body (a string or bytes are sent as they are) and headers. */
export async function post(
  url: string,
  options: { token?: string | null; body: unknown; headers?: Record<string, string> },
): Promise<RawResponse> {
  const raw =
    typeof options.body === 'string' || options.body instanceof Uint8Array
      ? options.body
      : JSON.stringify(options.body);
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: raw as string | Uint8Array,
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

export interface LoggedServer {
  url: string;
  dataSource: DataSource;
  /** Every JSON line the server logged. */
  logs: Record<string, any>[];
  close(): Promise<void>;
}

/** The real HTTP server over a test database, like startTestServer, with its log kept for inspection. */
export async function startLoggedServer(db: TestDatabase, env: Record<string, string> = {}): Promise<LoggedServer> {
  const config = testConfig({ ...env, LOG_LEVEL: 'debug' });
  const logs: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const dataSource = await createDataSource({
    url: db.apiUrl,
    api: true,
    poolSize: 5,
    applicationName: 'eca-hardening',
  }).initialize();
  const { app, apollo } = await createApp(dataSource, config, logger);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dataSource,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await apollo.stop();
      await dataSource.destroy();
    },
  };
}

/** Rollups that a read may refresh: not "written" by a request in the sense of the catalogue. */
const DERIVED_TABLES = new Set(['analytics_rollup', 'seller_network', 'migrations', 'typeorm_metadata']);

/**
 * A digest of every row of every table (not only the row counts: an update changes it too), read as
 * the owner, past row-level security. Two equal snapshots mean that nothing was written in between.
 */
export async function snapshot(owner: DataSource): Promise<Record<string, string>> {
  const tables: { name: string }[] = await owner.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const parts = tables
    .filter(({ name }) => !DERIVED_TABLES.has(name))
    .map(
      ({ name }) =>
        `SELECT '${name}' AS name, count(*)::int || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest FROM "${name}" t`,
    );
  const rows: { name: string; digest: string }[] = await owner.query(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}
