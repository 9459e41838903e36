import { Command } from 'commander';
import { say } from './output.js';

/** `webhooks work`: the webhook worker as a process of its own (production, where the server holds no owner login). */
export function addWebhookCommands(program: Command): void {
  const group = program.command('webhooks').description('signed webhooks to partners (README, "Webhooks")');
  group
    .command('work')
    .description(
      'deliver webhooks until stopped (SIGTERM, SIGINT): fan out new events, send them in order per subscription, retry, dead-letter; also announce referral deadlines coming near',
    )
    .addHelpText(
      'after',
      `
Runs as the owner (MIGRATION_DATABASE_URL): pg-boss keeps its queue in the schema "pgboss" of the same
database, and the worker reads the subscriptions' signing secrets. Several may run at once: each subscription
is delivered by one of them at a time. Settings: WEBHOOK_MAX_ATTEMPTS, WEBHOOK_TIMEOUT_MS, WEBHOOK_BACKOFF_*,
WEBHOOK_POLL_MS, WEBHOOK_DEADLINE_NOTICE_HOURS.`,
    )
    .action(async () => {
      const [{ withDatabase }, { default: pino }, worker, deadlines, { webhookSettings }] = await Promise.all([
        import('./session.js'),
        import('pino'),
        import('../modules/webhook/webhook-worker.js'),
        import('../modules/webhook/webhook-deadlines.js'),
        import('../modules/webhook/webhook.settings.js'),
      ]);
      await withDatabase(async ({ config, dataSource }) => {
        const logger = pino({ level: config.logLevel });
        const ownerUrl = (dataSource.options as { url?: string }).url!;
        const running = await worker.startWebhookWorker({
          ownerUrl,
          settings: webhookSettings(),
          policy: { production: config.nodeEnv === 'production' },
          logger,
        });
        const notices = deadlines.startDeadlineNotices(dataSource, config, logger);
        say('delivering webhooks; stop with Ctrl-C or SIGTERM');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        say('stopping: finishing the deliveries under way');
        await notices.stop();
        await running.stop();
      });
    });
}
