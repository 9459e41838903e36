import http from 'node:http';
import { AddressInfo } from 'node:net';
import pino from 'pino';
import { createDataSource } from '../../../src/database/data-source';
import { createApp } from '../../../src/http/app';
import { testConfig } from '../../support/server';
import { startTcpProxy, TcpProxy } from './tcp-proxy';

/** An API server whose pool reaches PostgreSQL through a TCP proxy that a test can make lose, hold or drop packets. */
export interface ProxiedServer {
  proxy: TcpProxy;
  /** The server's base URL (http://127.0.0.1:port). */
  url: string;
  /** Stops the server, its pool and the proxy (the proxy thawed first, so that nothing waits on it). */
  close(): Promise<void>;
}

/**
 * Starts one, as the API's login (`apiUrl`), with `env` over the test configuration; `poolExtra` goes to the pg
 * pool (connection and query timeouts).
 */
export async function startProxiedServer(
  apiUrl: string,
  {
    applicationName,
    poolSize = 3,
    env = {},
    poolExtra = {},
  }: { applicationName: string; poolSize?: number; env?: Record<string, string>; poolExtra?: object },
): Promise<ProxiedServer> {
  const proxy = await startTcpProxy(new URL(apiUrl));
  const pool = createDataSource({ url: proxy.url, api: true, poolSize, applicationName });
  pool.setOptions({ extra: { ...(pool.options.extra as object), ...poolExtra } });
  await pool.initialize();
  const app = await createApp(pool, testConfig(env), pino({ level: 'silent' }));
  const server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    proxy,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      proxy.thaw();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.apollo.stop();
      await pool.destroy();
      await proxy.close();
    },
  };
}
