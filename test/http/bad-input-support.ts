import { GraphQLSchema } from 'graphql';
import { buildAppSchema } from '../../src/schema';
import { TestDatabase } from '../support/database';
import { World } from '../support/fixtures';
import { useTestServer } from '../support/harness';
import { TestServer } from '../support/server';
import { post, RawResponse, snapshot } from './support';

/**
 * The bad-input catalogue's harness (bad-input*.test.ts): requests a broken or hostile client sends. Every case
 * asserts a clear error (a known code and a message that says what is wrong, no SQL, stack or internal error), no
 * 5xx for a well-formed HTTP request, nothing written (a digest of every row of every table is the same before and
 * after), and that the server still answers afterwards. Each test file that calls `useBadInputServer()` gets a
 * database and a server of its own (the bindings below are set by its beforeAll).
 */

export let db: TestDatabase;
export let server: TestServer;
export let world: World;
export let schema: GraphQLSchema;

export function useBadInputServer(): void {
  ({ db, world, server } = useTestServer());
  beforeAll(async () => {
    schema = await buildAppSchema();
  });
}

export const CLIENT_CODES = new Set([
  'BAD_REQUEST',
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_LIMIT_EXCEEDED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
]);
/** What must never reach a client: SQL, PostgreSQL's words, stack frames, source paths. */
export const LEAK =
  /\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b|syntax error at or near|violates|relation "|column "|permission denied|QueryFailedError|\bat .+\.(ts|js):\d+|node_modules|\/src\//;

interface Expectation {
  /** Expected HTTP status (exact), or a range check by default: < 500. */
  status?: number;
  /** Every error must have one of these codes. */
  codes?: string[];
  /** The (first) error message must match. */
  message?: RegExp;
}

/** The response is a clear refusal: the expected status and codes, a readable message, nothing leaked, no data. */
export function expectRefusal(response: RawResponse, expected: Expectation): void {
  expect(response.status).toBeLessThan(500);
  if (expected.status) expect(response.status).toBe(expected.status);
  expect(response.body).toBeDefined();
  const errors: { message: string; extensions?: Record<string, unknown> }[] = response.body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error.message.length).toBeGreaterThan(10);
    if (!CLIENT_CODES.has(String(error.extensions?.code)))
      throw new Error(`not a client error: ${JSON.stringify(error)}`);
    if (expected.codes) expect(expected.codes).toContain(error.extensions?.code);
    expect(error.extensions?.stacktrace).toBeUndefined();
  }
  if (expected.message) expect(errors[0].message).toMatch(expected.message);
  expect(response.text).not.toMatch(LEAK);
  // A request refused as a whole ran nothing.
  if (response.status >= 400) expect(response.body.data ?? null).toBeNull();
}

/**
 * The response is harmless: no 5xx, no internal error, no leak; errors (if any) are client errors.
 * `echoes` are values the request sent, which an error message may quote back (they are not a leak).
 */
export function expectHarmless(response: RawResponse, echoes: string[] = []): void {
  expect(response.status).toBeLessThan(500);
  expect(response.body).toBeDefined();
  for (const error of response.body.errors ?? []) {
    if (!CLIENT_CODES.has(String(error.extensions?.code)))
      throw new Error(`not a client error: ${JSON.stringify(error)}`);
    let message: string = error.message;
    for (const echo of echoes) message = message.split(JSON.stringify(echo)).join('').split(echo).join('');
    expect(message).not.toMatch(LEAK);
  }
  expect(JSON.stringify(response.body.data ?? null)).not.toMatch(LEAK);
}

/** Runs one case: the database is the same after it, and the server still answers. */
export function harmless(name: string, run: () => Promise<void>): void {
  it(name, async () => {
    const before = await snapshot(db.dataSource);
    await run();
    expect(await snapshot(db.dataSource)).toEqual(before);
    const alive = await post(server.url, { token: world.keys.brandA, body: { query: '{ viewer { role } }' } });
    expect(alive.status).toBe(200);
    expect(alive.body.data.viewer.role).toBe('BRAND_PARTNER');
  });
}

export const gql = (body: unknown, token: string | null = world.keys.brandA, headers?: Record<string, string>) =>
  post(server.url, { token, body, headers });
