import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { badInput } from '../errors.js';

// Keyset cursors: the sort value and primary key of the last row seen, never an offset, so that a page
// is as fast at the end of a list as at its start and rows inserted meanwhile do not shift pages.
//
// A cursor is opaque and checked before any of it reaches SQL: the position is encrypted with AES-256-GCM
// under the server's cursor key (CURSOR_KEY), with what the cursor is bound to (its list, ordering,
// direction and caller: CursorBinding) as associated data. That data is not stored in the cursor: a
// cursor decrypts only where it was made, so one of another list, parent, order, direction or caller, an
// altered one and garbage are all refused alike, before the database is asked anything, and the values
// inside (e.g. the audit chain's `seq`) can be neither read nor forged. What decrypts is then checked
// against the types of the ordering's columns (CursorValueKind).
//
// Layout (base64url): version (1 byte) | key id (1 byte) | IV (12 bytes) | GCM tag (16 bytes) | ciphertext.
// The key id picks the key among CURSOR_KEY and CURSOR_OLD_KEYS, so that cursors stored by clients (an
// agency's sync position) survive a key rotation for as long as the old key is kept.

export type SortValue = string | number | Date;

/** A position in a list: the sort value of the last row seen and its tie breaker (the primary key). */
export interface CursorPosition {
  value: SortValue;
  rowId: string;
}

/** What a cursor is valid for; all of it must match for a cursor to decrypt. */
export interface CursorBinding {
  /** The list: a root list's name, or a nested list's entity, link and parent id. */
  list: string;
  /** The ordering's key (e.g. CREATED_AT) and direction. */
  ordering: string;
  direction: string;
  /** Whose cursor it is: the caller's tenant (brand, agency) or, for internal roles, the principal. */
  caller: string;
}

/** The keys cursors are encrypted with: new ones under `current`, old ones still read with `old`. */
export interface CursorKeys {
  current: Buffer;
  old: readonly Buffer[];
}

/**
 * What a decrypted value must be, after the type of its column: a timestamp (ISO 8601, read back as a
 * Date), an int4 (a safe integer in range), an int8 (a decimal string in range), a numeric (a finite
 * decimal string or number), a float (a finite number), or text (a string of bounded length without NUL).
 */
export type CursorValueKind = 'timestamp' | 'integer' | 'bigint' | 'numeric' | 'float' | 'text';

export interface CursorKinds {
  value: CursorValueKind;
  rowId: CursorValueKind;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 2 + IV_BYTES + TAG_BYTES;
/**
 * Longest text sort value a cursor carries (UTF-16 units). The value is authenticated, so the bound is a
 * second line only: a row with a longer one would end its list's paging (its cursor refused).
 */
export const MAX_TEXT_VALUE_LENGTH = 2000;
const MAX_CURSOR_LENGTH = 12_000;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * One message for every refused cursor: it tells nothing of why, so nothing of other lists or tenants.
 * It names the argument the cursor was passed as: `after`, or `before` when paging backward.
 */
export const invalidCursorMessage = (argument: 'after' | 'before' = 'after') =>
  `"${argument}" is not a valid cursor for this list and order: pass ${argument === 'after' ? 'an endCursor' : 'a startCursor'} or edge cursor that this list gave you, with the same orderBy, or start again without "${argument}".`;

export const INVALID_CURSOR_MESSAGE = invalidCursorMessage('after');

export const invalidCursor = (argument: 'after' | 'before' = 'after') =>
  badInput(invalidCursorMessage(argument), argument);

const keyIds = new WeakMap<Buffer, number>();

/** The key's one-byte id: a keyed hash of nothing secret, so it tells nothing of the key. Ids may collide; then each key with the id is tried. */
export function cursorKeyId(key: Buffer): number {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHmac('sha256', key).update('eca cursor key id').digest()[0];
    keyIds.set(key, id);
  }
  return id;
}

function associatedData(binding: CursorBinding): Buffer {
  return Buffer.from(
    JSON.stringify(['eca-cursor', VERSION, binding.list, binding.ordering, binding.direction, binding.caller]),
    'utf8',
  );
}

export function encodeCursor(keys: CursorKeys, binding: CursorBinding, position: CursorPosition): string {
  const value = position.value instanceof Date ? position.value.toISOString() : position.value;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.current, iv);
  cipher.setAAD(associatedData(binding));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify([value, position.rowId]), 'utf8'), cipher.final()]);
  return Buffer.concat([
    Buffer.from([VERSION, cursorKeyId(keys.current)]),
    iv,
    cipher.getAuthTag(),
    ciphertext,
  ]).toString('base64url');
}

/**
 * The position of a cursor made for `binding`, its values checked against `kinds`; BAD_USER_INPUT
 * otherwise, naming `argument`. The paging direction is not bound: an edge's cursor is one position of
 * its list, read on from with `after` and back from with `before` alike (the binding's `direction` is
 * the list's sort direction, part of its order).
 */
export function decodeCursor(
  keys: CursorKeys,
  binding: CursorBinding,
  cursor: string,
  kinds: CursorKinds,
  argument: 'after' | 'before' = 'after',
): CursorPosition {
  const plaintext = decrypt(keys, binding, cursor);
  if (plaintext === null) throw invalidCursor(argument);
  let payload: unknown;
  try {
    payload = JSON.parse(plaintext);
  } catch {
    throw invalidCursor(argument);
  }
  if (!Array.isArray(payload) || payload.length !== 2) throw invalidCursor(argument);
  const value = checkValue(payload[0], kinds.value);
  const rowId = checkValue(payload[1], kinds.rowId);
  if (value === undefined || rowId === undefined) throw invalidCursor(argument);
  return { value, rowId: String(rowId) };
}

function decrypt(keys: CursorKeys, binding: CursorBinding, cursor: string): string | null {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return null;
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length <= HEADER_BYTES || bytes[0] !== VERSION) return null;
  const iv = bytes.subarray(2, 2 + IV_BYTES);
  const tag = bytes.subarray(2 + IV_BYTES, HEADER_BYTES);
  const ciphertext = bytes.subarray(HEADER_BYTES);
  const aad = associatedData(binding);
  for (const key of [keys.current, ...keys.old]) {
    if (cursorKeyId(key) !== bytes[1]) continue;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // Another key with the same id, or not this cursor's key, list, order or caller: try the next.
    }
  }
  return null;
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INT8 = /^-?(0|[1-9][0-9]{0,18})$/;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const DECIMAL = /^-?(0|[1-9][0-9]{0,99})(\.[0-9]{1,100})?$/;

/** The value as PostgreSQL can read it for a column of `kind`, or undefined when it is not one. */
export function checkValue(value: unknown, kind: CursorValueKind): SortValue | undefined {
  switch (kind) {
    case 'timestamp': {
      if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value)) return undefined;
      const date = new Date(value);
      // A calendar date that does not exist (2026-02-30) would read as another day: refused.
      return Number.isNaN(date.getTime()) || date.toISOString() !== value ? undefined : date;
    }
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31
        ? value
        : undefined;
    case 'bigint': {
      const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
      if (typeof text !== 'string' || !INT8.test(text)) return undefined;
      const big = BigInt(text);
      return big >= INT8_MIN && big <= INT8_MAX ? text : undefined;
    }
    case 'numeric':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      return typeof value === 'string' && DECIMAL.test(value) ? value : undefined;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'text':
      return typeof value === 'string' && value.length <= MAX_TEXT_VALUE_LENGTH && !value.includes('\u0000')
        ? value
        : undefined;
  }
}
