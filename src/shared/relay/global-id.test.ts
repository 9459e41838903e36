/// <reference types="jest" />
// (The reference above keeps `npm run build`, whose tsconfig loads only Node's types, compiling this file.)
//
// Global ids, no database: what decodes, and what is refused as BAD_USER_INPUT naming the argument.
import { GraphQLError } from 'graphql';
import { decodeGlobalId, decodeIdOf, toGlobalId, truncate } from './global-id.js';

/** The error `work` throws, which must be a GraphQL error (what a client receives). */
function refusal(work: () => unknown): GraphQLError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('expected a refusal, got a value');
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('toGlobalId and decodeGlobalId', () => {
  it('round-trip a type and a row id, as base64url of "Type:rowId"', () => {
    const id = toGlobalId('Lead', 42);
    expect(id).toBe(base64url('Lead:42'));
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeGlobalId(id)).toEqual({ typeName: 'Lead', rowId: '42' });
    expect(decodeGlobalId(toGlobalId('SellerIdentifier', '900719925474099312'))).toEqual({
      typeName: 'SellerIdentifier',
      rowId: '900719925474099312',
    });
  });

  it.each([
    ['a row id of zero', base64url('Lead:0')],
    ['a negative row id', base64url('Lead:-1')],
    ['a row id with a leading zero', base64url('Lead:07')],
    ['a row id that is not a number', base64url('Lead:abc')],
    ['a row id with SQL in it', base64url('Lead:1 OR 1=1')],
    ['a row id of 19 digits (beyond bigint)', base64url(`Lead:${'9'.repeat(19)}`)],
    ['no type', base64url(':5')],
    ['a lower-case type', base64url('lead:5')],
    ['a type with digits', base64url('Lead2:5')],
    ['no separator', base64url('Lead5')],
    ['standard base64 padding', `${Buffer.from('Lead:5').toString('base64')}==`],
    ['characters outside base64url', 'TGVhZDo1!'],
    ['the empty string', ''],
    ['a raw row id', '5'],
    ['an id longer than 200 characters', base64url(`Lead:${'1'.repeat(160)}`)],
  ])('refuse %s as BAD_USER_INPUT, naming the argument', (_what, id) => {
    const error = refusal(() => decodeGlobalId(id, 'leadId'));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/is not a valid id\.$/);
    expect(error.extensions.argument).toBe('leadId');
  });

  it('quote at most 40 characters of a refused id back to the client', () => {
    const long = 'x'.repeat(150);
    const error = refusal(() => decodeGlobalId(long));
    expect(error.message).toBe(`"${'x'.repeat(40)}…" is not a valid id.`);
  });
});

describe('decodeIdOf', () => {
  it('gives the row id of an id of the expected type', () => {
    expect(decodeIdOf('Brand', toGlobalId('Brand', 7), 'brandId')).toBe('7');
  });

  it('refuses an id of another type, saying which type it wanted', () => {
    const agency = toGlobalId('Agency', 7);
    const error = refusal(() => decodeIdOf('Brand', agency, 'brandId'));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe(`"${agency}" is not the id of a Brand.`);
    expect(error.extensions.argument).toBe('brandId');
  });

  it('refuses a malformed id before looking at its type', () => {
    const error = refusal(() => decodeIdOf('Brand', base64url('Brand:0')));
    expect(error.message).toMatch(/is not a valid id\.$/);
  });
});

describe('truncate', () => {
  it('keeps short values and cuts long ones with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('abc…');
  });
});
