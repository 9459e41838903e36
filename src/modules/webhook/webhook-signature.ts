import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures in Stripe's manner: `Webhook-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`, each v1
 * the HMAC-SHA256 of `<t>.<raw body>` under one of the subscription's secrets (the current one, and during a
 * rotation the previous one too). A receiver accepts the request when one v1 matches a secret it knows and t
 * is recent (it bounds replays).
 */
export const SIGNATURE_HEADER = 'webhook-signature';

/** A new signing secret: `whsec_` and 32 random bytes in base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header's value for `body`, signed at `timestamp` with every secret given (current first). */
export function signatureHeader(secrets: string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${signatureOf(secret, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does (README, "Webhooks"): true when one v1 of `header` is the signature of `body` under
 * `secret` and its t is within `toleranceSeconds` of `now`.
 */
export function verifySignature(
  header: string,
  body: string,
  secret: string,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const parts = header.split(',').map((part) => part.split('=', 2) as [string, string]);
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  return parts.some(([key, value]) => {
    if (key !== 'v1' || !/^[0-9a-f]{64}$/.test(value)) return false;
    return timingSafeEqual(Buffer.from(value, 'hex'), expected);
  });
}
