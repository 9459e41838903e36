import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { decodeKey } from './config-values.js';

/** Ed25519 keys from the forms the settings and GET /audit/keys give them in. */

/** DER prefix of a PKCS#8 Ed25519 private key, before its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 private key of a 32-byte seed. */
export function ed25519KeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The 32 raw bytes of an Ed25519 public key (RFC 8032), as published at GET /audit/keys. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

/** An Ed25519 public key from its 32 raw bytes. */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** AUDIT_SIGNING_KEY: a PKCS#8 PEM, or a 32-byte seed in base64 or hex; null when it is neither. */
export function parseSigningKey(raw: string): KeyObject | null {
  try {
    if (raw.includes('-----BEGIN')) {
      const key = createPrivateKey(raw.replace(/\\n/g, '\n'));
      return key.asymmetricKeyType === 'ed25519' ? key : null;
    }
    const seed = decodeKey(raw);
    return seed ? ed25519KeyFromSeed(seed) : null;
  } catch {
    return null;
  }
}
