import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress, ReceiverPolicy } from './webhook-url.js';

export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * POSTs one webhook: no redirect followed (a 3xx is a failure), the answer's body read and dropped, the whole
 * attempt bounded by `signal` (the timeout, or the worker stopping). In production the address connected to
 * is checked (guardedLookup; an address written in the URL is checked here): no request reaches a private one.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: ReceiverPolicy,
  signal: AbortSignal,
): Promise<SendResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (policy.production && (target.protocol !== 'https:' || (isIP(host) && isPrivateAddress(host))))
    return Promise.resolve({
      ok: false,
      status: null,
      error: `refused: ${target.protocol} ${host} is not a public https receiver`,
    });
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        lookup: guardedLookup(policy) as never,
        signal,
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        response.on('data', () => undefined);
        response.on('error', (error) => resolve({ ok: false, status, error: error.message }));
        response.on('end', () =>
          resolve({
            ok: status >= 200 && status < 300,
            status,
            error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
          }),
        );
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        status: null,
        error: signal.aborted ? `no answer in time (${String(signal.reason?.name ?? 'aborted')})` : error.message,
      }),
    );
    request.end(body);
  });
}
