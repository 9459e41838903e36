#!/usr/bin/env node
// Webhook deliveries per second: EVENTS outbox events (as changes write them) fanned out to SUBSCRIPTIONS
// subscriptions of one internal principal, and delivered by one worker (pg-boss on the same PostgreSQL) to a
// local receiver on 127.0.0.1 that answers 204 at once. Measures from the worker's start to the last
// delivery marked DELIVERED: fan-out (with its scope check), signing, HTTP and the delivery log's writes.
// Checks that each subscription received its events in order, once.
//
//   npm run build && node bench/webhook-delivery.mjs [--events 200] [--subscriptions 10] [--concurrency 10]
//
// --pg URL  a PostgreSQL server and a login that may create databases (default postgres://postgres@127.0.0.1:5432)
import 'reflect-metadata';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';

const require = createRequire(import.meta.url);
const { createDataSource, migrate } = require('../dist/src/database/data-source.js');
const { startWebhookWorker } = require('../dist/src/modules/webhook/webhook-worker.js');

const { values: args } = parseArgs({
  options: {
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    events: { type: 'string', default: '200' },
    subscriptions: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '10' },
  },
});
const EVENTS = Number(args.events);
const SUBSCRIPTIONS = Number(args.subscriptions);
const NAME = 'eca_bench_webhooks';
const admin = new pg.Client({ connectionString: `${args.pg}/postgres` });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${NAME}`);
const url = `${args.pg}/${NAME}`;

const received = new Map(); // path -> event ids in arrival order
const receiver = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (c) => chunks.push(c));
  request.on('end', () => {
    const { id } = JSON.parse(Buffer.concat(chunks).toString());
    received.set(request.url, [...(received.get(request.url) ?? []), id]);
    response.writeHead(204).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = receiver.address().port;

const owner = createDataSource({ url, poolSize: 2 });
await owner.initialize();
let worker;
try {
  await migrate(owner);
  const [{ id: principal }] = await owner.query(
    `INSERT INTO principal (name, role) VALUES ('bench', 'ADMIN') RETURNING id`,
  );
  const [{ id: lead }] = await owner.query(
    `INSERT INTO lead (reference, source, description, status) VALUES ('LD-BENCH-1', 'TIP', 'bench', 'NEW') RETURNING id`,
  );
  await owner.query(
    `INSERT INTO webhook_subscription (principal_id, url, events, secret, created_at)
     SELECT $1, 'http://127.0.0.1:${port}/s' || i, '{LEAD_STATUS_CHANGED}', 'bench-secret-0123456789abcdef', now() - interval '1 minute'
     FROM generate_series(1, $2) i`,
    [principal, SUBSCRIPTIONS],
  );
  await owner.query(
    `INSERT INTO webhook_event (seq, id, type, record_type, record_id, version, occurred_at)
     SELECT i, gen_random_uuid(), 'LEAD_STATUS_CHANGED', 'Lead', $1, i, now() FROM generate_series(1, $2) i`,
    [lead, EVENTS],
  );
  const deliveries = EVENTS * SUBSCRIPTIONS;
  const started = process.hrtime.bigint();
  worker = await startWebhookWorker({
    ownerUrl: url,
    settings: {
      worker: true,
      maxAttempts: 8,
      timeoutMs: 10_000,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
      pollMs: 100,
      secretOverlapMs: 0,
      deadlineNoticeMs: 0,
    },
    policy: { production: false },
    logger: pino({ level: 'warn' }),
    concurrency: Number(args.concurrency),
  });
  for (;;) {
    const [{ n }] = await owner.query(`SELECT count(*)::int AS n FROM webhook_delivery WHERE status = 'DELIVERED'`);
    if (n === deliveries) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ids = (await owner.query(`SELECT id::text FROM webhook_event ORDER BY seq`)).map((r) => r.id);
  const inOrder = [...received.values()].every((got) => got.join() === ids.join());
  console.log(
    JSON.stringify({
      events: EVENTS,
      subscriptions: SUBSCRIPTIONS,
      deliveries,
      seconds: Number(seconds.toFixed(2)),
      deliveriesPerSecond: Math.round(deliveries / seconds),
      inOrderOncePerSubscription: inOrder && received.size === SUBSCRIPTIONS,
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
      cpus: os.cpus().length,
    }),
  );
} finally {
  await worker?.stop();
  await owner.destroy();
  receiver.close();
  await admin.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await admin.end();
}
