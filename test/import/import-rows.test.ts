import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actingAs } from '../../src/import/import-principal';
import { importFile, ImportOptions } from '../../src/import/import';
import { RequestContext, systemContext } from '../../src/shared/context';
import { testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

/**
 * `eca import` row by row, in this process: each kind in CSV and in JSON lines with some invalid rows. The
 * report names each rejected row's line, field and reason; nothing of those rows is stored (nor audited); the
 * valid rows are stored with their audit events, read back through the owner connection.
 */

const { db, world } = useTestServer({ server: false });
let dir: string;
beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-import-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cli = () => systemContext(db.dataSource, testConfig(), 'cli');

async function keyOf(principalName: string): Promise<string> {
  const [row] = await db.dataSource.query(
    `SELECT k.id::text FROM api_key k JOIN principal p ON p.id = k.principal_id WHERE p.name = $1`,
    [principalName],
  );
  return row.id;
}

async function run(
  ctx: RequestContext,
  name: string,
  content: string,
  options: Omit<ImportOptions, 'file' | 'format'>,
) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const format = name.endsWith('.csv') ? 'csv' : 'jsonl';
  const summary = await importFile(ctx, { file, format, ...options });
  return { summary, report: fs.readFileSync(`${file}.rejected.${format}`, 'utf8') };
}

const jsonl = (...rows: unknown[]) =>
  rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n');
const events = async (action: string, entityIds: string[]) =>
  db.dataSource.query(
    `SELECT entity_id::text, actor_label, actor_id::text, after FROM audit_event WHERE action = $1 AND entity_id = ANY($2::bigint[]) ORDER BY seq`,
    [action, entityIds],
  );

describe('import sellers', () => {
  it('CSV: valid sellers are created with their identifiers and audited as cli; invalid rows are reported and leave nothing', async () => {
    const { summary, report } = await run(
      cli(),
      'sellers.csv',
      [
        'platform,external_id,display_name,region,identifiers',
        'TAOBAO,imp-1,First import,CN-ZJ,PHONE:+86 138 0000 0001;EMAIL:shop@example.com',
        'TAOBAO,imp-2,,CN-ZJ,',
        'TAOBAO,imp-3,Bad region,Zhejiang,',
        'TAOBAO,imp-4,Empty phone,CN-ZJ,PHONE:---',
        'TAOBAO,sa,Already there,CN-ZJ,',
        'TAOBAO,imp-5,Bad kind,CN-ZJ,FAX:123',
        '"TAOBAO","imp-6","A name, with a comma',
        'and a line break",CN-GD,',
      ].join('\n'),
      { kind: 'sellers' },
    );
    expect(report.split('\n')).toEqual([
      'line,field,reason',
      '3,display_name,is required',
      '4,region,"""Zhejiang"" is not an ISO 3166-2 region such as CN-ZJ."',
      '5,identifiers,The PHONE value is empty once normalised.',
      '6,external_id,A seller TAOBAO/sa already exists.',
      '7,identifiers,"each identifier is KIND:value, KIND one of PAYMENT_ACCOUNT, PHONE, EMAIL, ADDRESS, DEVICE, BUSINESS_LICENSE, BANK_ACCOUNT"',
      '',
    ]);
    expect(summary).toMatchObject({ imported: 2, rejected: 5, skipped: 0, resumedAfter: null });
    const sellers = await db.dataSource.query(
      `SELECT id::text, external_id, display_name, (SELECT count(*)::int FROM seller_identifier i WHERE i.seller_id = s.id) AS identifiers
       FROM seller s WHERE external_id LIKE 'imp-%' ORDER BY external_id`,
    );
    expect(sellers.map(({ id: _id, ...s }: { id: string }) => s)).toEqual([
      { external_id: 'imp-1', display_name: 'First import', identifiers: 2 },
      { external_id: 'imp-6', display_name: 'A name, with a comma\nand a line break', identifiers: 0 },
    ]);
    const created = await events(
      'seller.created',
      sellers.map((s: { id: string }) => s.id),
    );
    expect(created.map((e: { actor_label: string }) => e.actor_label)).toEqual(['cli (ADMIN)', 'cli (ADMIN)']);
    // The row refused after its seller was written (an empty phone) left neither the seller nor its events.
    const [{ stray }] = await db.dataSource.query(
      `SELECT count(*)::int AS stray FROM audit_event WHERE action = 'seller.created' AND after->>'externalId' = ANY($1)`,
      [['imp-2', 'imp-3', 'imp-4', 'imp-5']],
    );
    expect(stray).toBe(0);
    const [{ identifiers }] = await db.dataSource.query(
      `SELECT count(*)::int AS identifiers FROM audit_event WHERE action = 'sellerIdentifier.added' AND after->>'sellerId' = $1`,
      [sellers[0].id],
    );
    expect(identifiers).toBe(2);
  });

  it('JSON lines: identifiers as a list; a line that is not an object is reported', async () => {
    const { summary, report } = await run(
      cli(),
      'sellers.jsonl',
      jsonl(
        {
          platform: 'TMALL',
          external_id: 'imp-j1',
          display_name: 'From JSON',
          region: 'CN-GD',
          identifiers: [{ kind: 'EMAIL', value: 'j1@example.com' }, 'PHONE:+86 139 0000 0002'],
        },
        '{"platform": "TMALL", "external_id": ',
        [1, 2],
        { platform: 'TMALL', external_id: 'imp-j2', display_name: 'x'.repeat(301), region: 'CN-GD' },
        { platform: 'TMALL', external_id: 42, display_name: 'A number as id', region: 'CN-GD' },
      ),
      { kind: 'sellers' },
    );
    const lines = report
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { line: 2, field: '(row)', reason: expect.stringMatching(/^not JSON: /) },
      { line: 3, field: '(row)', reason: 'each line must be one JSON object' },
      { line: 4, field: 'display_name', reason: 'displayName must be shorter than or equal to 300 characters' },
    ]);
    expect(summary).toMatchObject({ imported: 2, rejected: 3 });
    const rows = await db.dataSource.query(
      `SELECT external_id FROM seller WHERE external_id IN ('imp-j1', 'imp-j2', '42') ORDER BY 1`,
    );
    expect(rows).toEqual([{ external_id: '42' }, { external_id: 'imp-j1' }]);
  });
});

describe('import listings', () => {
  const header = 'seller_platform,seller_external_id,brand,title,url,price_amount,price_currency';

  it('CSV: listings of known sellers and brands are created LIVE and audited one event each; the others are reported', async () => {
    const { summary, report } = await run(
      cli(),
      'listings.csv',
      [
        header,
        'TAOBAO,sa,alpha,Alpha bag (import),https://shop.example/a/1,19900,CNY',
        'TAOBAO,nobody,alpha,Unknown seller (import),https://shop.example/a/2,100,CNY',
        'TAOBAO,sa,nobrand,Unknown brand (import),https://shop.example/a/3,100,CNY',
        'TAOBAO,sa,alpha,Bad price (import),https://shop.example/a/4,12.50,CNY',
        'TAOBAO,sa,alpha,Bad url (import),javascript:alert(1),100,CNY',
        'TAOBAO,sa,alpha,Bad currency (import),https://shop.example/a/6,100,yuan',
        'TMALL,sb,beta,Beta watch (import),https://shop.example/b/7,0,USD',
      ].join('\n'),
      { kind: 'listings', chunkSize: 3 },
    );
    expect(report.split('\n')).toEqual([
      'line,field,reason',
      '3,seller_external_id,No seller TAOBAO/nobody that you may see.',
      '4,brand,"No brand ""nobrand"" that you may see."',
      '5,price_amount,"a whole number of the currency minor unit (0 or more, e.g. 1999) is required"',
      '6,url,an http(s) address of at most 2000 characters is required',
      '7,price_currency,an ISO 4217 currency code such as CNY is required',
      '',
    ]);
    expect(summary).toMatchObject({ imported: 2, rejected: 5 });
    const listings = await db.dataSource.query(
      `SELECT id::text, seller_id::text, brand_id::text, title, price_amount::text, price_currency, status
       FROM listing WHERE title LIKE '%(import)' ORDER BY id`,
    );
    expect(listings.map(({ id: _id, ...l }: { id: string }) => l)).toEqual([
      {
        seller_id: world.ids.sellerA,
        brand_id: world.ids.brandA,
        title: 'Alpha bag (import)',
        price_amount: '19900',
        price_currency: 'CNY',
        status: 'LIVE',
      },
      {
        seller_id: world.ids.sellerB,
        brand_id: world.ids.brandB,
        title: 'Beta watch (import)',
        price_amount: '0',
        price_currency: 'USD',
        status: 'LIVE',
      },
    ]);
    const created = await events(
      'listing.created',
      listings.map((l: { id: string }) => l.id),
    );
    expect(created).toEqual([
      expect.objectContaining({
        entity_id: listings[0].id,
        actor_label: 'cli (ADMIN)',
        after: expect.objectContaining({
          sellerId: world.ids.sellerA,
          brandId: world.ids.brandA,
          url: 'https://shop.example/a/1',
        }),
      }),
      expect.objectContaining({
        entity_id: listings[1].id,
        after: expect.objectContaining({ price: { amount: '0', currency: 'USD' } }),
      }),
    ]);
  });

  it('JSON lines: numbers as numbers; a missing column is reported; a second run of the same file does nothing', async () => {
    const content = jsonl(
      {
        seller_platform: 'TAOBAO',
        seller_external_id: 'sab',
        brand: 'beta',
        title: 'From JSON (jimport)',
        url: 'http://shop.example/j',
        price_amount: 500,
        price_currency: 'EUR',
      },
      {
        seller_platform: 'TAOBAO',
        seller_external_id: 'sab',
        title: 'No brand (jimport)',
        url: 'http://shop.example/k',
        price_amount: 1,
        price_currency: 'EUR',
      },
    );
    const first = await run(cli(), 'listings.jsonl', content, { kind: 'listings' });
    expect(
      first.report
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ line: 2, field: 'brand', reason: 'is required' }]);
    const again = await run(cli(), 'listings.jsonl', content, { kind: 'listings' });
    expect(again.summary).toMatchObject({ alreadyFinished: true, imported: 0 });
    const rows = await db.dataSource.query(
      `SELECT title, price_amount::int AS price FROM listing WHERE title LIKE '%(jimport)'`,
    );
    expect(rows).toEqual([{ title: 'From JSON (jimport)', price: 500 }]);
  });
});

describe('import leads as a brand partner (--as its key)', () => {
  it("CSV: its own brand by default; another brand's records are refused exactly as missing ones", async () => {
    const partner = await actingAs(cli(), await keyOf('brand A portal'));
    const { summary, report } = await run(
      partner,
      'leads.csv',
      [
        'description,brands,sellers,source,reporter_priority',
        'Fake Alpha bags (import),,TAOBAO/sa,,70',
        'Names Beta (import),beta,,,',
        'Names a missing brand (import),nosuch,,,',
        "Beta's seller (import),,TMALL/sb,,",
        'A missing seller (import),,TMALL/nosuch,,',
        'A tip (import),,,TIP,',
        'Too high (import),,,,101',
        ',,,,',
      ].join('\n'),
      { kind: 'leads' },
    );
    expect(report.split('\n')).toEqual([
      'line,field,reason',
      '3,brands,"No brand ""beta"" that you may see."',
      '4,brands,"No brand ""nosuch"" that you may see."',
      '5,sellers,No seller TMALL/sb that you may see.',
      '6,sellers,No seller TMALL/nosuch that you may see.',
      '7,source,A brand partner reports leads with source BRAND_REPORT only.',
      '8,reporter_priority,reporterPriority must not be greater than 100',
      '9,description,is required',
      '',
    ]);
    expect(summary).toMatchObject({ imported: 1, rejected: 7 });
    const leads = await db.dataSource.query(
      `SELECT l.id::text, l.source, l.reporter_priority, l.reported_by_id::text,
              ARRAY(SELECT brand_id::text FROM lead_brand WHERE lead_id = l.id) AS brands,
              ARRAY(SELECT seller_id::text FROM lead_seller WHERE lead_id = l.id) AS sellers
       FROM lead l WHERE l.description LIKE '%(import)'`,
    );
    expect(leads).toEqual([
      {
        id: expect.any(String),
        source: 'BRAND_REPORT',
        reporter_priority: 70,
        reported_by_id: partner.principal.rowId,
        brands: [world.ids.brandA],
        sellers: [world.ids.sellerA],
      },
    ]);
    expect(await events('lead.reported', [leads[0].id])).toEqual([
      expect.objectContaining({ actor_id: partner.principal.rowId, actor_label: 'brand A portal (BRAND_PARTNER)' }),
    ]);
  });

  it('JSON lines: --brand for rows that name none; an investigator may name any brand', async () => {
    const investigator = await actingAs(cli(), await keyOf('investigator'));
    const { summary, report } = await run(
      investigator,
      'leads.jsonl',
      jsonl(
        { description: 'Default brand (jimport)', sellers: ['TMALL/sb'], source: 'TEST_PURCHASE', risk_score: 80 },
        { description: 'Both brands (jimport)', brands: ['alpha', 'beta'] },
        { description: 'Bad source (jimport)', source: 'RUMOUR' },
      ),
      { kind: 'leads', brand: 'beta' },
    );
    expect(
      report
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ line: 3, field: 'source', reason: expect.stringMatching(/^"RUMOUR" is not one of BRAND_REPORT, /) }]);
    expect(summary).toMatchObject({ imported: 2, rejected: 1 });
    const leads = await db.dataSource.query(
      `SELECT l.description, l.source, l.risk_score, ARRAY(SELECT brand_id::text FROM lead_brand WHERE lead_id = l.id ORDER BY brand_id) AS brands
       FROM lead l WHERE l.description LIKE '%(jimport)' ORDER BY l.id`,
    );
    expect(leads).toEqual([
      { description: 'Default brand (jimport)', source: 'TEST_PURCHASE', risk_score: 80, brands: [world.ids.brandB] },
      {
        description: 'Both brands (jimport)',
        source: 'PLATFORM_DETECTION',
        risk_score: 50,
        brands: [world.ids.brandA, world.ids.brandB].sort(),
      },
    ]);
  });

  it('a brand partner may not import sellers or listings (case writers only): refused before any row', async () => {
    const partner = await actingAs(cli(), await keyOf('brand B portal'));
    await expect(
      run(partner, 'partner-sellers.csv', 'platform,external_id,display_name,region\nX,y,z,CN', { kind: 'sellers' }),
    ).rejects.toThrow('the role BRAND_PARTNER may not import sellers (ADMIN, INVESTIGATOR may)');
    const [{ runs }] = await db.dataSource.query(
      `SELECT count(*)::int AS runs FROM import_run WHERE file_name LIKE '%partner-sellers.csv'`,
    );
    expect(runs).toBe(0);
  });
});

describe('columns', () => {
  it('a CSV header with an unknown or a missing column is refused before any row, and no run is recorded', async () => {
    await expect(
      run(cli(), 'misspelt.csv', 'platform,externalid,display_name,region\nTAOBAO,x,y,CN-ZJ\n', { kind: 'sellers' }),
    ).rejects.toThrow(
      'the header line of misspelt.csv names "externalid", not a column of sellers and lacks external_id (the columns: platform, external_id, display_name, region, identifiers; README, "Importing data")',
    );
    const [{ runs }] = await db.dataSource.query(
      `SELECT count(*)::int AS runs FROM import_run WHERE file_name LIKE '%misspelt.csv'`,
    );
    expect(runs).toBe(0);
  });

  it('a JSON line with a key that is not a column is rejected, naming the key (a byte order mark is skipped)', async () => {
    const { summary, report } = await run(
      cli(),
      'keys.jsonl',
      `\uFEFF${jsonl({ description: 'Keyed (import)' }, { description: 'Misspelt (import)', risk_scor: 10 })}`,
      { kind: 'leads', brand: 'alpha' },
    );
    expect(
      report
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { line: 2, field: 'risk_scor', reason: expect.stringMatching(/^not a column \(the columns: description, /) },
    ]);
    expect(summary).toMatchObject({ imported: 1, rejected: 1 });
  });
});
