import PgBoss from 'pg-boss';
import { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { toGlobalId } from '../../shared/relay/global-id.js';
import { fanOutOnce, SUBSCRIBER_ACTIVE } from './webhook-fanout.js';
import { sweepWebhookLog } from './webhook-retention.js';
import { postWebhook } from './webhook-sender.js';
import { signatureHeader } from './webhook-signature.js';
import { WebhookSettings } from './webhook.settings.js';
import { ReceiverPolicy } from './webhook-url.js';

/** How often a worker sweeps the webhook log of rows past their retention (webhook-retention.ts). */
const SWEEP_INTERVAL_MS = 3_600_000;

/** The pg-boss queue of delivery jobs: one job drains one subscription's due deliveries, in event order. */
export const DELIVERY_QUEUE = 'webhook-delivery';
/** pg-boss's own tables live in this schema, created by pg-boss at its first start (as the owner). */
export const PGBOSS_SCHEMA = 'pgboss';
/** Pending deliveries of a subscription read at once, in event order. */
const DRAIN_BATCH = 100;

export interface WebhookWorker {
  /** Stops taking work, lets the attempts under way finish (or time out), and closes its connections. */
  stop(): Promise<void>;
  /** Stops at once, as a crash would: attempts under way are cut and nothing more is recorded. */
  kill(): Promise<void>;
}

export interface WebhookWorkerOptions {
  /** The owner's login: pg-boss creates its schema, and the worker reads the secrets and the outbox. */
  ownerUrl: string;
  settings: WebhookSettings;
  policy: ReceiverPolicy;
  logger: Logger;
  /** Subscriptions drained at once by this worker; default 10. */
  concurrency?: number;
}

interface DueDelivery {
  id: string;
  attempts: number;
  due: boolean;
  paused: boolean;
  event_id: string;
  type: string;
  record_type: string;
  record_id: string;
  version: number | null;
  occurred_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
}

/** Retry n (1-based) waits a random time up to min(max, base * 2^(n-1)): exponential backoff, full jitter. */
export function backoffMs(settings: WebhookSettings, attempt: number): number {
  const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(Math.random() * ceiling);
}

/**
 * The delivery worker (README, "Webhooks"): every WEBHOOK_POLL_MS it fans new outbox events out to deliveries
 * (webhook-fanout.ts) and sends a pg-boss job per subscription with due deliveries (singleton key: one job
 * waiting per subscription). A job drains its subscription under an advisory lock held by its connection,
 * so one subscription's deliveries go one at a time, in event order, across every worker process. A delivery
 * is marked DELIVERED only after a 2xx: a worker killed mid-attempt leaves it PENDING, its lock goes with its
 * connection, and the next worker sends it again (at least once; receivers dedupe by event id). A failed
 * attempt is recorded and retried after a backoff, in place (later events wait behind it); after
 * WEBHOOK_MAX_ATTEMPTS it is DEAD and the next one proceeds.
 */
export async function startWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const { ownerUrl, settings, policy, logger } = options;
  const pool = new Pool({
    connectionString: ownerUrl,
    max: (options.concurrency ?? 10) + 2,
    application_name: 'eca-webhooks',
  });
  pool.on('error', (error) => logger.warn({ error: error.message }, 'webhook worker: a database connection failed'));
  const boss = new PgBoss({
    connectionString: ownerUrl,
    schema: PGBOSS_SCHEMA,
    max: 3,
    application_name: 'eca-webhooks-queue',
    schedule: false,
  });
  // The error's own fields only: pg-boss attaches the pg client, whose whole state would fill the log line.
  boss.on('error', (error: Error & { code?: string }) =>
    logger.warn(
      { error: { name: error.name, message: error.message, code: error.code } },
      'webhook worker: pg-boss error',
    ),
  );
  await boss.start();
  await boss.createQueue(DELIVERY_QUEUE, {
    name: DELIVERY_QUEUE,
    policy: 'short',
    retryLimit: 0,
    expireInSeconds: 3600,
  });

  const cut = new AbortController();
  let stopping = false;
  let killed = false;
  const drains = new Set<Promise<void>>();

  const drain = async (subscriptionId: string): Promise<void> => {
    const client = await pool.connect();
    let locked = false;
    try {
      locked = (
        await client.query(`SELECT pg_try_advisory_lock(hashtextextended('webhook:' || $1, 0)) AS locked`, [
          subscriptionId,
        ])
      ).rows[0].locked;
      // The pending deliveries in event order, a batch at a time; a failed attempt ends the batch (its retry
      // waits for its backoff, and every later event behind it).
      let more = locked;
      while (more && !stopping) {
        const batch = await pendingDeliveries(client, subscriptionId, DRAIN_BATCH);
        more = batch.length === DRAIN_BATCH;
        for (const delivery of batch) {
          if (stopping || delivery.paused || !delivery.due || !(await attempt(client, delivery))) {
            more = false;
            break;
          }
        }
      }
    } finally {
      if (locked && !killed) await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      client.release(killed);
    }
  };

  const attempt = async (client: PoolClient, delivery: DueDelivery): Promise<boolean> => {
    const body = JSON.stringify({
      id: delivery.event_id,
      type: delivery.type,
      occurredAt: new Date(delivery.occurred_at).toISOString(),
      data: { id: toGlobalId(delivery.record_type, delivery.record_id), version: delivery.version },
    });
    const secrets = [delivery.secret, ...(delivery.previous_secret ? [delivery.previous_secret] : [])];
    const number = delivery.attempts + 1;
    const result = await postWebhook(
      delivery.url,
      body,
      {
        'user-agent': 'eca-webhooks/1',
        'webhook-id': delivery.event_id,
        'webhook-attempt': String(number),
        'webhook-signature': signatureHeader(secrets, Math.floor(Date.now() / 1000), body),
      },
      policy,
      AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), cut.signal]),
    );
    if (killed) throw new Error('webhook worker killed mid-delivery');
    if (result.ok) {
      await client.query(
        `UPDATE webhook_delivery SET status = 'DELIVERED', attempts = attempts + 1, last_attempt_at = now(),
           last_response_status = $2, last_error = NULL, delivered_at = now(), version = version + 1 WHERE id = $1`,
        [delivery.id, result.status],
      );
      return true;
    }
    const dead = number >= settings.maxAttempts;
    await client.query(
      `UPDATE webhook_delivery SET status = $3, attempts = attempts + 1, last_attempt_at = now(), last_response_status = $2,
         last_error = $4, next_attempt_at = now() + $5 * interval '1 millisecond', version = version + 1 WHERE id = $1`,
      [
        delivery.id,
        result.status,
        dead ? 'DEAD' : 'PENDING',
        result.error?.slice(0, 500),
        dead ? 0 : backoffMs(settings, number),
      ],
    );
    if (dead) logger.warn({ deliveryId: delivery.id, attempts: number }, 'webhook delivery dead-lettered');
    // A dead letter lets the next event proceed at once; a retry waits.
    return dead;
  };

  await boss.work<{ subscriptionId: string }>(
    DELIVERY_QUEUE,
    { batchSize: options.concurrency ?? 10, pollingIntervalSeconds: Math.max(0.5, settings.pollMs / 1000) },
    async (jobs) => {
      const work = Promise.all(jobs.map((job) => drain(job.data.subscriptionId))).then(() => undefined);
      drains.add(work);
      try {
        await work;
      } finally {
        drains.delete(work);
      }
    },
  );

  let sweptAt = 0;
  const dispatch = async (): Promise<void> => {
    const client = await pool.connect();
    try {
      while (!stopping && (await fanOutOnce(client)) > 0);
      // The log's old settled rows, once an hour (and at the first tick): the tables stay as long as the retention.
      if (!stopping && Date.now() - sweptAt >= SWEEP_INTERVAL_MS) {
        sweptAt = Date.now();
        await sweepWebhookLog(client, settings.retentionMs);
      }
      const { rows } = await client.query(
        `SELECT DISTINCT d.subscription_id::text AS id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
         WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() AND NOT s.paused AND ${SUBSCRIBER_ACTIVE}`,
      );
      if (rows.length && !stopping)
        await boss.insert(
          rows.map(({ id }) => ({
            name: DELIVERY_QUEUE,
            data: { subscriptionId: id },
            singletonKey: `subscription-${id}`,
          })),
        );
    } finally {
      client.release();
    }
  };
  let ticking: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (ticking || stopping) return;
    ticking = dispatch()
      .catch((error) => logger.warn({ err: error }, 'webhook dispatch failed; the next tick tries again'))
      .finally(() => {
        ticking = null;
      });
  }, settings.pollMs);
  timer.unref();

  const end = async (kill: boolean) => {
    if (stopping) return;
    stopping = true;
    killed = kill;
    clearInterval(timer);
    if (kill) cut.abort(new Error('worker killed'));
    await ticking;
    await boss.stop({ graceful: !kill, wait: true, timeout: settings.timeoutMs + 5000 });
    await Promise.allSettled([...drains]);
    await pool.end();
  };
  return { stop: () => end(false), kill: () => end(true) };
}

function pendingDeliveries(client: PoolClient, subscriptionId: string, limit: number): Promise<DueDelivery[]> {
  return client
    .query(
      `SELECT d.id::text, d.attempts, d.next_attempt_at <= now() AS due, s.paused, e.id::text AS event_id, e.type,
              e.record_type, e.record_id::text, e.version, e.occurred_at, s.url, s.secret,
              CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END AS previous_secret
       FROM webhook_delivery d JOIN webhook_event e ON e.seq = d.event_seq JOIN webhook_subscription s ON s.id = d.subscription_id
       WHERE d.subscription_id = $1 AND d.status = 'PENDING' AND ${SUBSCRIBER_ACTIVE} ORDER BY d.event_seq LIMIT $2`,
      [subscriptionId, limit],
    )
    .then(({ rows }) => rows);
}
