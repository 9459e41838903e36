import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { buildServer } from '../operations/support/server-process';
import { useTestServer } from '../support/harness';
import { waitFor } from '../support/wait-for';

/**
 * `eca import listings` of 100,000 rows as an operator runs it (the built command line, its own process),
 * killed (SIGKILL) once some chunks have committed, then run again: it resumes after the last committed chunk,
 * and every row is in the database exactly once, with one audit event each; the run is finished.
 *
 * The kill does not race the import: rows from STOP on name a second seller, whose row the test holds locked
 * (FOR UPDATE, which a listing's foreign key check waits on), so the import stops at the chunk holding row STOP
 * with every earlier chunk committed, and is killed while it waits there.
 */

const ROWS = 100_000;
/** Rows whose price is not a number (every 9,973rd but the first): 10 of them, rejected, each named once in the report. */
const BAD = Array.from({ length: 10 }, (_, i) => (i + 1) * 9973);
const VALID = ROWS - BAD.length;
const STOP = 15_000;
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

/** Starts `eca import ...`: the process, and its outcome once it has ended. */
function start(args: string[]): { child: ChildProcess; ended: Promise<Run> } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, MIGRATION_DATABASE_URL: db.url, NODE_ENV: 'test' },
  });
  const ended = new Promise<Run>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => void (stdout += chunk));
    child.stderr!.on('data', (chunk) => void (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, ended };
}

const eca = (args: string[]) => start(args).ended;

/** The listings file: each row names seller `sa` (from row STOP on, `sab`), brand alpha, and a title of its own (its row number). */
function writeListings(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'seller_platform,seller_external_id,brand,title,url,price_amount,price_currency\n');
  for (let start = 0; start < ROWS; start += 10_000) {
    const lines: string[] = [];
    for (let n = start; n < start + 10_000; n += 1)
      lines.push(
        `TAOBAO,${n < STOP ? 'sa' : 'sab'},alpha,"Resumed listing ${n}, blue",https://shop.example/resume/${n},${BAD.includes(n) ? 'free' : n},CNY\n`,
      );
    fs.writeSync(fd, lines.join(''));
  }
  fs.closeSync(fd);
}

it('an import of 100,000 listings killed after some chunks resumes where it stopped: each row once, one audit event each, each rejected row once in the report', async () => {
  const file = path.join(dir, 'listings.csv');
  writeListings(file);

  const holder = new Client({ connectionString: db.url });
  await holder.connect();
  let killed: Run;
  try {
    await holder.query('BEGIN');
    const {
      rows: [{ pid: holderPid }],
    } = await holder.query('SELECT pg_backend_pid() AS pid FROM seller WHERE id = $1 FOR UPDATE', [world.ids.sellerAB]);
    const first = start(['import', 'listings', 'listings.csv']);
    await waitFor(
      'the import to wait on the held seller',
      async () => {
        const [{ waiting }] = await db.dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
          [holderPid],
        );
        return waiting > 0 || first.child.exitCode !== null;
      },
      120_000,
    );
    first.child.kill('SIGKILL');
    killed = await first.ended;
  } finally {
    await holder.end();
  }
  expect(killed).toMatchObject({ signal: 'SIGKILL' });
  const [interrupted] = await db.dataSource.query(
    `SELECT id::text, status, lines_done, imported, rejected FROM import_run WHERE kind = 'listings'`,
  );
  const [{ stored }] = await db.dataSource.query(
    `SELECT count(*)::int AS stored FROM listing WHERE title LIKE 'Resumed listing %'`,
  );
  // The run's progress and the rows committed together: as many rows as lines done (the header is line 1).
  expect(interrupted).toMatchObject({ status: 'RUNNING', imported: stored });
  expect(interrupted.lines_done).toBe(stored + interrupted.rejected + 1);
  // Every chunk before the one holding row STOP committed (chunks of 1,000 rows), and none after it.
  expect(stored).toBe(STOP - BAD.filter((n) => n < STOP).length);

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
              bool_and(seller_id = CASE WHEN price_amount < $1 THEN $2 ELSE $3 END::bigint
                       AND brand_id = $4 AND status = 'LIVE') AS as_given
       FROM listing WHERE title LIKE 'Resumed listing %'`,
    [STOP, world.ids.sellerA, world.ids.sellerAB, world.ids.brandA],
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
