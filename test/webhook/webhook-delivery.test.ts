import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifySignature } from '../../src/modules/webhook/webhook-signature';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';
import { Receiver, SECRET, subscribe, testWorker, waitFor } from './support';

const { db, world, server } = useTestServer();

/** The receiver's check as the README shows it (section "Webhooks"), run as written. */
function readmeVerifier(): (header: string, body: string, secret: string) => boolean {
  const readme = readFileSync(`${__dirname}/../../README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Webhooks'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1];
  const body = code.replace(/^import .*\n/m, '').replace('export function', 'return function');
  return new Function('createHmac', 'timingSafeEqual', 'Buffer', body)(createHmac, timingSafeEqual, Buffer);
}

/** The deliveries of a subscription as stored, in event order, with their event. */
async function deliveriesOf(subscriptionGid: string) {
  const id = Buffer.from(subscriptionGid, 'base64').toString().split(':')[1];
  return db.dataSource.query(
    `SELECT d.status, d.attempts, d.last_response_status, e.id::text AS event_id, e.type, e.record_type, e.record_id::text, e.version
     FROM webhook_delivery d JOIN webhook_event e ON e.seq = d.event_seq WHERE d.subscription_id = $1 ORDER BY d.event_seq`,
    [id],
  );
}

describe('webhook delivery', () => {
  it('delivers every event of a brand, in order, signed, through a receiver that fails, times out, answers slowly, then recovers', async () => {
    const receiver = await new Receiver().start();
    receiver.mode = 'fail';
    const subscription = await subscribe(server, world.keys.brandA, receiver.url, [
      'LEAD_STATUS_CHANGED',
      'CASE_STATUS_CHANGED',
    ]);
    // Attempts enough for the failures and time-outs below (each attempt has WEBHOOK_TIMEOUT_MS 500 ms here).
    const worker = await testWorker(db.url, { maxAttempts: 20 });
    try {
      await buildCase(server, world, { referTo: world.gid.agencyX });
      await waitFor('failed attempts', () => receiver.received.length >= 3);
      receiver.mode = 'hang';
      await waitFor('an attempt timed out', async () => {
        const [{ n }] = await db.dataSource.query(
          `SELECT count(*)::int AS n FROM webhook_delivery WHERE subscription_id = $1 AND last_error LIKE 'no answer in time%'`,
          [Buffer.from(subscription.id, 'base64').toString().split(':')[1]],
        );
        return n > 0;
      });
      receiver.mode = 'slow';
      await waitFor('a slow answer', async () =>
        (await deliveriesOf(subscription.id)).some((d: any) => d.status === 'DELIVERED'),
      );
      receiver.mode = 'ok';
      await waitFor('every delivery', async () =>
        (await deliveriesOf(subscription.id)).every((d: any) => d.status === 'DELIVERED'),
      );
    } finally {
      await worker.stop();
      await receiver.close();
    }
    const stored = await deliveriesOf(subscription.id);
    // The case moved the lead (reported, triaged, investigating, referred) and the investigation (opened, ...).
    expect(stored.map((d: any) => d.type)).toEqual(
      expect.arrayContaining(['LEAD_STATUS_CHANGED', 'CASE_STATUS_CHANGED']),
    );
    expect(stored.length).toBeGreaterThanOrEqual(6);
    // In order: the first arrival of each event follows the event order, and nothing else arrived.
    expect(receiver.firstSeen()).toEqual(stored.map((d: any) => d.event_id));
    expect(stored.some((d: any) => d.attempts > 1)).toBe(true);
    const verified = readmeVerifier();
    for (const request of receiver.received) {
      expect(verified(String(request.headers['webhook-signature']), request.body, SECRET)).toBe(true);
      expect(verified(String(request.headers['webhook-signature']), `${request.body} `, SECRET)).toBe(false);
      expect(verifySignature(String(request.headers['webhook-signature']), request.body, SECRET)).toBe(true);
      expect(
        verifySignature(String(request.headers['webhook-signature']), request.body, 'another-secret-0123456789'),
      ).toBe(false);
      expect(request.headers['webhook-id']).toBe(request.event.id);
    }
    // The payload: the event and the record's global id and version, nothing more.
    const last = receiver.received[receiver.received.length - 1];
    const row = stored[stored.length - 1];
    expect(last.event).toEqual({
      id: row.event_id,
      type: row.type,
      occurredAt: expect.any(String),
      data: { id: toGlobalId(row.record_type, row.record_id), version: row.version },
    });
  });

  it('dead-letters a delivery after the configured attempts, goes on with the next, and redelivers it on request', async () => {
    const receiver = await new Receiver().start();
    receiver.mode = 'fail';
    const subscription = await subscribe(server, world.keys.investigator, receiver.url, ['LEAD_STATUS_CHANGED']);
    const worker = await testWorker(db.url, { maxAttempts: 2 });
    try {
      const { lead } = await mutate(
        server,
        world.keys.brandA,
        'reportLead',
        { description: 'dead letter', sellerIds: [world.gid.sellerA] },
        'lead { id }',
      );
      await waitFor('a dead letter', async () =>
        (await deliveriesOf(subscription.id)).some((d: any) => d.status === 'DEAD'),
      );
      const [dead] = await deliveriesOf(subscription.id);
      expect(dead).toMatchObject({ status: 'DEAD', attempts: 2, last_response_status: 500 });
      expect(dead.record_id).toBe(Buffer.from(lead.id, 'base64').toString().split(':')[1]);
      receiver.mode = 'ok';
      // The log as the subscriber reads it, then redeliver.
      const listed = await server.gql(
        world.keys.investigator,
        `{ webhookSubscriptions(first: 5) { nodes { id deliveries(first: 5) { nodes { id version status attempts lastResponseStatus eventId } } } } }`,
      );
      const [entry] = listed.body.data.webhookSubscriptions.nodes[0].deliveries.nodes;
      expect(entry).toMatchObject({ status: 'DEAD', attempts: 2, lastResponseStatus: 500, eventId: dead.event_id });
      await mutate(
        server,
        world.keys.investigator,
        'redeliverWebhookDelivery',
        { deliveryId: entry.id, expectedVersion: entry.version },
        'webhookDelivery { status attempts }',
      );
      await waitFor('the redelivery', async () => (await deliveriesOf(subscription.id))[0].status === 'DELIVERED');
    } finally {
      await worker.stop();
      await receiver.close();
    }
    expect(receiver.received.filter((r) => r.event.id === receiver.received[0].event.id)).toHaveLength(3);
  });
});
