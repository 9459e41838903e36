import 'reflect-metadata';
import http from 'node:http';
import { ConfigError, loadConfig } from './shared/config.js';
import { connectApi, DatabaseLoginError } from './database/connect.js';
import { EmbeddedPostgresError } from './database/embedded.js';
import { DEMO_KEYS_FILE, ensureDemoKeys, seedDemoIfEmpty } from './demo.js';
import { EnvFileError, loadEnvFile } from './shared/env-file.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { startRollupRefreshes } from './modules/analytics/rollup-refresh.js';
import { startRepeatOffenderSweeps } from './modules/repeat-offender/repeat-offender-sweep.js';
import { repeatOffenderSettings } from './modules/repeat-offender/repeat-offender.settings.js';
import { featureSettings, SettingsError } from './shared/settings.js';
import { startServerWebhookWorker } from './modules/webhook/webhook-worker-start.js';
import { startDeadlineNotices } from './modules/webhook/webhook-deadlines.js';
import { webhookSettings } from './modules/webhook/webhook.settings.js';

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  featureSettings(); // validated now, before any connection, like the configuration
  repeatOffenderSettings();
  webhookSettings();
  const logger = createLogger(config);
  // A crash is logged as one JSON line before the process ends, like everything else.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });

  // The pool logs in as the API's own login; migrations and the demo data use the owner's, at start only
  // and never in production (src/database/connect.ts).
  const database = await connectApi(config, {
    requestLimits: true,
    // Demo data and keys in development only: never in production, and not in test runs of the server.
    prepare:
      config.nodeEnv === 'development'
        ? async (owner) => {
            if (await seedDemoIfEmpty(owner, config)) logger.info('seeded the demo dataset');
            const keys = await ensureDemoKeys(owner, config);
            process.stdout.write(`\n${keys}(also in ${DEMO_KEYS_FILE})\n\n`);
          }
        : undefined,
    onNotice: (message) => logger.warn(message),
  });
  const { dataSource } = database;
  const { app, apollo, beginDraining } = await createApp(dataSource, config, logger);
  const sweeps = startRepeatOffenderSweeps(dataSource, config, logger);
  const rollupRefreshes = startRollupRefreshes(dataSource, logger);
  const deadlineNotices = startDeadlineNotices(dataSource, config, logger);
  const webhooks = await startServerWebhookWorker(
    database.embedded?.url ?? config.migrationDatabaseUrl,
    config,
    logger,
  );
  const server = http.createServer(app);
  server.listen(config.port, () => {
    const { port } = server.address() as { port: number };
    const { embedded } = database;
    logger.info(
      { port, embeddedDatabase: Boolean(embedded), nodeEnv: config.nodeEnv },
      `serving http://localhost:${port}/graphql`,
    );
    // Where the embedded PostgreSQL is, and whether this server started it or found it running (the command
    // line's). Whoever uses it last stops it.
    if (embedded) {
      logger.info(
        { embeddedDatabasePort: embedded.port, dataDir: embedded.dataDir, postmasterPid: embedded.pid },
        embedded.owned
          ? 'embedded PostgreSQL started'
          : 'embedded PostgreSQL already running (started by another process) used',
      );
    }
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, graceMs: config.shutdownGraceMs },
      'shutting down: no new connections, finishing requests in flight',
    );
    // If closing the pool or the embedded database hangs, the process still ends.
    setTimeout(() => {
      logger.error('shutdown did not complete in time; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 10_000).unref();
    beginDraining();
    // Stop accepting; idle keep-alive sockets are closed at once, busy ones after their answer.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let cut = false;
    const grace = setTimeout(() => {
      cut = true;
      logger.warn(
        { graceMs: config.shutdownGraceMs },
        'requests still in flight after the grace period: closing their connections',
      );
      server.closeAllConnections();
    }, config.shutdownGraceMs);
    await closed;
    clearTimeout(grace);
    await apollo.stop();
    await sweeps.stop();
    await rollupRefreshes.stop();
    await deadlineNotices.stop();
    await webhooks.stop();
    await database.close();
    logger.info({ requestsCut: cut }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  // Errors worded for the person at the terminal: their message alone, without a stack.
  const invalid =
    error instanceof ConfigError ||
    error instanceof SettingsError ||
    error instanceof EmbeddedPostgresError ||
    error instanceof EnvFileError ||
    error instanceof DatabaseLoginError;
  process.stderr.write(invalid ? `${error.message}\n` : `Failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
