/// <reference types="jest" />
// (The reference above keeps `npm run build`, whose tsconfig loads only Node's types, compiling this file.)
//
// The encryption of raw seller identifiers, no database: a value reads back only on its own row and under
// a key the server holds; anything altered is refused.
import { randomBytes } from 'node:crypto';
import { IdentifierEncryptionSettings, loadFeatureSettings } from '../../shared/settings.js';
import {
  decryptIdentifier,
  encryptIdentifier,
  EncryptedValue,
  identifierAssociatedData,
  IdentifierDecryptionError,
} from './identifier-cipher.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const settings = (currentKeyId: string, keys: Record<string, Buffer>): IdentifierEncryptionSettings => ({
  currentKeyId,
  keys: new Map(Object.entries(keys)),
});
const underA = settings('a', { a: keyA });
const row = identifierAssociatedData('17', 'PHONE', 'hash-of-the-phone');
const RAW = '+86 138 0000 0001';

/** The same stored value with one base64url character of part `index` (iv, tag, ciphertext) changed. */
function alter(value: EncryptedValue, index: number): EncryptedValue {
  const parts = value.valueEncrypted.split('.');
  const bytes = Buffer.from(parts[index], 'base64url');
  bytes[0] ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return { ...value, valueEncrypted: parts.join('.') };
}

describe('identifier encryption', () => {
  it('reads back the raw value on its own row, and stores neither it nor a fixed encoding of it', () => {
    const first = encryptIdentifier(underA, row, RAW);
    const second = encryptIdentifier(underA, row, RAW);
    expect(first.keyId).toBe('a');
    expect(first.valueEncrypted).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(first.valueEncrypted).not.toContain(Buffer.from(RAW).toString('base64url'));
    expect(first.valueEncrypted).not.toBe(second.valueEncrypted);
    expect(decryptIdentifier(underA, row, first)).toBe(RAW);
    expect(decryptIdentifier(underA, row, second)).toBe(RAW);
  });

  it('binds a value to its row: copied onto another seller, kind or hash, it does not decrypt', () => {
    const stored = encryptIdentifier(underA, row, RAW);
    for (const other of [
      identifierAssociatedData('18', 'PHONE', 'hash-of-the-phone'),
      identifierAssociatedData('17', 'EMAIL', 'hash-of-the-phone'),
      identifierAssociatedData('17', 'PHONE', 'another-hash'),
    ])
      expect(() => decryptIdentifier(underA, other, stored)).toThrow(IdentifierDecryptionError);
  });

  it.each([
    ['the IV', 0],
    ['the authentication tag', 1],
    ['the ciphertext', 2],
  ])('refuses a value whose %s was altered', (_part, index) => {
    const stored = encryptIdentifier(underA, row, RAW);
    expect(() => decryptIdentifier(underA, row, alter(stored, index))).toThrow(/failed authentication/);
  });

  it.each([
    ['two parts', 'aaaa.bbbb'],
    ['four parts', 'aaaa.bbbb.cccc.dddd'],
    ['no separator', 'aaaabbbbcccc'],
    ['the empty string', ''],
  ])('refuses a malformed value (%s)', (_what, valueEncrypted) => {
    expect(() => decryptIdentifier(underA, row, { keyId: 'a', valueEncrypted })).toThrow(IdentifierDecryptionError);
  });

  it('refuses a value under a key id the server does not hold, naming the setting to add it to', () => {
    const stored = encryptIdentifier(settings('b', { b: keyB }), row, RAW);
    expect(() => decryptIdentifier(underA, row, stored)).toThrow(
      'No identifier encryption key with id "b" is configured (IDENTIFIER_ENCRYPTION_OLD_KEYS)',
    );
  });

  it('refuses a value whose key id was swapped for another key the server holds', () => {
    const both = settings('a', { a: keyA, b: keyB });
    const stored = encryptIdentifier(both, row, RAW);
    expect(() => decryptIdentifier(both, row, { ...stored, keyId: 'b' })).toThrow(/failed authentication/);
  });

  it('after a rotation, writes under the new key and still reads values under the retired one', () => {
    const before = encryptIdentifier(underA, row, RAW);
    const rotated = settings('b', { b: keyB, a: keyA });
    const after = encryptIdentifier(rotated, row, RAW);
    expect(after.keyId).toBe('b');
    expect(decryptIdentifier(rotated, row, before)).toBe(RAW);
    expect(decryptIdentifier(rotated, row, after)).toBe(RAW);
  });

  it('reads keys from the environment: the current one, and retired ones as id:key', () => {
    const hex = keyB.toString('hex');
    const loaded = loadFeatureSettings({
      IDENTIFIER_ENCRYPTION_KEY: keyA.toString('base64'),
      IDENTIFIER_ENCRYPTION_KEY_ID: 'k2',
      IDENTIFIER_ENCRYPTION_OLD_KEYS: `k1:${hex}`,
    }).identifierEncryption;
    expect(loaded.currentKeyId).toBe('k2');
    expect(loaded.keys.get('k2')).toEqual(keyA);
    expect(loaded.keys.get('k1')).toEqual(keyB);
    const stored = encryptIdentifier(loaded, row, RAW);
    expect(decryptIdentifier(settings('k2', { k2: keyA }), row, stored)).toBe(RAW);
  });

  it.each([
    ['a key of the wrong length', { IDENTIFIER_ENCRYPTION_KEY: randomBytes(16).toString('base64') }],
    ['an old key without an id', { IDENTIFIER_ENCRYPTION_OLD_KEYS: keyB.toString('hex') }],
    ['an old key under the current key id', { IDENTIFIER_ENCRYPTION_OLD_KEYS: `k1:${keyB.toString('hex')}` }],
    ['no key in production', { NODE_ENV: 'production' }],
  ])('refuses %s, without quoting any key', (_what, env) => {
    let message = '';
    try {
      loadFeatureSettings(env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/IDENTIFIER_ENCRYPTION/);
    expect(message).not.toContain(keyB.toString('hex'));
  });
});
