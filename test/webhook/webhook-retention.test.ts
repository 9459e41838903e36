// The webhook log is kept for WEBHOOK_RETENTION_DAYS: settled deliveries older than that are deleted, and so are
// the outbox events no delivery names any more; what is still due is kept however old.
import { Pool } from 'pg';
import { sweepWebhookLog } from '../../src/modules/webhook/webhook-retention';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { mutate } from '../support/cases';
import { useTestServer } from '../support/harness';
import { subscribe } from './support';

const { db, world, server } = useTestServer();
const DAY = 86_400_000;

it('deletes settled deliveries and their events past the retention, and keeps what is pending or recent', async () => {
  const subscription = await subscribe(server, world.keys.investigator, 'http://127.0.0.1:9/retention', [
    'LEAD_STATUS_CHANGED',
  ]);
  const subscriptionId = decodeGlobalId(subscription.id).rowId;
  for (const description of ['old delivered', 'old dead', 'old pending', 'recent delivered', 'old, told to nobody'])
    await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description, sellerIds: [world.gid.sellerA] },
      'lead { id }',
    );
  const events: { seq: string }[] = await db.dataSource.query(
    `SELECT seq::text FROM webhook_event WHERE type = 'LEAD_STATUS_CHANGED' ORDER BY seq DESC LIMIT 5`,
  );
  // The fifth, told to nobody (no delivery names it), goes too.
  const [oldDelivered, oldDead, oldPending, recentDelivered] = events.reverse().map((e) => e.seq);
  // As the worker would have left them: fanned out 40 days ago (one 2 days ago), four with a delivery.
  await db.dataSource.query(
    `UPDATE webhook_event SET fanned_out_at = now() - CASE WHEN seq = $1 THEN interval '2 days' ELSE interval '40 days' END
     WHERE seq = ANY($2::bigint[])`,
    [recentDelivered, events.map((e) => e.seq)],
  );
  const deliver = (seq: string, status: string, daysAgo: number) =>
    db.dataSource.query(
      `INSERT INTO webhook_delivery (subscription_id, event_seq, event_id, event_type, status, attempts, created_at,
         last_attempt_at, delivered_at)
       SELECT $1, seq, id, type, $3, 1, now() - $4 * interval '1 day', now() - $4 * interval '1 day',
         CASE WHEN $3 = 'DELIVERED' THEN now() - $4 * interval '1 day' END FROM webhook_event WHERE seq = $2`,
      [subscriptionId, seq, status, daysAgo],
    );
  await deliver(oldDelivered, 'DELIVERED', 40);
  await deliver(oldDead, 'DEAD', 40);
  await deliver(oldPending, 'PENDING', 40);
  await deliver(recentDelivered, 'DELIVERED', 2);

  const pool = new Pool({ connectionString: db.url, max: 1 });
  const client = await pool.connect();
  try {
    // Two old settled deliveries, their two events and the old event nobody wanted.
    expect(await sweepWebhookLog(client, 30 * DAY)).toBe(5);
    expect(await sweepWebhookLog(client, 30 * DAY)).toBe(0);
  } finally {
    client.release();
    await pool.end();
  }
  const kept = (table: string, column: string) =>
    db.dataSource
      .query(`SELECT ${column}::text AS seq FROM ${table} WHERE ${column} = ANY($1::bigint[]) ORDER BY 1`, [
        events.map((e) => e.seq),
      ])
      .then((rows: { seq: string }[]) => rows.map((r) => r.seq));
  expect(await kept('webhook_delivery', 'event_seq')).toEqual([oldPending, recentDelivered].sort());
  expect(await kept('webhook_event', 'seq')).toEqual([oldPending, recentDelivered].sort());
});
