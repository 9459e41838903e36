import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook worker deletes settled deliveries and their outbox events after WEBHOOK_RETENTION_DAYS
 * (src/modules/webhook/webhook-retention.ts). Deleting an event checks that no delivery still names it (the
 * foreign key, and the sweep's own NOT EXISTS): an index on the deliveries' event keeps each check one probe
 * instead of a scan of the log.
 */
export class WebhookRetention1764500400000 implements MigrationInterface {
  name = 'WebhookRetention1764500400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX webhook_delivery_event ON webhook_delivery (event_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_delivery_event`);
  }
}
