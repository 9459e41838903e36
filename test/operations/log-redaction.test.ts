import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { App, createApp } from '../../src/http/app';
import { createLogger, redactDatabaseText } from '../../src/logger';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate, sha } from '../support/cases';
import { GraphQLResponse, testConfig, TestServer } from '../support/server';
import { useTestServer } from '../support/harness';

// Variables are never logged, and neither are PostgreSQL's messages that quote them: a marker is sent
// through every kind of variable the schema takes, into fields where PostgreSQL or validation refuses it,
// and no log line may hold it.

/** The marker in text; `refuse-me` also arms the faults planted below. */
const TEXT = 'refuse-me Qx7MarkerZ';
/** The marker as each other type: Int (within what the API accepts), Float, SafeInt, DateTimeISO (as PostgreSQL writes it back: 1987-06-05). */
const INT = 99173;
const FLOAT = 41.5647382911;
const SAFE_INT = 7391827364519;
const DATE = '1987-06-05T04:03:02.918Z';
const MARKERS = ['Qx7MarkerZ', String(INT), '5647382911', '7391827364519', '1987-06-05'];

const { db, world } = useTestServer({
  server: false,
  beforeClose: async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.apollo.stop();
    await dataSource.destroy();
  },
});
let dataSource: DataSource;
let app: App;
let server: http.Server;
let url: string;
let logText = '';
let requestNumber = 0;

beforeAll(async () => {
  // Faults that make PostgreSQL quote the caller's values, as real ones do: a cast of the row (timestamp,
  // integer, JSON), a check constraint (`Failing row contains (...)`). Armed by rows that hold "refuse-me".
  await db.dataSource.query(`
    CREATE FUNCTION test_quote_values() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE r text := row_to_json(NEW)::text;
    BEGIN
      IF r NOT LIKE '%refuse-me%' THEN RETURN NEW; END IF;
      IF TG_ARGV[0] = 'timestamp' THEN PERFORM r::timestamptz;
      ELSIF TG_ARGV[0] = 'integer' THEN PERFORM r::integer;
      ELSE PERFORM ('{"row": ' || r || ', "next": refuse}')::json;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_quote_values BEFORE INSERT ON lead FOR EACH ROW EXECUTE FUNCTION test_quote_values('timestamp');
    CREATE TRIGGER test_quote_values BEFORE INSERT ON enforcement_outcome FOR EACH ROW EXECUTE FUNCTION test_quote_values('integer');
    CREATE TRIGGER test_quote_values BEFORE INSERT ON evidence FOR EACH ROW EXECUTE FUNCTION test_quote_values('json');
    ALTER TABLE premises ADD CONSTRAINT test_refused_notes CHECK (notes NOT LIKE '%refuse-me%');
  `);
  dataSource = await createDataSource({
    url: db.apiUrl,
    api: true,
    poolSize: 5,
    applicationName: 'eca-test-redaction',
  }).initialize();
  // Everything, at the most verbose level, into logText.
  const logger = createLogger({ logLevel: 'trace' }, { write: (line: string) => void (logText += line) });
  app = await createApp(dataSource, testConfig(), logger);
  server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

async function gql(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    // Request ids of letters only: no run of digits that could pass for a marker.
    headers: {
      'content-type': 'application/json',
      'x-request-id': `redaction-${letters((requestNumber += 1))}`,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLResponse['body'],
  };
}
/** 1 -> "b", 26 -> "ba": a request id without digits. */
const letters = (n: number): string =>
  (n >= 26 ? letters(Math.floor(n / 26)) : '') + String.fromCharCode(97 + (n % 26));
const server_ = (): TestServer => ({ url, config: testConfig(), dataSource, gql, close: async () => undefined });

const codesOf = (response: GraphQLResponse) => (response.body.errors ?? []).map((e) => e.extensions?.code);
const linesWith = (message: string) =>
  logText
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((line) => line.msg === message);

describe('the log', () => {
  it('never holds a value sent in a variable, whatever its type and however PostgreSQL or validation refuses it', async () => {
    const { investigator, brandA, agencyX, analyst, admin } = world.keys;
    const sent = await buildCase(server_(), world, { referTo: world.gid.agencyX, tag: 'redaction' });
    await mutate(server_(), agencyX, 'acknowledgeReferral', { referralId: sent.referralId }, 'referral { id }');
    const answers: Record<string, GraphQLResponse> = {};
    const mutation = (name: string) =>
      `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { userErrors { field message code } } }`;

    // String (and Int) into a row whose insert fails with `invalid input syntax for type timestamp with time zone: "..."`.
    answers.lead = await gql(brandA, mutation('reportLead'), {
      input: { description: TEXT, riskScore: 42, sellerIds: [world.gid.sellerA], idempotencyKey: TEXT },
    });
    // Int, DateTimeISO, SafeInt and String into `invalid input syntax for type integer: "{...the row...}"`.
    answers.outcome = await gql(agencyX, mutation('recordEnforcementOutcome'), {
      // Dated now (an outcome dated before its referral was sent is refused before PostgreSQL); DATE goes elsewhere.
      input: {
        referralId: sent.referralId,
        kind: 'SEIZURE',
        occurredAt: new Date().toISOString(),
        arrests: INT,
        notes: TEXT,
        seizedValue: { amount: SAFE_INT, currency: 'CNY' },
      },
    });
    // DateTimeISO and String into a JSON parse error: `Token "..." is invalid` and `JSON data, line 1: ...`.
    answers.evidence = await gql(investigator, mutation('addEvidence'), {
      input: {
        investigationId: sent.investigationId,
        kind: 'PHOTO',
        description: TEXT,
        sha256: sha(918),
        storageKey: TEXT,
        collectedBy: TEXT,
        collectedAt: DATE,
      },
    });
    // Float and String into a check constraint: `Failing row contains (...)`.
    answers.premises = await gql(investigator, mutation('registerPremises'), {
      input: {
        kind: 'WAREHOUSE',
        region: 'CN-ZJ',
        address: TEXT,
        notes: TEXT,
        location: { latitude: FLOAT, longitude: 120.5 },
      },
    });
    // String into a unique key, twice: `Key (platform, external_id)=(..., ...) already exists.`
    const seller = { platform: 'TAOBAO', externalId: TEXT, displayName: TEXT, region: 'CN-ZJ' };
    answers.seller1 = await gql(investigator, mutation('createSeller'), { input: seller });
    answers.seller2 = await gql(investigator, mutation('createSeller'), { input: seller });
    // Values refused by the API's own validation.
    answers.riskScore = await gql(brandA, mutation('reportLead'), { input: { description: 'ok', riskScore: INT } });
    answers.region = await gql(investigator, mutation('registerPremises'), {
      input: { kind: 'WAREHOUSE', region: TEXT, address: 'ok' },
    });
    // (Out of range, it reaches the table's check constraint: `Failing row contains (...)`.)
    answers.latitude = await gql(investigator, mutation('registerPremises'), {
      input: {
        kind: 'WAREHOUSE',
        region: 'CN-ZJ',
        address: 'elsewhere',
        location: { latitude: FLOAT + 100, longitude: 0 },
      },
    });
    answers.currency = await gql(agencyX, mutation('recordEnforcementOutcome'), {
      input: {
        referralId: sent.referralId,
        kind: 'FINE',
        occurredAt: DATE,
        fine: { amount: SAFE_INT, currency: TEXT },
      },
    });
    answers.purpose = await gql(
      investigator,
      'mutation($input: RevealSellerIdentifiersInput!) { revealSellerIdentifiers(input: $input) { userErrors { code } } }',
      {
        input: { sellerId: world.gid.sellerA, purpose: 'x', kinds: ['PHONE'] },
      },
    );
    // Variables of the wrong type (coercion refuses them): Int, Float, SafeInt, DateTimeISO, enums, ID, an input object with a field too many.
    answers.intAsText = await gql(brandA, 'query($n: Int!) { leads(first: $n) { totalCount } }', { n: TEXT });
    answers.floatAsText = await gql(investigator, mutation('registerPremises'), {
      input: { kind: 'WAREHOUSE', region: 'CN-ZJ', address: 'x', location: { latitude: TEXT, longitude: 0 } },
    });
    answers.safeIntAsText = await gql(agencyX, mutation('recordEnforcementOutcome'), {
      input: { referralId: sent.referralId, kind: 'FINE', occurredAt: DATE, fine: { amount: TEXT, currency: 'CNY' } },
    });
    answers.dateAsText = await gql(
      brandA,
      'query($d: DateTimeISO) { leads(first: 1, filter: { createdAt: { from: $d } }) { totalCount } }',
      { d: TEXT },
    );
    answers.dateOutOfRange = await gql(
      analyst,
      'query($d: DateTimeISO) { analytics(filter: { from: $d }) { enforcementFunnel { leads } } }',
      { d: `-${INT}-01-01T00:00:00Z` },
    );
    answers.enum = await gql(
      brandA,
      'query($s: [LeadStatus!]) { leads(first: 1, filter: { status: $s }) { totalCount } }',
      { s: [TEXT] },
    );
    answers.enumInInput = await gql(investigator, mutation('registerPremises'), {
      input: { kind: TEXT, region: 'CN-ZJ', address: 'x' },
    });
    answers.extraField = await gql(brandA, mutation('reportLead'), {
      input: { description: 'ok', [TEXT.replace(/\W/g, '_')]: TEXT },
    });
    answers.jsonInput = await gql(brandA, mutation('reportLead'), { input: TEXT });
    // ID: malformed, of another type, and well formed for a row that does not exist.
    answers.badId = await gql(analyst, 'query($id: ID!) { node(id: $id) { id } }', { id: TEXT });
    answers.otherTypeId = await gql(
      brandA,
      'query($ids: [ID!]) { leads(first: 1, filter: { sellerIds: $ids }) { totalCount } }',
      { ids: [toGlobalId('Lead', INT)] },
    );
    answers.missingId = await gql(analyst, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [toGlobalId('Lead', INT), Buffer.from(`Lead:${TEXT}`).toString('base64url')],
    });
    // Cursors: made up, and a real one altered.
    answers.cursor = await gql(brandA, 'query($after: String) { listings(first: 1, after: $after) { totalCount } }', {
      after: TEXT,
    });
    const page = await gql(brandA, '{ listings(first: 1) { pageInfo { endCursor } } }');
    const endCursor: string = page.body.data!.listings.pageInfo.endCursor;
    answers.alteredCursor = await gql(
      brandA,
      'query($after: String) { listings(first: 1, after: $after) { totalCount } }',
      { after: `${endCursor.slice(0, -4)}${TEXT.slice(-4)}` },
    );
    // Strings in filters that reach SQL (read as text, as they should be), and text in the query itself.
    answers.filters = await gql(
      analyst,
      'query($r: [String!], $p: [String!]) { sellers(first: 1, filter: { region: $r, platform: $p }) { totalCount } analytics(filter: { regions: $r, platforms: $p }) { enforcementFunnel { leads } } }',
      { r: [TEXT], p: [TEXT] },
    );
    answers.inlineText = await gql(
      brandA,
      `{ leads(first: 1, filter: { status: [${TEXT.replace(/\W/g, '_')}] }) { totalCount } }`,
    );
    // Names of people and keys (the operation's own name is logged: it is the client's label, not a variable).
    answers.named = await gql(
      admin,
      'mutation NewKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { userErrors { code } } }',
      { input: { name: TEXT, principal: { name: TEXT, role: 'ANALYST' } } },
    );

    // Every answer refused what it was sent (or, for reads, answered), without a server fault.
    expect(codesOf(answers.lead)).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(answers.outcome)).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(answers.evidence)).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(answers.premises)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(answers.seller1.body.data?.createSeller.userErrors).toEqual([]);
    expect(
      codesOf(answers.seller2).length + (answers.seller2.body.data?.createSeller?.userErrors?.length ?? 0),
    ).toBeGreaterThan(0);
    expect(codesOf(answers.purpose)).toEqual(['BAD_USER_INPUT']);
    for (const name of [
      'intAsText',
      'floatAsText',
      'safeIntAsText',
      'dateAsText',
      'enum',
      'enumInInput',
      'extraField',
      'jsonInput',
    ]) {
      expect([name, answers[name].status]).toEqual([name, 400]);
    }
    for (const name of ['badId', 'otherTypeId', 'cursor', 'alteredCursor'])
      expect([name, codesOf(answers[name])]).toEqual([name, ['BAD_USER_INPUT']]);
    for (const [name, answer] of Object.entries(answers)) expect([name, answer.status]).not.toEqual([name, 500]);

    // The failures that reached PostgreSQL are in the log, with what helps (SQLSTATE, the kind of error, the constraint)...
    const refused = linesWith('a value refused by PostgreSQL as input');
    expect(refused.map((line) => line.err.code).sort()).toEqual(['22007', '22P02', '22P02']);
    expect(refused.map((line) => line.err.message)).toEqual(
      expect.arrayContaining([
        'invalid input syntax for type timestamp with time zone: "[redacted]"',
        'invalid input syntax for type integer: "[redacted]"',
        'invalid input syntax for type json',
      ]),
    );
    const unexpected = linesWith('unexpected error');
    expect(unexpected.length).toBeGreaterThanOrEqual(1);
    expect(unexpected.map((line) => line.err.constraint)).toContain('test_refused_notes');
    // (PostgreSQL leaves out `Failing row contains` for tables under row-level security; the catalogue below has it.)
    for (const line of [...refused, ...unexpected]) expect(line.err.parameters).toBe('[redacted]');

    // ...and no line holds any of the values (error ids aside: a UUID may hold a run of digits by chance).
    const withoutIds = logText.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');
    for (const marker of MARKERS) {
      const holding = withoutIds.split('\n').filter((line) => line.includes(marker));
      expect([marker, holding]).toEqual([marker, []]);
    }
  });
});

describe('redactDatabaseText, on what PostgreSQL itself says', () => {
  const VALUE = 'Qx7"Marker\'Z\nsecond line';
  const statements: [string, unknown[]][] = [
    ['SELECT $1::timestamptz', [VALUE]],
    [`SELECT ${"'" + VALUE.replace(/'/g, "''") + "'"}::timestamptz`, []],
    ['SELECT $1::int', [VALUE]],
    ['SELECT $1::bigint', [VALUE]],
    ['SELECT $1::uuid', [VALUE]],
    ['SELECT $1::date', [VALUE]],
    ['SELECT $1::numeric', [VALUE]],
    ['SELECT $1::interval', [VALUE]],
    ['SELECT $1::int[]', [`{${VALUE}}`]],
    ['SELECT $1::smallint', ['918273645']],
    ['SELECT $1::json', [`{"a": ${VALUE}}`]],
    ['SELECT $1::jsonb', [`[1, "x", Qx7MarkerZ]`]],
    ['SELECT $1::text::test_kind', [VALUE]],
    ['SELECT to_timestamp($1, $2)', [VALUE, 'YYYY']],
    ["SELECT to_date($1, 'YYYY-MM-DD')", [`2026-${VALUE}`]],
    ['INSERT INTO test_values (v, n) VALUES ($1, 1), ($1, 2)', [VALUE]],
    ['INSERT INTO test_values (v, n) VALUES ($1, -1)', [VALUE]],
    ['INSERT INTO test_values (v, n) VALUES ($1, NULL)', [VALUE]],
    ['INSERT INTO test_children (v) VALUES ($1)', [VALUE]],
    ["SELECT convert_from($1::bytea, 'UTF8')", [Buffer.from([0xc3, 0x28, 0x51, 0x78])]],
  ];

  it('keeps the shape of every message and removes every value', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    let text = '';
    const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => void (text += line) });
    try {
      await client.query(`
        CREATE TYPE test_kind AS ENUM ('A', 'B');
        CREATE TABLE test_values (v text UNIQUE, n int NOT NULL CHECK (n > 0));
        CREATE TABLE test_parents (v text PRIMARY KEY);
        CREATE TABLE test_children (v text REFERENCES test_parents (v));`);
      let seen = 0;
      for (const [sql, parameters] of statements) {
        const error = await client.query(sql, parameters).then(
          () => null,
          (e: Error) => e,
        );
        expect([sql, error]).not.toEqual([sql, null]);
        const raw = JSON.stringify({ message: error!.message, ...error });
        if (/Qx7|918273645/.test(raw)) seen += 1;
        // As format-error.ts logs it, and as Apollo writes an error into its message.
        logger.warn({ err: error, path: ['field'] }, 'a value refused by PostgreSQL as input');
        logger.error(`Unexpected error processing request: ${error}`);
        // And wrapped as TypeORM wraps it (QueryFailedError: query, parameters, driverError).
        const wrapped = await db.dataSource.query(sql.replace('test_values', 'test_values'), parameters).then(
          () => null,
          (e: Error) => e,
        );
        logger.error({ err: wrapped, errorId: 'x' }, 'unexpected error');
      }
      // The catalogue is worth something: PostgreSQL quoted the value in most of these errors.
      expect(seen).toBeGreaterThanOrEqual(15);
      for (const marker of ['Qx7', 'Marker', 'second line', '918273645', 'c3 ', '0xc3'])
        expect([marker, text.includes(marker)]).toEqual([marker, false]);
      const lines = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const messages = lines.filter((line) => line.err).map((line) => line.err.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          'invalid input syntax for type timestamp with time zone: "[redacted]"',
          'invalid input syntax for type integer: "[redacted]"',
          'invalid input value for enum test_kind: "[redacted]"',
          'value "[redacted]" is out of range for type smallint',
          'duplicate key value violates unique constraint "test_values_v_key"',
          'new row for relation "test_values" violates check constraint "test_values_n_check"',
          'null value in column "n" of relation "test_values" violates not-null constraint',
          'insert or update on table "test_children" violates foreign key constraint "test_children_v_fkey"',
        ]),
      );
      const details = lines.filter((line) => line.err?.detail).map((line) => line.err.detail);
      expect(details).toEqual(
        expect.arrayContaining([
          'Key (v)=([redacted]) already exists.',
          'Failing row contains ([redacted]).',
          'Key (v)=([redacted]) is not present in table "test_parents".',
        ]),
      );
      expect(lines.filter((line) => line.err?.where).map((line) => line.err.where)).toContain(
        "unnamed portal parameter $1 = '[redacted]'",
      );
      for (const line of lines.filter((l) => l.err?.query)) expect(line.err.parameters).toBe('[redacted]');
      // The stack keeps its frames.
      expect(lines.find((line) => line.err?.stack)?.err.stack).toMatch(/\n\s+at /);
    } finally {
      await client.end();
    }
  });

  it('keeps the names of database objects and prose', () => {
    expect(redactDatabaseText('permission denied for table agency')).toBe('permission denied for table agency');
    expect(redactDatabaseText('relation "lead" does not exist')).toBe('relation "lead" does not exist');
    expect(redactDatabaseText('column "x" of relation "lead" does not exist')).toBe(
      'column "x" of relation "lead" does not exist',
    );
    expect(redactDatabaseText("Redis unreachable: kept in this instance's memory")).toBe(
      "Redis unreachable: kept in this instance's memory",
    );
    expect(redactDatabaseText('invalid input syntax for type integer: "a"b"c" at x')).toBe(
      'invalid input syntax for type integer: "[redacted]" at x',
    );
    expect(redactDatabaseText('invalid value "12" for "YYYY"')).toBe('invalid value "[redacted]"');
  });
});
