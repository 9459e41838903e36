import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IdentifierEncryptionSettings } from '../../shared/settings.js';

/**
 * Authenticated encryption (AES-256-GCM) of raw seller identifiers. The stored form is
 * `base64url(iv).base64url(tag).base64url(ciphertext)` with the id of the key beside it, so that keys can
 * be rotated (new values under the new key, old ones still readable with the retired key). The associated
 * data binds a value to its row (seller, kind and keyed hash): a ciphertext copied onto another row does
 * not decrypt.
 */
export interface EncryptedValue {
  valueEncrypted: string;
  keyId: string;
}

export const identifierAssociatedData = (sellerId: string, kind: string, valueHash: string) =>
  `seller_identifier:${sellerId}:${kind}:${valueHash}`;

export function encryptIdentifier(
  settings: IdentifierEncryptionSettings,
  associatedData: string,
  raw: string,
): EncryptedValue {
  const key = settings.keys.get(settings.currentKeyId)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(raw, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return {
    valueEncrypted: [iv, tag, ciphertext].map((part) => part.toString('base64url')).join('.'),
    keyId: settings.currentKeyId,
  };
}

export class IdentifierDecryptionError extends Error {}

/** The raw value; throws IdentifierDecryptionError when the key is unknown or the value or its row was altered. */
export function decryptIdentifier(
  settings: IdentifierEncryptionSettings,
  associatedData: string,
  value: EncryptedValue,
): string {
  const key = settings.keys.get(value.keyId);
  if (!key)
    throw new IdentifierDecryptionError(
      `No identifier encryption key with id "${value.keyId}" is configured (IDENTIFIER_ENCRYPTION_OLD_KEYS)`,
    );
  const parts = value.valueEncrypted.split('.');
  if (parts.length !== 3) throw new IdentifierDecryptionError('Malformed encrypted identifier');
  const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, 'base64url'));
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new IdentifierDecryptionError(
      'An encrypted identifier failed authentication: altered, moved to another row, or under another key',
    );
  }
}
