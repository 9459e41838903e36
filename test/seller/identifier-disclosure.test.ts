// Purpose-bound disclosure of personal data: seller identifiers kept as a keyed hash
// and an encrypted raw value; the raw value revealed only to investigators and admins, and to an agency
// liaison on a referral sent to it that names the seller, each reveal in the audit trail.
import { createDataSource } from '../../src/database/data-source';
import {
  decryptIdentifier,
  encryptIdentifier,
  identifierAssociatedData,
} from '../../src/modules/seller/identifier-cipher';
import { identifierHash } from '../../src/modules/seller/identifier-hash';
import { IdentifierKind } from '../../src/modules/seller/seller-identifier.entity';
import { DEMO_IDENTIFIER_ENCRYPTION_KEY, loadFeatureSettings } from '../../src/shared/settings';
import { buildCase, CaseIds, mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();
let caseA: CaseIds; // brand A on seller A, referred to agency X
let caseB: CaseIds; // brand B on seller B, referred to agency X as well
let phoneA: string;
let emailA: string;

const rowId = (gid: string) => Buffer.from(gid, 'base64url').toString('utf8').split(':')[1];

beforeAll(async () => {
  caseA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'disclosure A' });
  caseB = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyX, tag: 'disclosure B' });
});

const REVEAL = `mutation($input: RevealSellerIdentifiersInput!) { revealSellerIdentifiers(input: $input) {
  disclosure { sellerId referralId purpose revealedAt identifiers { identifierId kind value } } userErrors { code field message } } }`;
const reveal = async (token: string, input: Record<string, unknown>) => server.gql(token, REVEAL, { input });
const revealCount = async () =>
  (
    await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'sellerIdentifier.revealed'`)
  )[0].n;

describe('seller identifiers', () => {
  it('are added by investigators as a keyed hash and an encrypted value, never the raw value in clear', async () => {
    const { identifier } = await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: world.gid.sellerA, kind: 'PHONE', value: '+86 139 1234 5678' },
      'identifier { id kind valueHash revealable }',
    );
    phoneA = identifier.id;
    expect(identifier).toMatchObject({
      kind: 'PHONE',
      revealable: true,
      valueHash: identifierHash(server.config.identifierHashKey, IdentifierKind.PHONE, '+8613912345678'),
    });
    const [row] = await db.dataSource.query(
      `SELECT value_encrypted, encryption_key_id FROM seller_identifier WHERE id = $1`,
      [rowId(identifier.id)],
    );
    expect(row.encryption_key_id).toBe('k1');
    expect(row.value_encrypted).not.toContain('1234');
    const trail = await db.dataSource.query(
      `SELECT after::text FROM audit_event WHERE action = 'sellerIdentifier.added'`,
    );
    expect(trail.map((t: any) => t.after).join()).not.toContain('1234 5678');

    ({
      identifier: { id: emailA },
    } = await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: world.gid.sellerA, kind: 'EMAIL', value: 'Fake.Alpha@example.com' },
      'identifier { id }',
    ));
    // The same phone in another spelling is the same identifier.
    expect(
      await refused(server, world.keys.investigator, 'addSellerIdentifier', {
        sellerId: world.gid.sellerA,
        kind: 'PHONE',
        value: '+86-139-1234-5678',
      }),
    ).toEqual([expect.objectContaining({ code: 'DUPLICATE' })]);
    expect(
      await refused(server, world.keys.investigator, 'addSellerIdentifier', {
        sellerId: world.gid.sellerA,
        kind: 'PHONE',
        value: ' - ',
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID' })]);
  });

  it('are written only by investigators and admins', async () => {
    for (const key of [world.keys.analyst, world.keys.brandA, world.keys.agencyX]) {
      const response = await server.gql(
        key,
        `mutation($input: AddSellerIdentifierInput!) { addSellerIdentifier(input: $input) { userErrors { code } } }`,
        { input: { sellerId: world.gid.sellerA, kind: 'EMAIL', value: 'x@example.com' } },
      );
      expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('come with a new seller (createSeller), which refuses a shop already known', async () => {
    const { seller } = await mutate(
      server,
      world.keys.investigator,
      'createSeller',
      {
        platform: 'TAOBAO',
        externalId: 'new-shop-1',
        displayName: 'New shop',
        region: 'CN-ZJ',
        identifiers: [
          { kind: 'BANK_ACCOUNT', value: '6222 0000 1111 2222' },
          { kind: 'BANK_ACCOUNT', value: '6222-0000-1111-2222' },
        ],
      },
      'seller { id status identifiers { kind revealable } }',
    );
    expect(seller).toMatchObject({ status: 'ACTIVE', identifiers: [{ kind: 'BANK_ACCOUNT', revealable: true }] });
    expect(
      await refused(server, world.keys.investigator, 'createSeller', {
        platform: 'TAOBAO',
        externalId: 'new-shop-1',
        displayName: 'Again',
        region: 'CN-ZJ',
      }),
    ).toEqual([expect.objectContaining({ code: 'DUPLICATE', field: ['input', 'externalId'] })]);
    expect(
      await refused(server, world.keys.investigator, 'createSeller', {
        platform: 'TAOBAO',
        externalId: 'new-shop-2',
        displayName: 'Bad',
        region: 'Zhejiang',
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'region'] })]);
    const tooLong = await server.gql(
      world.keys.investigator,
      `mutation($input: CreateSellerInput!) { createSeller(input: $input) { userErrors { code } } }`,
      {
        input: {
          platform: 'TAOBAO',
          externalId: 'new-shop-3',
          displayName: 'Long',
          region: 'CN-ZJ',
          identifiers: [{ kind: 'EMAIL', value: 'x'.repeat(501) }],
        },
      },
    );
    expect(tooLong.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('revealing raw identifiers', () => {
  it('gives an investigator the raw values for a stated purpose and records each reveal with actor, purpose and time', async () => {
    const before = await revealCount();
    const response = dataOf(
      await reveal(world.keys.investigator, {
        sellerId: world.gid.sellerA,
        purpose: 'Raid warrant application 2026-0412',
        kinds: ['PHONE'],
      }),
    );
    const { disclosure, userErrors } = response.revealSellerIdentifiers;
    expect(userErrors).toEqual([]);
    expect(disclosure).toMatchObject({
      sellerId: world.gid.sellerA,
      referralId: null,
      purpose: 'Raid warrant application 2026-0412',
      identifiers: [
        // The phone of the fixtures was recorded as a hash only: nothing to reveal.
        { identifierId: world.gid.identifierA, kind: 'PHONE', value: null },
        { identifierId: phoneA, kind: 'PHONE', value: '+86 139 1234 5678' },
      ],
    });
    expect(await revealCount()).toBe(before + 1);
    const trail = dataOf(
      await server.gql(
        world.keys.admin,
        `query($id: ID!) { auditTrail(entityId: $id) { nodes { action at actorLabel after } } }`,
        { id: phoneA },
      ),
    ).auditTrail.nodes;
    expect(trail.map((e: any) => e.action)).toEqual(['sellerIdentifier.added', 'sellerIdentifier.revealed']);
    expect(trail[1]).toMatchObject({
      actorLabel: 'investigator (INVESTIGATOR)',
      after: { purpose: 'Raid warrant application 2026-0412', legalBasis: 'INTERNAL', referralId: null, kind: 'PHONE' },
    });
    expect(Math.abs(new Date(trail[1].at).getTime() - new Date(disclosure.revealedAt).getTime())).toBeLessThan(5000);
  });

  it('is refused to analysts and brand partners, and records nothing', async () => {
    const before = await revealCount();
    for (const key of [world.keys.analyst, world.keys.brandA]) {
      const response = await reveal(key, { sellerId: world.gid.sellerA, purpose: 'curiosity is not a purpose' });
      expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(JSON.stringify(response.body)).not.toContain('5678');
    }
    expect(await revealCount()).toBe(before);
  });

  it('gives an agency liaison the values only with a referral sent to its agency that names the seller', async () => {
    const before = await revealCount();
    const noBasis = dataOf(
      await reveal(world.keys.agencyX, { sellerId: world.gid.sellerA, purpose: 'Preparing the raid on the warehouse' }),
    ).revealSellerIdentifiers;
    expect(noBasis.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'referralId'] })]);

    const ok = dataOf(
      await reveal(world.keys.agencyX, {
        sellerId: world.gid.sellerA,
        purpose: 'Preparing the raid on the warehouse',
        referralId: caseA.referralId,
      }),
    ).revealSellerIdentifiers;
    expect(ok.userErrors).toEqual([]);
    expect(ok.disclosure.identifiers).toEqual([
      { identifierId: null, kind: 'PHONE', value: null },
      { identifierId: null, kind: 'PHONE', value: '+86 139 1234 5678' },
      { identifierId: null, kind: 'EMAIL', value: 'Fake.Alpha@example.com' },
    ]);
    expect(await revealCount()).toBe(before + 2);
    const [event] = await db.dataSource.query(
      `SELECT actor_label, after FROM audit_event WHERE action = 'sellerIdentifier.revealed' AND entity_id = $1 ORDER BY seq DESC LIMIT 1`,
      [rowId(emailA)],
    );
    expect(event).toMatchObject({
      actor_label: 'agency X tool (AGENCY_LIAISON)',
      after: {
        legalBasis: 'REFERRAL',
        referralId: rowId(caseA.referralId!),
        purpose: 'Preparing the raid on the warehouse',
      },
    });

    // A referral of its own that names another seller is no basis; another agency's referral does not exist for it.
    const wrongSeller = dataOf(
      await reveal(world.keys.agencyX, {
        sellerId: world.gid.sellerB,
        purpose: 'Preparing the raid on the warehouse',
        referralId: caseA.referralId,
      }),
    ).revealSellerIdentifiers;
    expect(wrongSeller.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', field: ['input', 'referralId'] }),
    ]);
    const otherAgency = dataOf(
      await reveal(world.keys.agencyY, {
        sellerId: world.gid.sellerA,
        purpose: 'Preparing the raid on the warehouse',
        referralId: caseA.referralId,
      }),
    ).revealSellerIdentifiers;
    expect(otherAgency.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect(await revealCount()).toBe(before + 2);
  });

  it('ends for an agency with its referral declined', async () => {
    await mutate(
      server,
      world.keys.agencyX,
      'declineReferral',
      { referralId: caseB.referralId, reason: 'Outside our jurisdiction' },
      'referral { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: world.gid.sellerB, kind: 'EMAIL', value: 'beta-fake@example.com' },
      'identifier { id }',
    );
    const declined = dataOf(
      await reveal(world.keys.agencyX, {
        sellerId: world.gid.sellerB,
        purpose: 'Preparing the raid on the warehouse',
        referralId: caseB.referralId,
      }),
    ).revealSellerIdentifiers;
    expect(declined.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', message: expect.stringContaining('declined') }),
    ]);
  });

  it('fails closed when a stored value was altered or moved to another row, revealing and recording nothing', async () => {
    const before = await revealCount();
    // Copy seller A's encrypted e-mail onto its phone row: the associated data no longer matches.
    await db.dataSource.query(
      `UPDATE seller_identifier SET value_encrypted = (SELECT value_encrypted FROM seller_identifier WHERE id = $1) WHERE id = $2`,
      [rowId(emailA), rowId(phoneA)],
    );
    const response = await reveal(world.keys.investigator, {
      sellerId: world.gid.sellerA,
      purpose: 'Checking a tampered record',
    });
    expect(response.body.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(response.body)).not.toContain('example.com');
    expect(await revealCount()).toBe(before);
  });
});

describe('the database function behind the reveal', () => {
  it("applies the legal basis itself: an agency's connection reads identifiers only through a referral of its own naming the seller", async () => {
    const app = await createDataSource({ url: db.apiUrl, api: true, poolSize: 1 }).initialize();
    try {
      const read = (scope: string, agencyId: string, referral: string | null) =>
        app.transaction(async (m) => {
          await m.query(`SELECT set_config('eca.scope', $1, true), set_config('eca.agency_id', $2, true)`, [
            scope,
            agencyId,
          ]);
          return {
            direct: (await m.query(`SELECT count(*)::int AS n FROM seller_identifier`))[0].n,
            disclosable: (
              await m.query(`SELECT count(*)::int AS n FROM eca_disclosable_identifiers($1, $2)`, [
                world.ids.sellerA,
                referral,
              ])
            )[0].n,
          };
        });
      expect(await read('AGENCY', world.ids.agencyX, rowId(caseA.referralId!))).toEqual({ direct: 0, disclosable: 3 });
      expect(await read('AGENCY', world.ids.agencyX, null)).toEqual({ direct: 0, disclosable: 0 });
      expect(await read('AGENCY', world.ids.agencyY, rowId(caseA.referralId!))).toEqual({ direct: 0, disclosable: 0 });
      expect(await read('AGENCY', world.ids.agencyX, rowId(caseB.referralId!))).toEqual({ direct: 0, disclosable: 0 });
      expect(await read('BRAND', '', rowId(caseA.referralId!))).toEqual({ direct: 0, disclosable: 0 });
    } finally {
      await app.destroy();
    }
  });
});

describe('identifier encryption', () => {
  it('uses authenticated encryption under a versioned key, so that retired keys still decrypt after a rotation', () => {
    const k1 = loadFeatureSettings({ NODE_ENV: 'test' }).identifierEncryption;
    const aad = identifierAssociatedData('7', 'PHONE', 'ab'.repeat(32));
    const stored = encryptIdentifier(k1, aad, '+86 139 0000 0000');
    expect(stored.keyId).toBe('k1');
    const fresh = Buffer.alloc(32, 7).toString('base64');
    const rotated = loadFeatureSettings({
      NODE_ENV: 'test',
      IDENTIFIER_ENCRYPTION_KEY: fresh,
      IDENTIFIER_ENCRYPTION_KEY_ID: 'k2',
      IDENTIFIER_ENCRYPTION_OLD_KEYS: `k1:${DEMO_IDENTIFIER_ENCRYPTION_KEY}`,
    }).identifierEncryption;
    expect(encryptIdentifier(rotated, aad, 'x').keyId).toBe('k2');
    expect(decryptIdentifier(rotated, aad, stored)).toBe('+86 139 0000 0000');
    expect(() =>
      decryptIdentifier(
        loadFeatureSettings({ NODE_ENV: 'test', IDENTIFIER_ENCRYPTION_KEY: fresh, IDENTIFIER_ENCRYPTION_KEY_ID: 'k2' })
          .identifierEncryption,
        aad,
        stored,
      ),
    ).toThrow(/No identifier encryption key with id "k1"/);
    expect(() => decryptIdentifier(k1, identifierAssociatedData('8', 'PHONE', 'ab'.repeat(32)), stored)).toThrow(
      /failed authentication/,
    );
  });

  it('refuses a missing or demo key in production and a malformed key anywhere, without repeating it', () => {
    expect(() => loadFeatureSettings({ NODE_ENV: 'production' })).toThrow(
      /IDENTIFIER_ENCRYPTION_KEY is required in production/,
    );
    expect(() =>
      loadFeatureSettings({ NODE_ENV: 'production', IDENTIFIER_ENCRYPTION_KEY: DEMO_IDENTIFIER_ENCRYPTION_KEY }),
    ).toThrow(/demo key is refused/);
    let message = '';
    try {
      loadFeatureSettings({ IDENTIFIER_ENCRYPTION_KEY: 'short-secret-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/IDENTIFIER_ENCRYPTION_KEY must be 32 bytes/);
    expect(message).not.toContain('short-secret-value');
    expect(
      loadFeatureSettings({
        NODE_ENV: 'production',
        IDENTIFIER_ENCRYPTION_KEY: 'ab'.repeat(32),
      }).identifierEncryption.keys.get('k1'),
    ).toHaveLength(32);
  });
});
