import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer } from '../operations/support/server-process';
import { useTestServer } from '../support/harness';

/**
 * `eca import listings` of 100,000 rows as an operator runs it (the built command line, its own process),
 * killed (SIGKILL) once some chunks have committed, then run again: it resumes after the last committed chunk,
 * and every row is in the database exactly once, with one audit event each; the run is finished.
 */

const ROWS = 100_000;
/** Rows whose price is not a number (every 9,973rd but the first): 10 of them, rejected, each named once in the report. */
const BAD = Array.from({ length: 10 }, (_, i) => (i + 1) * 9973);
const VALID = ROWS - BAD.length;
let cli: string;
const { db, world } = useTestServer({
  server: false,
  beforeServer: async () => {
    cli = path.join(path.dirname(buildServer()), 'cli.js');
  },
  timeout: 180_000,
});
let dir: string;
beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-import-resume-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `eca import ...`; `killWhen` sees stderr as it grows and may ask for a SIGKILL. */
function eca(args: string[], killWhen?: (stderr: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, MIGRATION_DATABASE_URL: db.url, NODE_ENV: 'test' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => void (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (killWhen?.(stderr) && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** The listings file: every row names the same seller and brand, and a title of its own (its row number). */
function writeListings(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'seller_platform,seller_external_id,brand,title,url,price_amount,price_currency\n');
  for (let start = 0; start < ROWS; start += 10_000) {
    const lines: string[] = [];
    for (let n = start; n < start + 10_000; n += 1)
      lines.push(
        `TAOBAO,sa,alpha,"Resumed listing ${n}, blue",https://shop.example/resume/${n},${BAD.includes(n) ? 'free' : n},CNY\n`,
      );
    fs.writeSync(fd, lines.join(''));
  }
  fs.closeSync(fd);
}

it('an import of 100,000 listings killed after some chunks resumes where it stopped: each row once, one audit event each, each rejected row once in the report', async () => {
  const file = path.join(dir, 'listings.csv');
  writeListings(file);
  const importedSoFar = (stderr: string) =>
    Math.max(0, ...[...stderr.matchAll(/, (\d+) imported,/g)].map((m) => Number(m[1])));

  const killed = await eca(['import', 'listings', 'listings.csv'], (stderr) => importedSoFar(stderr) >= 10_000);
  expect(killed.signal).toBe('SIGKILL');
  const [interrupted] = await db.dataSource.query(
    `SELECT id::text, status, lines_done, imported, rejected FROM import_run WHERE kind = 'listings'`,
  );
  const [{ stored }] = await db.dataSource.query(
    `SELECT count(*)::int AS stored FROM listing WHERE title LIKE 'Resumed listing %'`,
  );
  // The run's progress and the rows committed together: as many rows as lines done (the header is line 1).
  expect(interrupted).toMatchObject({ status: 'RUNNING', imported: stored });
  expect(interrupted.lines_done).toBe(stored + interrupted.rejected + 1);
  expect(stored).toBeGreaterThanOrEqual(10_000);
  expect(stored).toBeLessThan(ROWS);

  const resumed = await eca(['import', 'listings', 'listings.csv']);
  expect(resumed.stderr).toContain(
    `resuming run ${interrupted.id} of listings.csv at line ${interrupted.lines_done + 1}`,
  );
  expect(resumed.stderr).toMatch(
    new RegExp(
      `imported ${VALID - stored} listings, rejected ${BAD.length - interrupted.rejected}, skipped ${interrupted.lines_done - 1} already imported, in [0-9.]+ s`,
    ),
  );
  expect(resumed.status).toBe(0);

  const [counts] = await db.dataSource.query(
    `SELECT count(*)::int AS rows, count(DISTINCT title)::int AS titles,
              min(price_amount)::int AS lowest, max(price_amount)::int AS highest,
              bool_and(seller_id = $1 AND brand_id = $2 AND status = 'LIVE') AS as_given
       FROM listing WHERE title LIKE 'Resumed listing %'`,
    [world.ids.sellerA, world.ids.brandA],
  );
  expect(counts).toEqual({ rows: VALID, titles: VALID, lowest: 0, highest: ROWS - 1, as_given: true });
  const [audit] = await db.dataSource.query(
    `SELECT count(*)::int AS events, count(DISTINCT e.entity_id)::int AS listings
       FROM audit_event e JOIN listing l ON l.id = e.entity_id
       WHERE e.action = 'listing.created' AND l.title LIKE 'Resumed listing %'`,
  );
  expect(audit).toEqual({ events: VALID, listings: VALID });
  const runs = await db.dataSource.query(
    `SELECT id::text, status, lines_done, imported, rejected, finished_at IS NOT NULL AS finished FROM import_run WHERE kind = 'listings'`,
  );
  expect(runs).toEqual([
    {
      id: interrupted.id,
      status: 'FINISHED',
      lines_done: ROWS + 1,
      imported: VALID,
      rejected: BAD.length,
      finished: true,
    },
  ]);
  // The report names each rejected row once, though the first command may have died after writing some of it.
  const reason = 'a whole number of the currency minor unit (0 or more, e.g. 1999) is required';
  expect(fs.readFileSync(`${file}.rejected.csv`, 'utf8')).toBe(
    ['line,field,reason', ...BAD.map((n) => `${n + 2},price_amount,"${reason}"`), ''].join('\n'),
  );

  // The same file again: already imported, nothing written.
  const again = await eca(['import', 'listings', 'listings.csv']);
  expect(again.status).toBe(0);
  expect(again.stderr).toMatch(
    /listings.csv was imported already as these listings \(run \d+, finished .*\): nothing done/,
  );
  const [{ after }] = await db.dataSource.query(
    `SELECT count(*)::int AS after FROM listing WHERE title LIKE 'Resumed listing %'`,
  );
  expect(after).toBe(VALID);
}, 240_000);
