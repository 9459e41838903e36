import type { PoolClient } from 'pg';

/** Rows deleted per statement: a long backlog is worked off in short statements, not one long lock. */
const SWEEP_BATCH = 10_000;

/**
 * Deletes what the webhook log no longer needs after `retentionMs` (WEBHOOK_RETENTION_DAYS): settled
 * deliveries (DELIVERED, or DEAD and not redelivered since), then the outbox events fanned out before then that
 * no delivery names any more. A PENDING delivery and its event are kept however old. Answers the rows deleted.
 */
export async function sweepWebhookLog(client: PoolClient, retentionMs: number): Promise<number> {
  let deleted = 0;
  const sweep = async (sql: string) => {
    for (;;) {
      const { rowCount } = await client.query(sql, [retentionMs, SWEEP_BATCH]);
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < SWEEP_BATCH) return;
    }
  };
  await sweep(
    `DELETE FROM webhook_delivery WHERE id IN (
       SELECT id FROM webhook_delivery WHERE status <> 'PENDING'
         AND coalesce(delivered_at, last_attempt_at, created_at) < now() - $1 * interval '1 millisecond' LIMIT $2)`,
  );
  await sweep(
    `DELETE FROM webhook_event WHERE seq IN (
       SELECT e.seq FROM webhook_event e WHERE e.fanned_out_at < now() - $1 * interval '1 millisecond'
         AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_seq = e.seq) LIMIT $2)`,
  );
  return deleted;
}
