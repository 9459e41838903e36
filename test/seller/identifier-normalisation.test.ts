// Spellings of one phone or one mailbox are one identifier. Phones are read as E.164
// (libphonenumber-js) in the seller's country; emails as the provider's canonical mailbox (Gmail ignores dots
// and +tags, documented subaddressing drops the +tag, other domains only lower-case). The stored identifiers
// are re-keyed to these rules by a migration that decrypts each value with the configured keys; identifiers
// kept as a hash only stay as they were (hash_version 1).
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { createDataSource, migrate } from '../../src/database/data-source';
import {
  decryptIdentifier,
  encryptIdentifier,
  identifierAssociatedData,
} from '../../src/modules/seller/identifier-cipher';
import {
  canonicalEmail,
  EMAIL_PROVIDERS,
  identifierHash,
  normaliseIdentifier,
} from '../../src/modules/seller/identifier-hash';
import { IdentifierKind } from '../../src/modules/seller/seller-identifier.entity';
import { verifyAuditChain } from '../../src/shared/audit/audit.service';
import { featureSettings } from '../../src/shared/settings';
import { mutate } from '../support/cases';
import { createTestDatabase, TestDatabase } from '../support/database';
import { dataOf, testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

const { PHONE, EMAIL } = IdentifierKind;

describe('the normalisation rules (version 2)', () => {
  it("read a phone number in the seller's country: national, international-prefix and E.164 spellings are one number", () => {
    const cn = { region: 'CN-ZJ' };
    for (const spelling of [
      '13854170203',
      '0086 138 54170203',
      '+86 138 5417 0203',
      '+86-138-5417-0203',
      '(+86) 13854170203',
    ]) {
      expect([spelling, normaliseIdentifier(PHONE, spelling, cn)]).toEqual([spelling, '+8613854170203']);
    }
    // A national number is read in the seller's own country; with a country code, wherever the seller is.
    expect(normaliseIdentifier(PHONE, '(415) 555-0100', { region: 'US-CA' })).toBe('+14155550100');
    expect(normaliseIdentifier(PHONE, '+1 415 555 0100', cn)).toBe('+14155550100');
    // Not a possible phone number: its digits, as version 1 kept them.
    expect(normaliseIdentifier(PHONE, 'network-7-PHONE', cn)).toBe('7');
    expect(normaliseIdentifier(PHONE, '+86 138', cn)).toBe(normaliseIdentifier(PHONE, '+86 138', cn, 1));
  });

  it('spell a mailbox as its provider does: Gmail without dots and +tags, documented subaddressing without the +tag', () => {
    expect(canonicalEmail('j.o.h.n.doe+shop2@googlemail.com')).toBe('johndoe@gmail.com');
    expect(normaliseIdentifier(EMAIL, ' John.Doe+Shop@GMAIL.com ')).toBe('johndoe@gmail.com');
    expect(normaliseIdentifier(EMAIL, 'seller.one+taobao@outlook.com')).toBe('seller.one@outlook.com');
    expect(normaliseIdentifier(EMAIL, 'seller+x@proton.me')).toBe('seller@proton.me');
    // Not listed: only lower-cased (a +tag may be another person's mailbox there).
    expect(normaliseIdentifier(EMAIL, 'Seller+x@QQ.com')).toBe('seller+x@qq.com');
    expect(normaliseIdentifier(EMAIL, 'first.last@example.com')).toBe('first.last@example.com');
    // Version 1 only lower-cased.
    expect(normaliseIdentifier(EMAIL, 'John.Doe+Shop@GMAIL.com', {}, 1)).toBe('john.doe+shop@gmail.com');
    expect(EMAIL_PROVIDERS.flatMap((p) => p.domains)).toEqual(
      expect.arrayContaining(['gmail.com', 'googlemail.com', 'outlook.com']),
    );
  });
});

describe('identifiers through the API', () => {
  const { db, world, server } = useTestServer();

  const createSeller = async (externalId: string, region: string, identifiers: { kind: string; value: string }[]) =>
    (
      await mutate(
        server,
        world.keys.investigator,
        'createSeller',
        { platform: 'TAOBAO', externalId, displayName: `Shop ${externalId}`, region, identifiers },
        'seller { id }',
      )
    ).seller.id as string;
  const close = (sellerId: string) =>
    mutate(
      server,
      world.keys.investigator,
      'updateSellerStatus',
      { sellerId, status: 'CLOSED', reason: 'counterfeits' },
      'seller { status }',
    );
  const hashes = (kind: string, externalIds: string[]) =>
    db.dataSource.query(
      `SELECT s.external_id, si.value_hash, si.hash_version FROM seller_identifier si JOIN seller s ON s.id = si.seller_id
     WHERE si.kind = $1 AND s.external_id = ANY($2) ORDER BY s.external_id`,
      [kind, externalIds],
    );
  const matchesOf = async (sellerId: string) =>
    dataOf(
      await server.gql(
        world.keys.investigator,
        `query($ids: [ID!]) { repeatOffenderMatches(first: 10, filter: { sellerIds: $ids }) { nodes { identifierKinds seller { id } priorSeller { id } } } }`,
        { ids: [sellerId] },
      ),
    ).repeatOffenderMatches.nodes;

  it("link three spellings of one phone (national, 0086, E.164) in the seller's country, and match the one of a closed seller", async () => {
    const closed = await createSeller('phone-e164', 'CN-ZJ', [{ kind: 'PHONE', value: '+86 138 5417 0203' }]);
    await close(closed);
    const national = await createSeller('phone-national', 'CN-ZJ', [{ kind: 'PHONE', value: '13854170203' }]);
    const prefixed = await createSeller('phone-0086', 'CN-GD', [{ kind: 'PHONE', value: '0086 138 54170203' }]);
    const rows = await hashes('PHONE', ['phone-e164', 'phone-national', 'phone-0086']);
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r: any) => r.value_hash)).size).toBe(1);
    expect(rows[0].value_hash).toBe(identifierHash(server.config.identifierHashKey, PHONE, '+8613854170203'));
    expect(rows.map((r: any) => r.hash_version)).toEqual([2, 2, 2]);
    for (const seller of [national, prefixed]) {
      expect(await matchesOf(seller)).toEqual([
        { identifierKinds: ['PHONE'], seller: { id: seller }, priorSeller: { id: closed } },
      ]);
    }
  });

  it('link Gmail spellings of one mailbox (dots, +tag, googlemail.com)', async () => {
    const closed = await createSeller('gmail-plain', 'CN-ZJ', [{ kind: 'EMAIL', value: 'johndoe@gmail.com' }]);
    await close(closed);
    const dotted = await createSeller('gmail-dotted', 'CN-ZJ', [
      { kind: 'EMAIL', value: 'John.Doe+shop7@googlemail.com' },
    ]);
    const rows = await hashes('EMAIL', ['gmail-plain', 'gmail-dotted']);
    expect(rows[0].value_hash).toBe(rows[1].value_hash);
    expect(await matchesOf(dotted)).toEqual([
      { identifierKinds: ['EMAIL'], seller: { id: dotted }, priorSeller: { id: closed } },
    ]);
  });

  it('drop a +tag only where the provider documents subaddressing (outlook.com yes, qq.com no)', async () => {
    await createSeller('outlook-plain', 'CN-ZJ', [{ kind: 'EMAIL', value: 'factory.sales@outlook.com' }]);
    await createSeller('outlook-tagged', 'CN-ZJ', [{ kind: 'EMAIL', value: 'Factory.Sales+taobao@Outlook.com' }]);
    await createSeller('qq-plain', 'CN-ZJ', [{ kind: 'EMAIL', value: '12345678@qq.com' }]);
    await createSeller('qq-tagged', 'CN-ZJ', [{ kind: 'EMAIL', value: '12345678+shop@qq.com' }]);
    const outlook = await hashes('EMAIL', ['outlook-plain', 'outlook-tagged']);
    expect(outlook[0].value_hash).toBe(outlook[1].value_hash);
    const qq = await hashes('EMAIL', ['qq-plain', 'qq-tagged']);
    expect(qq[0].value_hash).not.toBe(qq[1].value_hash);
    // The value kept (encrypted) is the one given, bound to the new hash: a reveal shows what was recorded.
    const [tagged] = await db.dataSource
      .query(`SELECT si.seller_id::text, si.value_hash, si.value_encrypted, si.encryption_key_id FROM seller_identifier si
      JOIN seller s ON s.id = si.seller_id WHERE s.external_id = 'outlook-tagged'`);
    expect(
      decryptIdentifier(
        featureSettings().identifierEncryption,
        identifierAssociatedData(tagged.seller_id, EMAIL, tagged.value_hash),
        { valueEncrypted: tagged.value_encrypted, keyId: tagged.encryption_key_id },
      ),
    ).toBe('Factory.Sales+taobao@Outlook.com');
  });
});

describe('the migration that re-keys stored identifiers (IdentifierNormalisation1764000500000)', () => {
  const REKEY = 1764000500000;
  const timestampOf = (m: { name: string }) => Number(/(\d{13})$/.exec(m.name)?.[1]);
  const key = testConfig().identifierHashKey;
  const encryption = featureSettings().identifierEncryption;

  /** A database migrated up to just before the re-keying, as a server of the previous version left it. */
  async function databaseBeforeRekey(): Promise<{ db: TestDatabase; early: DataSource }> {
    const db = await createTestDatabase({ migrated: false });
    const early = createDataSource({ url: db.url, applicationName: 'eca-test-early' });
    early.setOptions({ migrations: migrations.filter((m) => timestampOf(m) < REKEY) });
    await early.initialize();
    await early.runMigrations({ transaction: 'each' });
    return { db, early };
  }

  /** An identifier as version 1 wrote it: hash of the version-1 spelling, value encrypted bound to that hash. */
  async function v1Identifier(
    db: DataSource,
    sellerId: string,
    kind: IdentifierKind,
    raw: string,
    { hashOnly = false, hashKey = key } = {},
  ): Promise<string> {
    const valueHash = identifierHash(hashKey, kind, raw, {}, 1);
    const encrypted = hashOnly
      ? null
      : encryptIdentifier(encryption, identifierAssociatedData(sellerId, kind, valueHash), raw);
    const [row] = await db.query(
      `INSERT INTO seller_identifier (seller_id, kind, value_hash, value_encrypted, encryption_key_id) VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
      [sellerId, kind, valueHash, encrypted?.valueEncrypted ?? null, encrypted?.keyId ?? null],
    );
    return row.id;
  }
  const seller = async (db: DataSource, externalId: string, region: string) =>
    (
      await db.query(
        `INSERT INTO seller (platform, external_id, display_name, region, status, strike_count) VALUES ('TAOBAO', $1, $1, $2, 'ACTIVE', 0) RETURNING id::text`,
        [externalId, region],
      )
    )[0].id as string;

  it('re-keys every identifier with a value, merges spellings a seller now holds twice, leaves hash-only ones at version 1, and audits it', async () => {
    const { db, early } = await databaseBeforeRekey();
    try {
      const zj = await seller(early, 'zj', 'CN-ZJ');
      const gd = await seller(early, 'gd', 'CN-GD');
      const ids = {
        national: await v1Identifier(early, zj, PHONE, '13854170203'),
        e164: await v1Identifier(early, gd, PHONE, '+86 138 5417 0203'),
        dotted: await v1Identifier(early, zj, EMAIL, 'John.Doe+a@gmail.com'),
        plain: await v1Identifier(early, zj, EMAIL, 'johndoe@gmail.com'),
        hashOnly: await v1Identifier(early, gd, EMAIL, 'J.Doe@gmail.com', { hashOnly: true }),
        device: await v1Identifier(early, gd, IdentifierKind.DEVICE, 'IMEI-55'),
      };
      const before = await early.query(`SELECT id::text, value_hash FROM seller_identifier ORDER BY id`);
      await early.destroy();

      await migrate(db.dataSource);
      const rows: any[] = await db.dataSource.query(
        `SELECT id::text, seller_id::text, kind, value_hash, value_encrypted, encryption_key_id, hash_version FROM seller_identifier ORDER BY id`,
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      const phone = identifierHash(key, PHONE, '+8613854170203');
      // The national and the E.164 spelling of one phone now link; the device's hash did not change.
      expect(byId.get(ids.national)).toMatchObject({ value_hash: phone, hash_version: 2 });
      expect(byId.get(ids.e164)).toMatchObject({ value_hash: phone, hash_version: 2 });
      expect(byId.get(ids.device)).toMatchObject({
        value_hash: before.find((r: any) => r.id === ids.device).value_hash,
        hash_version: 2,
      });
      // Two spellings of one Gmail mailbox of one seller: the oldest stays (with the new hash), the other is merged into it.
      expect(byId.has(ids.dotted)).toBe(true);
      expect(byId.has(ids.plain)).toBe(false);
      expect(byId.get(ids.dotted)).toMatchObject({
        value_hash: identifierHash(key, EMAIL, 'johndoe@gmail.com'),
        hash_version: 2,
      });
      // Kept as a hash only: nothing to re-key it from.
      expect(byId.get(ids.hashOnly)).toMatchObject({
        value_hash: before.find((r: any) => r.id === ids.hashOnly).value_hash,
        value_encrypted: null,
        hash_version: 1,
      });
      // Each re-keyed value decrypts bound to its new hash.
      for (const id of [ids.national, ids.e164, ids.dotted]) {
        const r = byId.get(id);
        expect(
          decryptIdentifier(encryption, identifierAssociatedData(r.seller_id, r.kind, r.value_hash), {
            valueEncrypted: r.value_encrypted,
            keyId: r.encryption_key_id,
          }),
        ).toBe(
          { [ids.national]: '13854170203', [ids.e164]: '+86 138 5417 0203', [ids.dotted]: 'John.Doe+a@gmail.com' }[id],
        );
      }
      // Audited (hashes, never values), in a chain that still verifies.
      const events = await db.dataSource.query(
        `SELECT action, entity_id::text, actor_label, before, after FROM audit_event ORDER BY seq`,
      );
      expect(events.map((e: any) => [e.action, e.entity_id]).sort()).toEqual(
        [
          ['sellerIdentifier.merged', ids.plain],
          ['sellerIdentifier.rekeyed', ids.dotted],
          ['sellerIdentifier.rekeyed', ids.national],
        ].sort(),
      );
      expect(events[0].actor_label).toContain('IdentifierNormalisation1764000500000');
      expect(JSON.stringify(events)).not.toMatch(/13854170203|johndoe|John\.Doe/i);
      expect((await verifyAuditChain(db.dataSource.manager)).ok).toBe(true);
      // New rows get version 2 by default; the uniqueness of (seller, kind, hash) is back.
      const [{ column_default: columnDefault }] = await db.dataSource.query(
        `SELECT column_default FROM information_schema.columns WHERE table_name = 'seller_identifier' AND column_name = 'hash_version'`,
      );
      expect(columnDefault).toBe('2');
      await expect(
        db.dataSource.query(`INSERT INTO seller_identifier (seller_id, kind, value_hash) VALUES ($1, 'PHONE', $2)`, [
          zj,
          phone,
        ]),
      ).rejects.toThrow(/duplicate key/);
    } finally {
      await db.drop();
    }
  });

  it('refuses to re-key with another IDENTIFIER_HASH_KEY than the one the identifiers were made with, and changes nothing', async () => {
    const { db, early } = await databaseBeforeRekey();
    try {
      const zj = await seller(early, 'zj', 'CN-ZJ');
      await v1Identifier(early, zj, PHONE, '13854170203', {
        hashKey: 'another-identifier-hash-key-of-32-characters!!',
      });
      await early.destroy();
      await expect(migrate(db.dataSource)).rejects.toThrow(/was not made with the configured IDENTIFIER_HASH_KEY/);
      const columns = await db.dataSource.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'seller_identifier' AND column_name = 'hash_version'`,
      );
      expect(columns).toEqual([]);
      const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event`);
      expect(n).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
