import type { Logger } from 'pino';
import { Config } from '../../shared/config.js';
import { webhookSettings } from './webhook.settings.js';
import { startWebhookWorker, WebhookWorker } from './webhook-worker.js';

/**
 * The server's own webhook worker, when WEBHOOK_WORKER is on and the server has the owner's login (the
 * embedded PostgreSQL, or MIGRATION_DATABASE_URL outside production). In production the server holds no
 * owner credential: `eca webhooks work` (with MIGRATION_DATABASE_URL) delivers them as a process of its own.
 */
export async function startServerWebhookWorker(
  ownerUrl: string | null | undefined,
  config: Config,
  logger: Logger,
): Promise<Pick<WebhookWorker, 'stop'>> {
  const settings = webhookSettings();
  const idle = { stop: async () => undefined };
  if (!settings.worker) return idle;
  if (!ownerUrl) {
    logger.info(
      'webhooks are not delivered by this server (no owner login): run `eca webhooks work` with MIGRATION_DATABASE_URL, or WEBHOOK_WORKER=off to silence this',
    );
    return idle;
  }
  const worker = await startWebhookWorker({
    ownerUrl,
    settings,
    policy: { production: config.nodeEnv === 'production' },
    logger,
  });
  logger.info('webhook worker started');
  return worker;
}
