import { isDeepStrictEqual } from 'node:util';
import { decodeGlobalId, toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate, sha } from '../support/cases';
import { World } from '../support/fixtures';
import { TestHarness } from '../support/harness';

// The records each mutation of test/data-access/mutation-faults.test.ts is tried on, made through the API
// or, where the API has no way, inserted as the owner; and the shape of a mutation's case (Spec).

export type Key = keyof World['keys'];
export type Row = Record<string, any>;
/** Deep equality of plain data, whatever the realm its objects were made in (fetch's JSON is not Jest's). */
export const equal = (a: unknown, b: unknown) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));

export interface Prepared {
  input: Record<string, unknown>;
  /** The row the payload's nested selection reads after the commit: table, row id. */
  fault: [string, string];
  /** The change is visible: table, SQL condition (wrapped by `committed`). */
  armed: [string, string];
  /** What the database must hold once the change is answered with `userErrors: []`: query, rows. */
  facts: [string, Row[]][];
  verify?: (payload: Row, problems: string[]) => Promise<void> | void;
}
export interface Spec {
  name: string;
  token: Key;
  selection: string;
  setup: (m: string) => Promise<Prepared>;
  /** No nested selection of its payload reads the database after the commit (see the comment at the spec). */
  payloadReads?: false;
}

export type MutationFaultFixtures = ReturnType<typeof mutationFaultFixtures>;

/** The helpers over the file's database, world and server (filled by useTestServer before the tests run). */
export function mutationFaultFixtures({ db, world, server }: TestHarness) {
  const owner = (sql: string, params: unknown[] = []): Promise<Row[]> => db.dataSource.query(sql, params);
  const rid = (globalId: string) => decodeGlobalId(globalId).rowId;
  const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const inputType = (name: string) => `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const call = (token: Key, name: string, input: Record<string, unknown>, selection: string) =>
    mutate(server, world.keys[token], name, input, selection);
  const committed = ([table, condition]: [string, string]) =>
    `EXISTS (SELECT 1 FROM ${table} WHERE (${condition}) AND xmin::text::bigint IS DISTINCT FROM txid_current_if_assigned() % 4294967296)`;

  async function insertRow(table: string, values: Record<string, unknown>): Promise<string> {
    const columns = Object.keys(values);
    const [row] = await owner(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id::text`,
      Object.values(values),
    );
    return row.id;
  }
  const newSeller = (m: string) =>
    insertRow('seller', {
      platform: 'TAOBAO',
      external_id: m,
      display_name: `Shop ${m}`,
      region: 'CN-ZJ',
      status: 'ACTIVE',
      strike_count: 0,
    });
  const newListing = (sellerId: string, m: string) =>
    insertRow('listing', {
      seller_id: sellerId,
      brand_id: world.ids.brandA,
      title: m,
      url: `https://x/${m}`,
      price_amount: 100,
      price_currency: 'CNY',
      status: 'LIVE',
      created_at: '2026-02-01T00:00:00Z',
    });
  const nextId = async (table: string) =>
    String(
      (await owner(`SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS n FROM ${table}_id_seq`))[0]
        .n,
    );

  async function reported(m: string): Promise<string> {
    return (
      await call(
        'investigator',
        'reportLead',
        { description: m, brandIds: [world.gid.brandA], sellerIds: [world.gid.sellerA] },
        'lead { id }',
      )
    ).lead.id;
  }
  async function triaged(m: string): Promise<string> {
    const leadId = await reported(m);
    await call('investigator', 'triageLead', { leadId, riskScore: 60 }, 'lead { id }');
    return leadId;
  }
  /** An investigation on one lead: OPEN, or EVIDENCE_GATHERING with one evidence item. */
  async function opened(
    m: string,
    withEvidence: boolean,
  ): Promise<{ leadId: string; investigationId: string; evidenceId?: string }> {
    const leadId = await triaged(m);
    const investigationId = (
      await call(
        'investigator',
        'openInvestigation',
        { leadIds: [leadId], summary: `setup ${m}` },
        'investigation { id }',
      )
    ).investigation.id;
    if (!withEvidence) return { leadId, investigationId };
    const evidenceId = (
      await call(
        'investigator',
        'addEvidence',
        {
          investigationId,
          kind: 'PHOTO',
          description: `setup ${m}`,
          sha256: sha(Math.floor(Math.random() * 1e12)),
          storageKey: `s3://e/${m}`,
          collectedBy: 'Li',
          collectedAt: '2026-03-01T10:00:00Z',
        },
        'evidence { id }',
      )
    ).evidence.id;
    return { leadId, investigationId, evidenceId };
  }
  /** A referral to agency X, acknowledged, with a RAID and a SEIZURE outcome. */
  async function outcomes(m: string): Promise<string[]> {
    const { referralId } = await buildCase(server, world, { referTo: world.gid.agencyX, tag: m });
    await call('agencyX', 'acknowledgeReferral', { referralId }, 'referral { id }');
    const outcome = async (kind: string, extra: Record<string, unknown>) =>
      (
        await call(
          'agencyX',
          'recordEnforcementOutcome',
          { referralId, kind, occurredAt: new Date().toISOString(), ...extra },
          'outcome { id }',
        )
      ).outcome.id as string;
    return [
      await outcome('RAID', { arrests: 1 }),
      await outcome('SEIZURE', { seizedValue: { amount: 50_000, currency: 'CNY' } }),
    ];
  }
  async function jointOperation(m: string, outcomeIds: string[]): Promise<string> {
    return (
      await call(
        'investigator',
        'createJointOperation',
        {
          name: `setup ${m}`,
          outcomeIds,
          seizedValue: { amount: 60_000, currency: 'CNY' },
          valuationMethod: 'MARKET_PRICE',
        },
        'operation { id }',
      )
    ).operation.id;
  }
  /** A repeat-offender match, PENDING: a closed seller, then a new one known by the same e-mail address. */
  async function raisedMatch(m: string): Promise<Row> {
    const seller = async (suffix: string) =>
      (
        await call(
          'investigator',
          'createSeller',
          {
            platform: 'TAOBAO',
            externalId: `${m}-${suffix}`,
            displayName: `Shop ${m} ${suffix}`,
            region: 'CN-GD',
            identifiers: [{ kind: 'EMAIL', value: `${m}@offender.example` }],
          },
          'seller { id }',
        )
      ).seller.id as string;
    const prior = await seller('prior');
    await call(
      'investigator',
      'updateSellerStatus',
      { sellerId: prior, status: 'CLOSED', reason: 'third strike' },
      'seller { id }',
    );
    const repeat = await seller('repeat');
    const [match] = await owner(
      `SELECT id::text, lead_id::text, prior_seller_id::text FROM repeat_offender_match WHERE seller_id = $1`,
      [rid(repeat)],
    );
    return { ...match, gid: toGlobalId('RepeatOffenderMatch', match.id) };
  }
  /** A brand partner of a brand of its own: principal and brand row ids. */
  async function principal(m: string): Promise<[string, string]> {
    const brand = await insertRow('brand', { name: m, slug: m.toLowerCase(), status: 'ACTIVE' });
    return [await insertRow('principal', { name: m, role: 'BRAND_PARTNER', brand_id: brand }), brand];
  }

  const referralSpec = (
    name: string,
    token: Key,
    status: string,
    input: (referralId: string, m: string) => Record<string, unknown>,
    column: string | null,
    before?: (referralId: string) => Promise<unknown>,
    send = true,
  ): Spec => ({
    name,
    token,
    selection: `referral { id reference status version ${column ? `${column.replace(/_(.)/g, (_, c: string) => c.toUpperCase())} ` : ''}investigation { id status } }`,
    setup: async (m) => {
      const c = await buildCase(server, world, { referTo: world.gid.agencyX, send, tag: m });
      await before?.(c.referralId!);
      const r = rid(c.referralId!);
      return {
        input: { ...input(c.referralId!, m), idempotencyKey: m },
        fault: ['investigation', rid(c.investigationId)],
        armed: ['referral', `id = ${r} AND status = '${status}'`],
        facts: [
          [
            `SELECT status${column ? `, ${column} AS x` : ''} FROM referral WHERE id = ${r}`,
            [{ status, ...(column ? { x: m } : {}) }],
          ],
        ],
      };
    },
  });

  return {
    owner,
    rid,
    lit,
    inputType,
    call,
    committed,
    insertRow,
    newSeller,
    newListing,
    nextId,
    reported,
    triaged,
    opened,
    outcomes,
    jointOperation,
    raisedMatch,
    principal,
    referralSpec,
  };
}
