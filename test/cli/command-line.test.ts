import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { buildServer, ServerProcess, startServerProcess } from '../operations/support/server-process';
import { waitFor } from '../support/wait-for';

/**
 * The command line as a newcomer uses it: the built `eca` (dist/src/cli.js) in its own process, beside a
 * running server on the embedded PostgreSQL of the same data folder, as `npm start` in one terminal and
 * `npm run --silent cli -- ...` in another. Then the repairs of a data folder whose first start broke.
 */

let main: string;
let cli: string;
let dataDir: string;
let server: ServerProcess | null = null;
/** Each command runs in a folder of its own, so that no .env of the checkout is read. */
let cwd: string;

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
  });
}

/** A data folder the embedded cluster's user (postgres, when the tests run as root) can enter. */
function newDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-cli-data-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

beforeAll(async () => {
  main = buildServer();
  cli = path.join(path.dirname(main), 'cli.js');
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-cli-cwd-'));
  dataDir = newDataDir();
  // The command line first, on a new data folder: it initialises the cluster, migrates, and stops it again.
  const migrated = await runCli(['migrate']);
  if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  // `npm start`: the built server, development mode (demo data), its embedded PostgreSQL under dataDir.
  server = await startServerProcess(main, { DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'info' });
}, 120_000);

afterAll(async () => {
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(cwd, { recursive: true, force: true });
});

describe('the command line beside a running server (one data folder)', () => {
  it('uses the cluster the server runs: list brands answers the demo brands, and the server keeps serving', async () => {
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8'));
    const started = await server!.waitForLog((line) => line.msg === 'embedded PostgreSQL started');
    expect(started.embeddedDatabasePort).toBe(state.port);

    const run = await runCli(['list', 'brands']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^slug\s+name\s+status$/);
    expect(lines.length).toBeGreaterThan(3); // the demo's brands

    const agencies = await runCli(['list', 'agencies', '--format', 'jsonl']);
    expect(agencies.status).toBe(0);
    const codes = agencies.stdout
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).code);
    expect(codes).toContain('PSB-ZJ-YW');

    // The command line left the server's cluster running.
    const ready = await fetch(`${server!.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('the server logs in as eca_api, with a password made at its first start and kept in the data folder (0600); the command line as the owner', async () => {
    const file = path.join(dataDir, 'api-login.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { login, password } = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(login).toBe('eca_api');
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const { port } = JSON.parse(fs.readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8'));
    const client = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/enforcement` });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT DISTINCT usename AS login FROM pg_stat_activity WHERE application_name = 'enforcement-api'`,
      );
      expect(rows).toEqual([{ login: 'eca_api' }]);
      const {
        rows: [role],
      } = await client.query(
        `SELECT rolsuper, rolcreaterole, rolbypassrls, pg_has_role('eca_api', 'eca_app', 'USAGE') AS app FROM pg_roles WHERE rolname = 'eca_api'`,
      );
      expect(role).toEqual({ rolsuper: false, rolcreaterole: false, rolbypassrls: false, app: true });
    } finally {
      await client.end();
    }
  });

  it('apikey create prints the token alone on stdout: one line; list keys shows the key but never the token', async () => {
    const created = await runCli([
      'apikey',
      'create',
      '--role',
      'AGENCY_LIAISON',
      '--name',
      'CLI test',
      '--agency',
      'PSB-ZJ-YW',
    ]);
    expect(created.status).toBe(0);
    const stdout = created.stdout.toString('utf8');
    expect(stdout).toMatch(/^eca_[A-Za-z0-9_-]{43}\n$/);
    const token = stdout.trim();
    expect(created.stderr).toMatch(/^created key \S+ \(eca_\S+\.\.\.\) for principal \S+ \(AGENCY_LIAISON\)\n$/);

    // The key works on the running server.
    const answer = await fetch(`${server!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { name agency { code } } }' }),
    });
    const body = (await answer.json()) as { data: { viewer: unknown } };
    expect(body.data.viewer).toEqual({ name: 'CLI test', agency: { code: 'PSB-ZJ-YW' } });

    const keys = await runCli(['list', 'keys', '--format', 'jsonl']);
    expect(keys.status).toBe(0);
    const text = keys.stdout.toString('utf8');
    expect(text).not.toContain(token);
    const rows = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const mine = rows.find((row) => row.principal === 'CLI test');
    expect(mine).toMatchObject({
      role: 'AGENCY_LIAISON',
      agency: 'PSB-ZJ-YW',
      brand: null,
      revoked: null,
      prefix: token.slice(0, 10),
    });

    const revoked = await runCli(['apikey', 'revoke', '--id', mine.id]);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout.length).toBe(0);
    const after = JSON.parse(
      (await runCli(['list', 'keys', '--format', 'jsonl'])).stdout
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .find((line) => line.includes('"CLI test"'))!,
    );
    expect(after.revoked).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('export --bom starts the CSV with EF BB BF, then the header; --bom with jsonl is refused', async () => {
    const run = await runCli(['export', 'leads', '--format', 'csv', '--bom']);
    expect(run.status).toBe(0);
    expect([...run.stdout.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(run.stdout.subarray(3).toString('utf8').split('\r\n')[0]).toMatch(/^reference,created_at,source,status,/);
    expect(run.stderr).toMatch(/^exported \d+ leads\n$/);

    const plain = await runCli(['export', 'referrals', '--format', 'csv']);
    expect(plain.stdout.toString('utf8').split('\r\n')[0]).toMatch(/^reference,status,agency,/);

    const refused = await runCli(['export', 'leads', '--format', 'jsonl', '--bom']);
    expect(refused.status).toBe(2);
    expect(refused.stdout.length).toBe(0);
    expect(refused.stderr).toContain('--bom is for --format csv only');
  });

  it('migrate says that none were pending; seed refuses a filled database and suggests --reset, which replaces its data', async () => {
    const migrate = await runCli(['migrate']);
    expect(migrate.status).toBe(0);
    expect(migrate.stderr).toMatch(/^no pending migrations: the database is current \(\d+ applied before\)\n$/);

    const seed = await runCli(['seed', '--scale', '0.001']);
    expect(seed.status).toBe(1);
    expect(seed.stderr).toMatch(
      /^error: the database already holds data \(14 agencies, \d+ brands, \d+ sellers, \d+ leads\)/,
    );
    expect(seed.stderr).toContain('--reset');
    expect(seed.stderr).not.toMatch(/duplicate key|undefined/);

    // Large enough that an export outgrows a pipe's buffer (the next test).
    const reset = await runCli(['seed', '--scale', '0.05', '--reset']);
    expect(reset.stderr).toMatch(/^emptied \d+ tables\nseeded scale 0\.05 in [\d.]+ s: \{"brands":50,/);
    expect(reset.status).toBe(0);
    const brands = await runCli(['list', 'brands', '--format', 'jsonl']);
    expect(brands.stdout.toString('utf8').trimEnd().split('\n')).toHaveLength(50);
    expect((await runCli(['list', 'keys'])).stdout.toString('utf8')).toMatch(
      /^id\s+prefix\s+principal\s+role\s+brand\s+agency\s+created\s+revoked\n$/,
    );
    // The migrations history stayed.
    expect((await runCli(['migrate'])).stderr).toMatch(/^no pending migrations/);
  }, 60_000);

  it('export into a pipe whose reader stops early (| head) ends quietly with exit status 0', async () => {
    const closedAfter = (args: string[], firstChunk: boolean) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, ...args], {
          cwd,
          env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
        if (firstChunk) child.stdout.once('data', () => child.stdout.destroy());
        else child.stdout.destroy();
        child.on('close', (code) => resolve({ code, stderr }));
      });
    // The reader goes away after the first bytes of an export larger than the pipe's buffer, as `head -3` does.
    expect(await closedAfter(['export', 'leads', '--format', 'jsonl'], true)).toEqual({ code: 0, stderr: '' });
    // Or before the first byte.
    expect(await closedAfter(['export', 'referrals', '--format', 'csv'], false)).toEqual({ code: 0, stderr: '' });

    // And through a shell, as a newcomer types it.
    const shell = spawnSync(
      'bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        `"${process.execPath}" "${cli}" export leads --format csv | head -3; echo "status \${PIPESTATUS[0]}" >&2`,
      ],
      {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(shell.stdout.split('\n')).toHaveLength(4); // three lines, the last one ended
    expect(shell.stdout).toMatch(/^reference,created_at,/);
    expect(shell.stderr).toBe('status 0\n');
  });

  it('stops on SIGTERM as in production: a request in flight is answered, then the server stops its cluster, no error logged', async () => {
    const token = (await runCli(['apikey', 'create', '--role', 'ANALYST', '--name', 'In flight'])).stdout
      .toString('utf8')
      .trim();
    const { port } = JSON.parse(fs.readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8'));
    const owner = () => new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/enforcement` });
    const [holder, watcher] = [owner(), owner()];
    await Promise.all([holder.connect(), watcher.connect()]);
    let answer: Promise<Response>;
    try {
      // The request waits at its API key's check, behind a lock the test holds.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE api_key IN ACCESS EXCLUSIVE MODE');
      answer = fetch(`${server!.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      await waitFor('the request to wait on the lock', async () => {
        const { rows } = await watcher.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'enforcement-api' AND wait_event_type = 'Lock'`,
        );
        return rows[0].n === 1;
      });
      server!.child.kill('SIGTERM');
      await server!.waitForLog((line) => /^shutting down/.test(line.msg));
      await holder.query('COMMIT');
    } finally {
      await Promise.all([holder.end(), watcher.end()]);
    }
    const answered = await answer;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ data: { viewer: { role: 'ANALYST' } } });
    expect(await server!.exited).toBe(0);
    const logs = server!.logs();
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped', requestsCut: false });
    expect(logs.filter((line) => line.level >= 50)).toEqual([]);
    // The cluster was stopped by the server, last: nothing listens on its port.
    await expect(owner().connect()).rejects.toThrow();
  });
});

describe('help', () => {
  const commands: [string[], string[]][] = [
    [[], ['migrate', 'seed', 'list', 'apikey', 'audit', 'export', '--version']],
    [['migrate'], ['CREATEROLE']],
    [['seed'], ['--scale', '--reset']],
    [['list'], ['brands', 'agencies', 'keys']],
    [['list', 'brands'], ['--format']],
    [['list', 'agencies'], ['--format']],
    [
      ['list', 'keys'],
      ['--format', '--active'],
    ],
    [['apikey'], ['create', 'revoke']],
    [
      ['apikey', 'create'],
      ['--role', '--name', '--brand', '--agency', 'BRAND_PARTNER'],
    ],
    [['apikey', 'revoke'], ['--id']],
    [['audit'], ['verify']],
    [
      ['audit', 'verify'],
      ['audit log', '--checkpoint'],
    ],
    [['export'], ['referrals', 'leads']],
    [
      ['export', 'referrals'],
      ['--agency', '--format', '--bom'],
    ],
    [
      ['export', 'leads'],
      ['--brand', '--format', '--bom'],
    ],
  ];

  it.each(commands)('%j --help exits 0 and names its options', (command, names) => {
    // No database: help never connects (DATABASE_URL points nowhere).
    const run = spawnSync(process.execPath, [cli, ...command, '--help'], {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: eca/);
    for (const name of names) expect(run.stdout).toContain(name);
  });

  it('wrong usage exits 2 with a suggestion; a failure exits 1 with its message, never "undefined"', () => {
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const typo = spawnSync(process.execPath, [cli, 'migrat'], { cwd, encoding: 'utf8', env });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('Did you mean migrate?');
    const unreachable = spawnSync(process.execPath, [cli, 'list', 'brands'], { cwd, encoding: 'utf8', env });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toBe(
      "note: MIGRATION_DATABASE_URL is unset: the command line logs in with DATABASE_URL, which must then be the owner's login " +
        '(README, "Configuration")\n' +
        'error: cannot reach PostgreSQL at 127.0.0.1:1/none (DATABASE_URL): nothing answers there. ' +
        'Start that PostgreSQL, or correct DATABASE_URL (unset it to use the embedded one).\n',
    );
    const owner = spawnSync(process.execPath, [cli, 'list', 'brands'], {
      cwd,
      encoding: 'utf8',
      env: { ...env, MIGRATION_DATABASE_URL: 'postgres://owner@127.0.0.1:1/none' },
    });
    expect(owner.stderr).toBe(
      'error: cannot reach PostgreSQL at 127.0.0.1:1/none (MIGRATION_DATABASE_URL): nothing answers there. ' +
        'Start that PostgreSQL, or correct MIGRATION_DATABASE_URL (unset it to use the embedded one).\n',
    );
  });
});

describe('a data folder whose first start broke', () => {
  let brokenDir: string;
  const state = () => JSON.parse(fs.readFileSync(path.join(brokenDir, 'embedded-postgres.json'), 'utf8'));
  const inBroken = (args: string[]) => runCli(args, { DATA_DIR: brokenDir, NODE_ENV: 'test' });

  beforeAll(() => {
    brokenDir = newDataDir();
  });
  afterAll(() => {
    fs.rmSync(brokenDir, { recursive: true, force: true });
  });

  it('an initialisation that did not finish is done again', async () => {
    // initdb killed early: a version file, nothing else; the state file says it never finished.
    fs.mkdirSync(path.join(brokenDir, 'pg'));
    fs.writeFileSync(path.join(brokenDir, 'pg', 'PG_VERSION'), '18\n');
    const run = await inBroken(['migrate']);
    expect(run.stderr).toContain('holds an initialisation that did not finish (no data in it): initialising it again');
    expect(run.stderr).toMatch(/applied \d+ migrations/);
    expect(run.status).toBe(0);
    expect(state()).toMatchObject({ initialised: true });
  }, 60_000);

  it('a cluster without its database gets it created', async () => {
    // What a first start that stopped after initdb left: the cluster, without the "enforcement" database.
    const embedded = path.join(path.dirname(main), 'database', 'embedded.js');
    const dropped = spawnSync(
      process.execPath,
      [
        '-e',
        `
      const { startEmbeddedPostgres } = require(${JSON.stringify(embedded)});
      const { Client } = require('pg');
      startEmbeddedPostgres(process.argv[1]).then(async (db) => {
        const client = new Client({ connectionString: db.url.replace(/enforcement$/, 'postgres') });
        await client.connect();
        await client.query('DROP DATABASE enforcement');
        await client.end();
        await db.stop();
      }).catch((error) => { console.error(error); process.exit(1); });`,
        brokenDir,
      ],
      { cwd: path.dirname(main), encoding: 'utf8' },
    );
    expect(dropped.stderr).toBe('');
    expect(dropped.status).toBe(0);

    const run = await inBroken(['list', 'agencies']);
    expect(run.stderr).toContain(
      'had no database "enforcement" (an earlier first start stopped half-way): creating it',
    );
    expect(run.status).toBe(0);
    expect(run.stdout.toString('utf8')).toMatch(/^code\s+kind\s+jurisdiction\s+name\n$/);
  }, 60_000);

  it('two commands at once share one cluster, and the last to end stops it', async () => {
    const [first, second] = await Promise.all([inBroken(['list', 'agencies']), inBroken(['audit', 'verify'])]);
    expect([first.status, second.status]).toEqual([0, 0]);
    expect(second.stdout.toString('utf8')).toMatch(/^audit log intact: 0 events/);
    // Nothing left running: PostgreSQL removes its lock file when it stops.
    expect(fs.existsSync(path.join(brokenDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 60_000);

  it('a kept port that another program took is replaced by a free one, and kept', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(state().port, '127.0.0.1', () => resolve()));
    const taken = state().port;
    try {
      const run = await inBroken(['audit', 'verify']);
      expect(run.stderr).toMatch(
        new RegExp(`port ${taken} of the embedded PostgreSQL of .* is taken by another program: it moves to port \\d+`),
      );
      expect(run.stdout.toString('utf8')).toMatch(/^audit log intact: 0 events/);
      expect(run.status).toBe(0);
      expect(state().port).not.toBe(taken);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);
});
