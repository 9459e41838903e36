import { generateKeyPairSync } from 'node:crypto';
import { postWebhook } from '../../src/modules/webhook/webhook-sender';
import { verifySignature } from '../../src/modules/webhook/webhook-signature';
import { checkReceiverUrl, isPrivateAddress } from '../../src/modules/webhook/webhook-url';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { mutate, refused } from '../support/cases';
import { useTestServer } from '../support/harness';
import { startTestServer, TestServer } from '../support/server';
import { Receiver, SECRET, subscribe, testWorker, waitFor } from './support';

let production: TestServer | undefined;
const { db, world, server } = useTestServer({ beforeClose: async () => production?.close() });

const report = (description: string) =>
  mutate(server, world.keys.brandA, 'reportLead', { description, sellerIds: [world.gid.sellerA] }, 'lead { id }');

async function deliveries(subscriptionGid: string) {
  return db.dataSource.query(
    `SELECT d.status, d.attempts, d.event_id::text FROM webhook_delivery d WHERE d.subscription_id = $1 ORDER BY d.event_seq`,
    [decodeGlobalId(subscriptionGid).rowId],
  );
}

describe('webhook delivery under failure', () => {
  it('loses nothing when the worker is killed mid-delivery: the next worker sends it again, then the rest in order', async () => {
    const receiver = await new Receiver().start();
    const subscription = await subscribe(server, world.keys.investigator, receiver.url, ['LEAD_STATUS_CHANGED']);
    receiver.mode = 'hang';
    const first = await testWorker(db.url, { timeoutMs: 60_000 });
    let second;
    try {
      await report('killed mid-delivery 1');
      await waitFor('the receiver holding the first request', () => receiver.held.length === 1);
      await first.kill();
      // Killed while the receiver held the request: not marked delivered, no attempt recorded.
      expect(await deliveries(subscription.id)).toEqual([expect.objectContaining({ status: 'PENDING', attempts: 0 })]);
      await report('killed mid-delivery 2');
      receiver.mode = 'ok';
      second = await testWorker(db.url);
      await waitFor('both delivered', async () => {
        const rows = await deliveries(subscription.id);
        return rows.length === 2 && rows.every((d: { status: string }) => d.status === 'DELIVERED');
      });
    } finally {
      await first.kill();
      await second?.stop();
      await receiver.close();
    }
    const stored = await deliveries(subscription.id);
    // At least once: the first event twice (the cut attempt, then the new worker's), then the second, in order.
    expect(receiver.received.map((r) => r.event.id)).toEqual([
      stored[0].event_id,
      stored[0].event_id,
      stored[1].event_id,
    ]);
    expect(stored.map((d: { attempts: number }) => d.attempts)).toEqual([1, 1]);
  });

  it('signs with the new and the previous secret during a rotation', async () => {
    const receiver = await new Receiver().start();
    const subscription = await subscribe(server, world.keys.investigator, receiver.url, ['LEAD_STATUS_CHANGED']);
    const rotated = 'the-new-secret-0123456789abcdef';
    const { webhookSubscription } = await mutate(
      server,
      world.keys.investigator,
      'rotateWebhookSecret',
      { subscriptionId: subscription.id, expectedVersion: subscription.version, secret: rotated },
      'webhookSubscription { version previousSecretExpiresAt }',
    );
    expect(webhookSubscription.version).toBe(subscription.version + 1);
    const [stored] = await db.dataSource.query(
      'SELECT secret, previous_secret, previous_secret_expires_at > now() AS overlapping FROM webhook_subscription WHERE id = $1',
      [decodeGlobalId(subscription.id).rowId],
    );
    expect(stored).toEqual({ secret: rotated, previous_secret: SECRET, overlapping: true });
    const worker = await testWorker(db.url);
    try {
      await report('after a rotation');
      await waitFor('the delivery', () => receiver.received.length === 1);
    } finally {
      await worker.stop();
      await receiver.close();
    }
    const [{ headers, body }] = receiver.received;
    const header = String(headers['webhook-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, body, rotated)).toBe(true);
    expect(verifySignature(header, body, SECRET)).toBe(true);
    expect(verifySignature(header, body, SECRET, { now: Date.now() + 3_600_000 })).toBe(false);
  });

  it('writes no outbox row for a change that was refused', async () => {
    const [{ n: before }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_event');
    const { lead } = await report('refused later');
    const [{ n: reported }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_event');
    expect(reported).toBe(before + 1);
    // Closing it with a stale version is refused: no change, no event.
    const errors = await refused(server, world.keys.investigator, 'closeLead', {
      leadId: lead.id,
      expectedVersion: 99,
      reason: 'DUPLICATE',
    });
    expect(errors.length).toBe(1);
    const [{ n: after }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_event');
    expect(after).toBe(reported);
  });
});

describe('no server-side request forgery', () => {
  const policy = { production: true };

  it('judges private, loopback, link-local and reserved addresses, IPv4-mapped ones too', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
    ])
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
  });

  it('refuses in production an http URL, or a host on a private address, with the reason, and stores nothing', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    production = await startTestServer(db, {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://api:s3cret@db.internal:5432/enforcement',
      IDENTIFIER_HASH_KEY: 'a-production-secret-of-at-least-32-characters',
      CURSOR_KEY: 'c0'.repeat(32),
      EVIDENCE_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
      AUDIT_SIGNING_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    });
    const [{ n: before }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_subscription');
    const attempt = (url: string) =>
      refused(production!, world.keys.investigator, 'createWebhookSubscription', {
        url,
        events: ['LEAD_STATUS_CHANGED'],
        secret: 'a-secret-of-24-characters!',
      });
    expect(await attempt('http://hooks.example.com/x')).toEqual([
      { code: 'INVALID', field: ['input', 'url'], message: 'The URL must use https (got http).' },
    ]);
    for (const [url, address] of [
      ['https://127.0.0.1/x', '127.0.0.1'],
      ['https://169.254.169.254/latest/meta-data', '169.254.169.254'],
      ['https://[::ffff:10.0.0.1]/x', '::ffff:a00:1'],
      ['https://localhost/x', '127.0.0.1'],
    ])
      expect(await attempt(url)).toEqual([
        {
          code: 'INVALID',
          field: ['input', 'url'],
          message: expect.stringContaining(`resolves to ${address}, a private`),
        },
      ]);
    const [{ n: after }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_subscription');
    expect(after).toBe(before);
    // Outside production the same local receiver is allowed (development and tests).
    await expect(checkReceiverUrl('http://127.0.0.1:8080/x', { production: false })).resolves.toBeInstanceOf(URL);
  });

  it('refuses at delivery, in production, a name that now resolves to a private address, without connecting', async () => {
    const receiver = await new Receiver().start();
    const port = new URL(receiver.url).port;
    try {
      const result = await postWebhook(`https://localhost:${port}/hooks`, '{}', {}, policy, AbortSignal.timeout(5000));
      expect(result).toMatchObject({ ok: false, status: null, error: expect.stringContaining('private address') });
      const plain = await postWebhook(receiver.url, '{}', {}, policy, AbortSignal.timeout(5000));
      expect(plain).toMatchObject({ ok: false, error: expect.stringContaining('not a public https receiver') });
    } finally {
      await receiver.close();
    }
    expect(receiver.received).toEqual([]);
  });
});
