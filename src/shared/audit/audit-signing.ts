import { createPublicKey, sign, verify } from 'node:crypto';
import { AuditConfig } from '../config.js';
import { rawPublicKey } from '../ed25519-keys.js';
import type { Hash } from './merkle.js';

/**
 * What the audit log's Ed25519 key signs (README, "Verifying the audit log"):
 *
 * - every appended event: Ed25519 over its leaf hash (merkle.ts), so that an event written by anyone
 *   without the key (a database role, an insider) has no valid signature;
 * - checkpoints: a note text in the manner of Go's sumdb and C2SP's tlog-checkpoint,
 *   `<origin>\n<tree size>\n<base64 root hash>\n<timestamp>\n`, which commits to the whole log of that
 *   size. A partner keeps one and later asks for a consistency proof to a newer one.
 *
 * The key never enters the database; its public part (and retired ones) is published at GET /audit/keys.
 */

/** First line of every checkpoint note: which log it speaks for. */
export const AUDIT_LOG_ORIGIN = 'eca-audit-log';

export interface SignedCheckpoint {
  origin: string;
  treeSize: number;
  /** MTH of the first treeSize events, base64. */
  rootHash: string;
  /** When it was signed, ISO 8601 (UTC, milliseconds). */
  timestamp: string;
  keyId: string;
  /** Ed25519 over the UTF-8 bytes of `note`, base64. */
  signature: string;
  /** The signed text: origin, tree size, root hash and timestamp, one per line. */
  note: string;
}

export function checkpointNote(treeSize: number, rootHash: Hash, timestamp: Date): string {
  return `${AUDIT_LOG_ORIGIN}\n${treeSize}\n${rootHash.toString('base64')}\n${timestamp.toISOString()}\n`;
}

/** The fields of a note, or null if it is not one of this log's notes. */
export function parseNote(
  note: string,
): { origin: string; treeSize: number; rootHash: Buffer; timestamp: Date } | null {
  const match = /^([^\n]+)\n(\d{1,16})\n([A-Za-z0-9+/]{43}=)\n(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\n$/.exec(note);
  if (!match) return null;
  return {
    origin: match[1],
    treeSize: Number(match[2]),
    rootHash: Buffer.from(match[3], 'base64'),
    timestamp: new Date(match[4]),
  };
}

/** Signs a checkpoint of the first `treeSize` events. */
export function signCheckpoint(
  audit: AuditConfig,
  treeSize: number,
  rootHash: Hash,
  timestamp = new Date(),
): SignedCheckpoint {
  const note = checkpointNote(treeSize, rootHash, timestamp);
  return {
    origin: AUDIT_LOG_ORIGIN,
    treeSize,
    rootHash: rootHash.toString('base64'),
    timestamp: timestamp.toISOString(),
    keyId: audit.keyId,
    signature: sign(null, Buffer.from(note, 'utf8'), audit.signingKey).toString('base64'),
    note,
  };
}

export type SignatureCheck = 'valid' | 'invalid' | 'unknown-key';

/** Whether a checkpoint is one this log signed: its signature, and its fields agreeing with its note. */
export function checkCheckpoint(audit: Pick<AuditConfig, 'publicKeys'>, checkpoint: SignedCheckpoint): SignatureCheck {
  const key = audit.publicKeys.get(checkpoint.keyId);
  if (!key) return 'unknown-key';
  const fields = parseNote(checkpoint.note);
  const agrees =
    fields !== null &&
    fields.origin === AUDIT_LOG_ORIGIN &&
    fields.treeSize === checkpoint.treeSize &&
    fields.rootHash.toString('base64') === checkpoint.rootHash &&
    fields.timestamp.toISOString() === checkpoint.timestamp;
  if (!agrees) return 'invalid';
  return safeVerify(Buffer.from(checkpoint.note, 'utf8'), key, Buffer.from(checkpoint.signature, 'base64'))
    ? 'valid'
    : 'invalid';
}

/** Signs an event's leaf hash (about 70 µs): appended by the server under the chain's lock. */
export function signLeaf(audit: AuditConfig, leaf: Hash): Buffer {
  return sign(null, leaf, audit.signingKey);
}

/**
 * Whether an event's signature is valid. Ed25519 signing is deterministic (RFC 8032), so a signature of
 * the current key is checked by signing again and comparing, half the cost of a verification; any other
 * value (another key, a forgery) is verified the ordinary way.
 */
export function checkLeafSignature(
  audit: AuditConfig,
  leaf: Hash,
  keyId: string | null,
  signature: Buffer | null,
): SignatureCheck {
  if (!keyId || !signature) return 'invalid';
  if (keyId === audit.keyId && signLeaf(audit, leaf).equals(signature)) return 'valid';
  const key = audit.publicKeys.get(keyId);
  if (!key) return 'unknown-key';
  return safeVerify(leaf, key, signature) ? 'valid' : 'invalid';
}

function safeVerify(message: Buffer, key: ReturnType<typeof createPublicKey>, signature: Buffer): boolean {
  try {
    return verify(null, message, key, signature);
  } catch {
    return false; // a signature of the wrong length
  }
}

/** GET /audit/keys: every public key that verifies this log, with its id. */
export function publicKeysDocument(audit: AuditConfig): {
  origin: string;
  keys: { keyId: string; algorithm: 'Ed25519'; publicKey: string; publicKeyPem: string; current: boolean }[];
} {
  return {
    origin: AUDIT_LOG_ORIGIN,
    keys: [...audit.publicKeys].map(([keyId, key]) => ({
      keyId,
      algorithm: 'Ed25519',
      publicKey: rawPublicKey(key).toString('base64'),
      publicKeyPem: key.export({ format: 'pem', type: 'spki' }).toString(),
      current: keyId === audit.keyId,
    })),
  };
}
