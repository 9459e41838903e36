import 'reflect-metadata';
import http from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { connectDatabase } from './database/connect.js';
import { DEMO_KEYS_FILE, ensureDemoKeys, seedDemoIfEmpty } from './demo.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const database = await connectDatabase(config);
  const { dataSource } = database;
  if (config.nodeEnv !== 'production') {
    if (await seedDemoIfEmpty(dataSource, config)) logger.info('seeded the demo dataset');
    const keys = await ensureDemoKeys(dataSource, config);
    process.stdout.write(`\n${keys}(also in ${DEMO_KEYS_FILE})\n\n`);
  }
  const { app, apollo } = await createApp(dataSource, config, logger);
  const server = http.createServer(app);
  server.listen(config.port, () => {
    const { port } = server.address() as { port: number };
    logger.info({ port, embeddedDatabase: Boolean(database.embedded) }, `serving http://localhost:${port}/graphql`);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    // Stop accepting; idle keep-alive sockets are closed so that clients reconnect elsewhere.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(timer);
    await apollo.stop();
    await database.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `Failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
