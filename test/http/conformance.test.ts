import { serverAudits } from 'graphql-http';
import type { AuditResult } from 'graphql-http';
import { useTestServer } from '../support/harness';

/**
 * GraphQL over HTTP conformance: graphql-http's own audit suite against the running server, with an
 * API key added to every request (the audits send none; without one every request is a 401).
 * Every MUST passes. The SHOULDs that do not are listed in the README, with the reason; the list
 * below pins them, so that a change of behaviour is noticed and the README kept true.
 */
const KNOWN_SHOULD_WARNINGS = [
  // Apollo Server answers 400 to parse and validation errors and to variable coercion failures for every
  // client, also those that accept only application/json (the spec, for them, asks for 200 with errors).
  'SHOULD use 200 status code on document parsing failure when accepting application/json',
  'SHOULD use 200 status code on document validation failure when accepting application/json',
  'SHOULD use a status code of 200 on variable coercion failure when accepting application/json',
];

const { world, server } = useTestServer();
let results: AuditResult[];

beforeAll(async () => {
  const withKey: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${world.keys.brandA}`);
    return fetch(input, { ...init, headers });
  };
  const audits = serverAudits({ url: `${server.url}/graphql`, fetchFn: withKey });
  results = [];
  for (const audit of audits) results.push(await audit.fn());
  const count = (prefix: string, status?: string) =>
    results.filter((r) => r.name.startsWith(prefix) && (!status || r.status === status)).length;
  console.log(
    `graphql-http serverAudits: ${results.length} audits; ` +
      `MUST ${count('MUST', 'ok')}/${count('MUST')} ok; SHOULD ${count('SHOULD', 'ok')}/${count('SHOULD')} ok; MAY ${count('MAY', 'ok')}/${count('MAY')} ok\n` +
      results
        .filter((r) => r.status !== 'ok')
        .map((r) => `  ${r.status}: ${r.name}${'reason' in r ? ` (${r.reason})` : ''}`)
        .join('\n'),
  );
});

describe('GraphQL over HTTP conformance (graphql-http serverAudits)', () => {
  it('ran the whole audit suite', () => {
    expect(results.length).toBeGreaterThan(40);
  });

  it('passes every MUST', () => {
    const failed = results
      .filter((r) => r.name.startsWith('MUST') && r.status !== 'ok')
      .map((r) => `${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(failed).toEqual([]);
  });

  it('fails only the SHOULDs listed in the README', () => {
    const failed = results
      .filter((r) => r.name.startsWith('SHOULD') && r.status !== 'ok')
      .map((r) => r.name)
      .sort();
    expect(failed).toEqual([...KNOWN_SHOULD_WARNINGS].sort());
  });
});
