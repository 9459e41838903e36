import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importFile } from '../../src/import/import';
import { actingAs } from '../../src/import/import-principal';
import { createListings, NewListing } from '../../src/modules/listing/listing.service';
import { systemContext } from '../../src/shared/context';
import { testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

/**
 * Runs of an import (import_run): two commands on one file never both write it; --restart starts over. And the
 * listing service behind the import, alone.
 */

const { db, world } = useTestServer({ server: false });
let dir: string;
beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-import-runs-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cli = () => systemContext(db.dataSource, testConfig(), 'cli');
const keyOf = async (principal: string): Promise<string> =>
  (
    await db.dataSource.query(
      `SELECT k.id::text FROM api_key k JOIN principal p ON p.id = k.principal_id WHERE p.name = $1`,
      [principal],
    )
  )[0].id;

function listingsFile(name: string, rows: number, tag: string): string {
  const file = path.join(dir, name);
  const lines = ['seller_platform,seller_external_id,brand,title,url,price_amount,price_currency'];
  for (let n = 0; n < rows; n += 1) lines.push(`TAOBAO,sa,alpha,${tag} ${n},https://shop.example/${tag}/${n},${n},CNY`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const titled = async (tag: string) =>
  db.dataSource.query(
    `SELECT count(*)::int AS rows, count(DISTINCT title)::int AS titles FROM listing WHERE title LIKE $1`,
    [`${tag} %`],
  );

it('two imports of the same file at once: the second is refused while the first runs; every row is written once', async () => {
  const file = listingsFile('twice.csv', 400, 'Twice');
  const [a, b] = await Promise.allSettled(
    [0, 1].map(() => importFile(cli(), { kind: 'listings', file, format: 'csv', chunkSize: 20 })),
  );
  const failures = [a, b].flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  // The second is refused at once while the first holds the file.
  expect(failures).toEqual([
    expect.stringContaining('another command is importing twice.csv as these listings now: wait for it to end'),
  ]);
  const again = await importFile(cli(), { kind: 'listings', file, format: 'csv', chunkSize: 20 });
  expect(again).toMatchObject({ alreadyFinished: true, imported: 0 });
  expect(await titled('Twice')).toEqual([{ rows: 400, titles: 400 }]);
  const [{ events }] = await db.dataSource.query(
    `SELECT count(*)::int AS events FROM audit_event e JOIN listing l ON l.id = e.entity_id
     WHERE e.action = 'listing.created' AND l.title LIKE 'Twice %'`,
  );
  expect(events).toBe(400);
  const runs = await db.dataSource.query(
    `SELECT status, count(*)::int AS runs, sum(imported)::int AS imported FROM import_run WHERE file_name = $1 GROUP BY status ORDER BY status`,
    [path.resolve(file)],
  );
  expect(runs).toEqual([{ status: 'FINISHED', runs: 1, imported: 400 }]);
});

it('--restart imports a finished file again as a new run; the first run stays finished', async () => {
  const file = listingsFile('again.csv', 30, 'Again');
  const first = await importFile(cli(), { kind: 'listings', file, format: 'csv' });
  const second = await importFile(cli(), { kind: 'listings', file, format: 'csv', restart: true });
  expect(second).toMatchObject({ imported: 30, skipped: 0, resumedAfter: null, alreadyFinished: false });
  expect(second.runId).not.toBe(first.runId);
  expect(await titled('Again')).toEqual([{ rows: 60, titles: 30 }]);
  const runs = await db.dataSource.query(
    `SELECT id::text, status, imported FROM import_run WHERE file_name = $1 ORDER BY id`,
    [path.resolve(file)],
  );
  expect(runs).toEqual([
    { id: first.runId, status: 'FINISHED', imported: 30 },
    { id: second.runId, status: 'FINISHED', imported: 30 },
  ]);
});

describe('createListings (the listing service behind the import)', () => {
  const listing = (over: Partial<NewListing> = {}): NewListing => ({
    sellerId: world.ids.sellerA,
    brandId: world.ids.brandA,
    title: 'Service listing',
    url: 'https://shop.example/service',
    priceAmount: '100',
    priceCurrency: 'CNY',
    ...over,
  });
  const stored = async () =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM listing WHERE title = 'Service listing'`))[0].n;

  it('refuses the whole batch, naming the listing and field, when one breaks a rule or names a missing seller', async () => {
    await expect(createListings(cli(), [listing(), listing({ priceCurrency: 'cny' })])).rejects.toMatchObject({
      userError: { code: 'INVALID', field: ['1', 'priceCurrency'] },
    });
    await expect(createListings(cli(), [listing(), listing({ sellerId: '999999' })])).rejects.toMatchObject({
      userError: { code: 'NOT_FOUND', message: 'No seller has the id 999999.', field: ['1', 'sellerId'] },
    });
    expect(await stored()).toBe(0);
  });

  it('is for case writers: an analyst is refused; an administrator records LIVE listings, one event each', async () => {
    const analyst = await actingAs(cli(), await keyOf('analyst'));
    await expect(createListings(analyst, [listing()])).rejects.toMatchObject({
      userError: {
        code: 'INVALID',
        message: 'The role ANALYST may not record listings (case writers only: ADMIN, INVESTIGATOR).',
      },
    });
    const ids = await createListings(cli(), [listing(), listing()]);
    expect(ids).toHaveLength(2);
    const [{ events }] = await db.dataSource.query(
      `SELECT count(*)::int AS events FROM audit_event WHERE action = 'listing.created' AND entity_id = ANY($1::bigint[])`,
      [ids],
    );
    expect(events).toBe(2);
    expect(await stored()).toBe(2);
  });
});
