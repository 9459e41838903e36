import http from 'node:http';
import { AddressInfo } from 'node:net';
import pino from 'pino';
import { startWebhookWorker, WebhookWorker } from '../../src/modules/webhook/webhook-worker';
import { WebhookSettings } from '../../src/modules/webhook/webhook.settings';
import { mutate } from '../support/cases';
import { TestServer } from '../support/server';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; occurredAt: string; data: { id: string; version: number | null } };
}

/** How the receiver answers the next requests: 200, 500, never (holds the request), or 200 after a pause. */
export type Mode = 'ok' | 'fail' | 'hang' | 'slow';

/** A local webhook receiver on 127.0.0.1 that records every request and answers as told. */
export class Receiver {
  readonly received: Received[] = [];
  /** Requests held open in `hang` mode, answered (or dropped) later. */
  readonly held: http.ServerResponse[] = [];
  mode: Mode = 'ok';
  private server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.received.push({ headers: request.headers, body, event: JSON.parse(body) });
      if (this.mode === 'fail') response.writeHead(500).end('failing on purpose');
      else if (this.mode === 'hang') this.held.push(response);
      else if (this.mode === 'slow') setTimeout(() => response.writeHead(204).end(), 300);
      else response.writeHead(204).end();
    });
  });

  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Event ids in the order first received. */
  firstSeen(): string[] {
    return [...new Set(this.received.map((r) => r.event.id))];
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export const TEST_SETTINGS: WebhookSettings = {
  worker: true,
  maxAttempts: 4,
  timeoutMs: 500,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  pollMs: 50,
  secretOverlapMs: 3_600_000,
  deadlineNoticeMs: 0,
  retentionMs: 30 * 86_400_000,
};

export function testWorker(ownerUrl: string, settings: Partial<WebhookSettings> = {}): Promise<WebhookWorker> {
  return startWebhookWorker({
    ownerUrl,
    settings: { ...TEST_SETTINGS, ...settings },
    policy: { production: false },
    logger: pino({ level: 'silent' }),
    concurrency: 4,
  });
}

export { waitFor } from '../support/wait-for';

export const SECRET = 'test-secret-0123456789abcdef';

export async function subscribe(
  server: TestServer,
  token: string,
  url: string,
  events: string[],
  secret = SECRET,
): Promise<{ id: string; version: number }> {
  const { webhookSubscription } = await mutate(
    server,
    token,
    'createWebhookSubscription',
    { url, events, secret },
    'webhookSubscription { id version url events paused }',
  );
  return webhookSubscription;
}
