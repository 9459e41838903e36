import { randomBytes } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ConfigError, DEMO_CURSOR_KEY, loadConfig } from '../config';
import {
  checkValue,
  CursorBinding,
  CursorKeys,
  CursorKinds,
  cursorKeyId,
  decodeCursor,
  encodeCursor,
  INVALID_CURSOR_MESSAGE,
  MAX_TEXT_VALUE_LENGTH,
} from './cursor';

const keys: CursorKeys = { current: randomBytes(32), old: [] };
const binding: CursorBinding = { list: 'listings', ordering: 'CREATED_AT', direction: 'DESC', caller: 'brand:1' };
const byDate: CursorKinds = { value: 'timestamp', rowId: 'bigint' };
const at = new Date('2026-02-01T10:20:30.456Z');

/** The BAD_USER_INPUT a refused cursor answers (one message for every reason). */
function refusal(work: () => unknown): GraphQLError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect((error as GraphQLError).message).toBe(INVALID_CURSOR_MESSAGE);
    return error as GraphQLError;
  }
  throw new Error('expected the cursor to be refused');
}

describe('cursors', () => {
  it('read back the position they were made for', () => {
    const cursor = encodeCursor(keys, binding, { value: at, rowId: '42' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(keys, binding, cursor, byDate)).toEqual({ value: at, rowId: '42' });
    const byPrice = { ...binding, ordering: 'PRICE' };
    expect(
      decodeCursor(keys, byPrice, encodeCursor(keys, byPrice, { value: '123456789012', rowId: '7' }), {
        value: 'bigint',
        rowId: 'bigint',
      }),
    ).toEqual({ value: '123456789012', rowId: '7' });
    const byName = { ...binding, ordering: 'DISPLAY_NAME' };
    expect(
      decodeCursor(keys, byName, encodeCursor(keys, byName, { value: '淘宝 "shop", \\ 🙂', rowId: '7' }), {
        value: 'text',
        rowId: 'bigint',
      }).value,
    ).toBe('淘宝 "shop", \\ 🙂');
  });

  it('are opaque: neither the value nor the id can be read, and each encoding differs', () => {
    const a = encodeCursor(keys, binding, { value: at, rowId: '424242' });
    const b = encodeCursor(keys, binding, { value: at, rowId: '424242' });
    expect(a).not.toBe(b);
    const bytes = Buffer.from(a, 'base64url').toString('latin1');
    for (const clear of ['424242', '2026', 'listings', 'CREATED_AT', 'brand']) expect(bytes).not.toContain(clear);
  });

  it('are refused when altered anywhere, truncated, or garbage', () => {
    const cursor = encodeCursor(keys, binding, { value: at, rowId: '42' });
    const bytes = Buffer.from(cursor, 'base64url');
    for (let i = 0; i < bytes.length; i += 1) {
      const altered = Buffer.from(bytes);
      altered[i] ^= 0x01;
      refusal(() => decodeCursor(keys, binding, altered.toString('base64url'), byDate));
    }
    for (const garbage of [
      '',
      'garbage!',
      cursor.slice(0, -2),
      cursor.slice(0, 30),
      `${cursor}AA`,
      'x'.repeat(20_000),
      Buffer.from('{"k":"CREATED_AT","v":1,"id":"1"}').toString('base64url'),
    ]) {
      refusal(() => decodeCursor(keys, binding, garbage, byDate));
    }
  });

  it.each<[string, Partial<CursorBinding>]>([
    ['another list', { list: 'leads' }],
    ['another parent of the same nested list', { list: 'Listing.seller_id:2' }],
    ['another ordering', { ordering: 'PRICE' }],
    ['another direction', { direction: 'ASC' }],
    ['another caller', { caller: 'brand:2' }],
  ])('are refused for %s, with the same message as garbage', (_case, change) => {
    const nested: CursorBinding = { ...binding, list: 'Listing.seller_id:1' };
    const base = change.list === 'Listing.seller_id:2' ? nested : binding;
    const cursor = encodeCursor(keys, base, { value: at, rowId: '42' });
    expect(decodeCursor(keys, base, cursor, byDate).rowId).toBe('42');
    const refused = refusal(() => decodeCursor(keys, { ...base, ...change }, cursor, byDate));
    expect(refused.message).toBe(refusal(() => decodeCursor(keys, binding, 'garbage', byDate)).message);
  });

  it('are refused under a key the server does not hold', () => {
    const cursor = encodeCursor({ current: randomBytes(32), old: [] }, binding, { value: at, rowId: '42' });
    refusal(() => decodeCursor(keys, binding, cursor, byDate));
  });

  it('made under a retired key are still read while it is kept in CURSOR_OLD_KEYS, and new ones use the new key', () => {
    const oldKey = randomBytes(32);
    const stored = encodeCursor({ current: oldKey, old: [] }, binding, { value: at, rowId: '42' });
    const rotated: CursorKeys = { current: randomBytes(32), old: [oldKey] };
    expect(decodeCursor(rotated, binding, stored, byDate)).toEqual({ value: at, rowId: '42' });
    const fresh = encodeCursor(rotated, binding, { value: at, rowId: '43' });
    expect(Buffer.from(fresh, 'base64url')[1]).toBe(cursorKeyId(rotated.current));
    expect(decodeCursor({ current: rotated.current, old: [] }, binding, fresh, byDate).rowId).toBe('43');
    // Once the old key is dropped, its cursors are refused like any other.
    refusal(() => decodeCursor({ current: rotated.current, old: [] }, binding, stored, byDate));
  });

  it('are read when two keys share a key id', () => {
    const first = randomBytes(32);
    let second = randomBytes(32);
    while (cursorKeyId(second) !== cursorKeyId(first)) second = randomBytes(32);
    const cursor = encodeCursor({ current: second, old: [] }, binding, { value: at, rowId: '1' });
    expect(decodeCursor({ current: first, old: [second] }, binding, cursor, byDate).rowId).toBe('1');
  });

  it("whose value is not of the ordering column's type are refused", () => {
    const cursor = encodeCursor(keys, binding, { value: 'not a date', rowId: '42' });
    refusal(() => decodeCursor(keys, binding, cursor, byDate));
    const wrongId = encodeCursor(keys, binding, { value: at, rowId: '1; DROP TABLE listing' });
    refusal(() => decodeCursor(keys, binding, wrongId, byDate));
    const textForInt = encodeCursor(keys, binding, { value: '12', rowId: '42' });
    refusal(() => decodeCursor(keys, binding, textForInt, { value: 'integer', rowId: 'bigint' }));
  });
});

describe('checkValue (what PostgreSQL can read for the column)', () => {
  it.each<[CursorKinds['value'], unknown, unknown]>([
    ['timestamp', '2026-02-01T10:20:30.456Z', new Date('2026-02-01T10:20:30.456Z')],
    ['timestamp', '2026-02-30T00:00:00.000Z', undefined],
    ['timestamp', '2026-02-01', undefined],
    ['timestamp', "2026-01-01' OR '1'='1", undefined],
    ['timestamp', 1767225600000, undefined],
    ['integer', 42, 42],
    ['integer', -7, -7],
    ['integer', 2 ** 31, undefined],
    ['integer', 1.5, undefined],
    ['integer', '42', undefined],
    ['bigint', '9223372036854775807', '9223372036854775807'],
    ['bigint', '9223372036854775808', undefined],
    ['bigint', '-9223372036854775808', '-9223372036854775808'],
    ['bigint', 12, '12'],
    ['bigint', '012', undefined],
    ['bigint', '1e3', undefined],
    ['bigint', { $gt: '' }, undefined],
    ['numeric', '12.50', '12.50'],
    ['numeric', 'NaN', undefined],
    ['numeric', 'Infinity', undefined],
    ['numeric', 3.25, 3.25],
    ['float', 0.5, 0.5],
    ['float', '0.5', undefined],
    ['text', 'Seller of Alpha', 'Seller of Alpha'],
    ['text', 'a\u0000b', undefined],
    ['text', 'x'.repeat(MAX_TEXT_VALUE_LENGTH + 1), undefined],
    ['text', 12, undefined],
  ])('%s: %p -> %p', (kind, value, expected) => {
    expect(checkValue(value, kind)).toEqual(expected);
  });
});

describe('CURSOR_KEY and CURSOR_OLD_KEYS', () => {
  const PRODUCTION = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://api:s3cret@db.internal:5432/enforcement',
    IDENTIFIER_HASH_KEY: 'a-production-secret-of-at-least-32-characters',
    AUDIT_SIGNING_KEY: 'a5'.repeat(32),
    EVIDENCE_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
  };
  const hex = randomBytes(32).toString('hex');
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('use a fixed development key outside production, the same in every instance', () => {
    expect(loadConfig({}).cursorKey.toString('hex')).toBe(DEMO_CURSOR_KEY);
    expect(loadConfig({ NODE_ENV: 'test' }).cursorKey.equals(loadConfig({}).cursorKey)).toBe(true);
    expect(loadConfig({}).cursorOldKeys).toEqual([]);
  });

  it('read a key written as hex or base64, and old keys separated by commas', () => {
    const old1 = randomBytes(32);
    const old2 = randomBytes(32);
    const config = loadConfig({
      ...PRODUCTION,
      CURSOR_KEY: hex,
      CURSOR_OLD_KEYS: ` ${old1.toString('base64')}, ${old2.toString('hex')} `,
    });
    expect(config.cursorKey.toString('hex')).toBe(hex);
    expect(config.cursorOldKeys).toEqual([old1, old2]);
    expect(loadConfig({ CURSOR_KEY: old1.toString('base64url') }).cursorKey).toEqual(old1);
  });

  it('require a key of their own in production', () => {
    expect(problemsOf(PRODUCTION)).toContain('CURSOR_KEY is required in production');
    expect(problemsOf({ ...PRODUCTION, CURSOR_KEY: DEMO_CURSOR_KEY })).toContain(
      'CURSOR_KEY must be a secret of your own in production (the demo key is refused)',
    );
    expect(problemsOf({ ...PRODUCTION, CURSOR_KEY: Buffer.from(DEMO_CURSOR_KEY, 'hex').toString('base64') })).toContain(
      'the demo key is refused',
    );
    expect(problemsOf({ ...PRODUCTION, CURSOR_KEY: hex, CURSOR_OLD_KEYS: DEMO_CURSOR_KEY })).toContain(
      'CURSOR_OLD_KEYS holds the demo cursor key',
    );
  });

  it('refuse a key of the wrong length, naming the variable but never the value', () => {
    const short = randomBytes(16).toString('hex');
    const message = problemsOf({ CURSOR_KEY: short, CURSOR_OLD_KEYS: `${hex},${randomBytes(31).toString('base64')}` });
    expect(message).toContain(
      'CURSOR_KEY must be 32 bytes written as hex (64 characters) or base64 (44 characters), got 32 characters',
    );
    expect(message).toContain('CURSOR_OLD_KEYS must be a comma-separated list of keys of 32 bytes');
    expect(message).not.toContain(short);
    expect(problemsOf({ CURSOR_KEY: hex, CURSOR_OLD_KEYS: hex })).toContain(
      'CURSOR_OLD_KEYS key 1 is the current CURSOR_KEY',
    );
  });
});
