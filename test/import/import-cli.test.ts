import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer } from '../operations/support/server-process';
import { useTestServer } from '../support/harness';

/** `eca import` as an operator types it: the built command line, its options, who acts, its output on stderr. */

let cli: string;
const { db, world } = useTestServer({
  server: false,
  beforeServer: async () => {
    cli = path.join(path.dirname(buildServer()), 'cli.js');
  },
});
let dir: string;
beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-import-cli-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function eca(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, MIGRATION_DATABASE_URL: db.url, NODE_ENV: 'test' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => void (stdout += chunk));
    child.stderr.on('data', (chunk) => void (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const keyOf = async (principal: string): Promise<string> =>
  (
    await db.dataSource.query(
      `SELECT k.id::text FROM api_key k JOIN principal p ON p.id = k.principal_id WHERE p.name = $1`,
      [principal],
    )
  )[0].id;

it.each([
  [['import'], ['sellers', 'listings', 'leads']],
  [
    ['import', 'sellers'],
    ['--format', '--as', '--restart', '--chunk-size', 'external_id', 'identifiers'],
  ],
  [
    ['import', 'listings'],
    ['seller_platform', 'price_amount', 'price_currency'],
  ],
  [
    ['import', 'leads'],
    ['--brand', 'description', 'reporter_priority'],
  ],
])('%j --help names its options and columns, without a database', (command, names) => {
  const run = spawnSync(process.execPath, [cli, ...command, '--help'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
  });
  expect(run.status).toBe(0);
  for (const name of names) expect(run.stdout).toContain(name);
});

it('wrong usage exits 2 and says what to give; an unknown key or file exits 1 and says so, writing nothing', async () => {
  fs.writeFileSync(path.join(dir, 'sellers.txt'), 'platform,external_id,display_name,region\n');
  const noFormat = await eca('import', 'sellers', 'sellers.txt');
  expect(noFormat).toMatchObject({ status: 2 });
  expect(noFormat.stderr).toContain('error: give --format csv or --format jsonl (the file name ends in neither)');
  const badKey = await eca('import', 'sellers', 'sellers.txt', '--format', 'csv', '--as', 'someone');
  expect(badKey.stderr).toContain('error: --as takes the id of an API key (see: list keys)');
  const unknownKey = await eca('import', 'sellers', 'sellers.txt', '--format', 'csv', '--as', '999999');
  expect(unknownKey).toMatchObject({ status: 1 });
  expect(unknownKey.stderr).toContain('error: no API key 999999 that is not revoked (see: list keys)');
  const missing = await eca('import', 'sellers', 'nowhere.csv');
  expect(missing.stderr).toContain('error: no file nowhere.csv');
  const [{ runs }] = await db.dataSource.query(`SELECT count(*)::int AS runs FROM import_run`);
  expect(runs).toBe(0);
});

it('--as a brand partner: its leads are reported in its name; rows naming another brand are rejected as missing ones', async () => {
  fs.writeFileSync(
    path.join(dir, 'leads.csv'),
    ['description,brands', 'Seen on a stall (cli import),', 'Not ours (cli import),alpha'].join('\n'),
  );
  const run = await eca('import', 'leads', 'leads.csv', '--as', await keyOf('brand B portal'));
  expect(run.status).toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/leads\.csv: line 3 of 3, 1 imported, 1 rejected\n/);
  expect(run.stderr).toMatch(
    /imported 1 leads, rejected 1, skipped 0 already imported, in [0-9.]+ s \(\d+ rows\/s\); run \d+ finished as brand B portal\n/,
  );
  expect(run.stderr).toContain(`rejected rows (line, field, reason): leads.csv.rejected.csv`);
  expect(fs.readFileSync(path.join(dir, 'leads.csv.rejected.csv'), 'utf8')).toBe(
    'line,field,reason\n3,brands,"No brand ""alpha"" that you may see."\n',
  );
  const leads = await db.dataSource.query(
    `SELECT l.description, p.name AS reporter, ARRAY(SELECT brand_id::text FROM lead_brand b WHERE b.lead_id = l.id) AS brands,
            (SELECT actor_label FROM audit_event e WHERE e.action = 'lead.reported' AND e.entity_id = l.id) AS audited_as
     FROM lead l JOIN principal p ON p.id = l.reported_by_id WHERE l.description LIKE '%(cli import)'`,
  );
  expect(leads).toEqual([
    {
      description: 'Seen on a stall (cli import)',
      reporter: 'brand B portal',
      brands: [world.ids.brandB],
      audited_as: 'brand B portal (BRAND_PARTNER)',
    },
  ]);
  const [importRun] = await db.dataSource.query(
    `SELECT r.actor, r.status, r.imported, r.rejected, p.name FROM import_run r JOIN principal p ON p.id = r.principal_id WHERE r.kind = 'leads'`,
  );
  expect(importRun).toMatchObject({ status: 'FINISHED', imported: 1, rejected: 1, name: 'brand B portal' });
});

it("sellers in the command line's own process: repeat-offender matching runs in the import's change, as in the server", async () => {
  await db.dataSource.query(`UPDATE seller SET status = 'CLOSED' WHERE id = $1`, [world.ids.sellerB]);
  fs.writeFileSync(
    path.join(dir, 'sellers.jsonl'),
    `${JSON.stringify({ platform: 'PDD', external_id: 'back-again', display_name: 'Back again', region: 'CN-GD', identifiers: ['PHONE:+86 138 0000 0001'] })}\n`,
  );
  const run = await eca('import', 'sellers', 'sellers.jsonl');
  expect(run.stderr).toMatch(/imported 1 sellers, rejected 0, .* finished as cli\n$/);
  const matches = await db.dataSource.query(
    `SELECT m.prior_seller_id::text, m.status, l.source
     FROM repeat_offender_match m JOIN seller s ON s.id = m.seller_id JOIN lead l ON l.id = m.lead_id
     WHERE s.external_id = 'back-again'`,
  );
  expect(matches).toEqual([{ prior_seller_id: world.ids.sellerB, status: 'PENDING', source: 'REPEAT_OFFENDER_MATCH' }]);
});
