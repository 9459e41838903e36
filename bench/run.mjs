#!/usr/bin/env node
// Benchmark harness: this API side by side with PostGraphile 5 and a bare node:http + pg
// server (the ceiling), on the same seeded database, interleaved run by run.
//
//   npm --prefix bench install          # once: PostGraphile 5, Node 22 (npm package node@22), autocannon, pg
//   npm run bench -- --scale 1          # from the repository root; writes docs/benchmarks.md
//
// Options (all optional):
//   --scale F            dataset of the side-by-side runs (default 1)
//   --scales LIST        datasets of the "cost grows with the page, not the table" runs (default 0.1,1; add 10 if seeded)
//   --seed-missing       seed a missing dataset of --scales too (scale 10: ~10 minutes); without it, missing ones >1 are skipped
//   --duration S         seconds per measured run (default 8)
//   --connections LIST   fixed-connection runs (default 10,32,50)
//   --pool N             database pool size of every server (default 10)
//   --ops LIST           canonical operations to run (default all: caseList,agencySync,node,funnelBrand,funnelAll,takedowns,reportLead,wholeCase,takedown300,reportLeads300;
//                        the last three are sequences of this API only, see bench/ops.mjs)
//   --systems LIST       ours,postgraphile,bare (default all)
//   --pg-port N          port of the bench's private PostgreSQL cluster (default 5499)
//   --port N             first of the three HTTP ports (default 4711)
//   --out FILE           markdown report (default docs/benchmarks.md; the part between the bench markers is replaced)
//   --no-build           do not run `npm run build` first
//   --check-only         start everything, compare the answers, count statements, stop
//   --keep-cluster       leave the private PostgreSQL cluster running afterwards (default: stopped; the seeded data stay)
//
// Everything listens on and is driven at 127.0.0.1 only; every run is bounded by --duration.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { startCluster, stopCluster } from './lib/cluster.mjs';
import { OPS, canonical, firstDifference } from './ops.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const NODE22 = path.join(BENCH, 'node_modules/node/bin/node');
const HASH_KEY = 'bench-identifier-hash-key-0123456789abcdef-not-a-secret';
const ENCRYPTION_KEY = 'b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2'; // bench only: 32 bytes, hex
const CURSOR_KEY = 'c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3'; // bench only: 32 bytes, hex
const AUDIT_SIGNING_KEY = 'd5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4'; // bench only: an Ed25519 seed, hex
const EVIDENCE_ENCRYPTION_KEY = 'e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7'; // bench only: 32 bytes, hex
const SYSTEMS = ['ours', 'postgraphile', 'bare'];
const LABEL = { ours: 'this API', postgraphile: 'PostGraphile 5', bare: 'bare SQL' };

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    scales: { type: 'string' },
    'seed-missing': { type: 'boolean', default: false },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '10,32,50' },
    pool: { type: 'string', default: '10' },
    ops: { type: 'string' },
    systems: { type: 'string' },
    'pg-port': { type: 'string', default: '5499' },
    port: { type: 'string', default: '4711' },
    out: { type: 'string', default: path.join(ROOT, 'docs/benchmarks.md') },
    'no-build': { type: 'boolean', default: false },
    'check-only': { type: 'boolean', default: false },
    'keep-cluster': { type: 'boolean', default: false },
    // Scale-out: the read operations driven at this API run as N processes on one database against one process.
    instances: { type: 'string', default: '2' },
  },
});
const scale = Number(args.scale);
const duration = Number(args.duration);
const connectionLevels = args.connections.split(',').map(Number);
const poolSize = Number(args.pool);
const instances = Math.max(1, Number(args.instances));
const systems = args.systems ? args.systems.split(',') : SYSTEMS;
const ops = args.ops ? OPS.filter((op) => args.ops.split(',').includes(op.key)) : OPS;
const basePort = Number(args.port);
const PORT = { ours: basePort, postgraphile: basePort + 1, bare: basePort + 2 };
const resultsDir = path.join(BENCH, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const log = (...parts) => process.stdout.write(`${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dbName = (kind, s) => `bench_${kind}_s${String(s).replace('.', '_')}`;

if (!fs.existsSync(NODE22)) throw new Error('bench dependencies missing: run `npm --prefix bench install` first');

// ---------------------------------------------------------------------------------------------------
// Database: a private cluster with pg_stat_statements, a pristine seeded database per scale (reused),
// and per bench run a copy of it (CREATE DATABASE ... TEMPLATE), so that reportLead's writes never leak
// into the next run.

const cluster = startCluster({ root: ROOT, dataDir: path.join(BENCH, '.pgdata'), port: Number(args['pg-port']) });
const urlOf = (db) => `${cluster.url}/${db}`;
const admin = new pg.Client({ connectionString: urlOf('postgres') });
await admin.connect();
await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

const productEnv = (db) => ({
  ...process.env,
  DATABASE_URL: urlOf(db),
  MIGRATION_DATABASE_URL: urlOf(db),
  IDENTIFIER_HASH_KEY: HASH_KEY,
  IDENTIFIER_ENCRYPTION_KEY: ENCRYPTION_KEY,
  // The server's signing key: the events the command line writes (API keys made for a run) are signed as the server signs.
  AUDIT_SIGNING_KEY,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
});
const cli = (db, ...argv) =>
  execFileSync(NODE22, ['dist/src/cli.js', ...argv], {
    cwd: ROOT,
    env: productEnv(db),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

if (!args['no-build']) {
  log('building the API (npm run build)');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

async function seeded(s) {
  const { rows } = await admin.query(
    `SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1`,
    [dbName('seed', s)],
  );
  return rows[0]?.note?.startsWith('bench seed') ? rows[0].note : null;
}

/** The pristine seeded database of a scale, seeded now if missing (the seed is deterministic). */
async function ensureSeed(s) {
  const note = await seeded(s);
  if (note) return note;
  const name = dbName('seed', s);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  log(`seeding scale ${s} into ${name} (npm run cli -- seed --scale ${s})`);
  const started = Date.now();
  const r = spawnSync(NODE22, ['dist/src/cli.js', 'seed', '--scale', String(s)], {
    cwd: ROOT,
    env: productEnv(name),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`seeding scale ${s} failed`);
  const db = new pg.Client({ connectionString: urlOf(name) });
  await db.connect();
  await db.query('VACUUM ANALYZE');
  await db.end();
  const text = `bench seed scale=${s} seconds=${((Date.now() - started) / 1000).toFixed(1)}`;
  await admin.query(`COMMENT ON DATABASE ${name} IS '${text}'`);
  return text;
}

/** A fresh copy of the seeded database, with the bench functions, three API keys and the ids the operations use. */
async function prepareRun(s) {
  const seed = dbName('seed', s);
  const name = dbName('run', s);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  const copyStarted = Date.now();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${seed} STRATEGY FILE_COPY`);
  const db = new pg.Client({ connectionString: urlOf(name) });
  await db.connect();
  await db.query(fs.readFileSync(path.join(BENCH, 'sql/bench-functions.sql'), 'utf8'));
  const one = async (sql, params) => (await db.query(sql, params)).rows[0];
  // The brand with most cases, the agency with most referrals (the portal and the sync client that matter).
  const brand = await one(
    `SELECT b.id, b.slug, count(*)::int AS leads FROM lead_brand lb JOIN brand b ON b.id = lb.brand_id GROUP BY b.id ORDER BY count(*) DESC, b.id LIMIT 1`,
  );
  const agency = await one(
    `SELECT a.id, a.code, count(*)::int AS referrals FROM referral r JOIN agency a ON a.id = r.agency_id WHERE r.status <> 'DRAFT' GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1`,
  );
  const lead = await one(
    `SELECT l.id FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id WHERE lb.brand_id = $1 AND l.investigation_id IS NOT NULL ORDER BY l.id LIMIT 1`,
    [brand.id],
  );
  const listing = await one(`SELECT id, seller_id FROM listing WHERE brand_id = $1 ORDER BY id LIMIT 1`, [brand.id]);
  const tokens = {
    brand: cli(name, 'apikey', 'create', '--role', 'BRAND_PARTNER', '--name', 'bench-brand', '--brand', brand.slug)
      .split('\n')
      .find((l) => l.startsWith('eca_')),
    agency: cli(name, 'apikey', 'create', '--role', 'AGENCY_LIAISON', '--name', 'bench-agency', '--agency', agency.code)
      .split('\n')
      .find((l) => l.startsWith('eca_')),
    analyst: cli(name, 'apikey', 'create', '--role', 'ANALYST', '--name', 'bench-analyst')
      .split('\n')
      .find((l) => l.startsWith('eca_')),
    // Our sequences only (wholeCase, takedown300): an investigator moves the cases and takes listings down.
    investigator: cli(name, 'apikey', 'create', '--role', 'INVESTIGATOR', '--name', 'bench-investigator')
      .split('\n')
      .find((l) => l.startsWith('eca_')),
  };
  const principal = async (n) => String((await one(`SELECT id FROM principal WHERE name = $1`, [n])).id);
  const principals = {
    'bench-brand': { scope: 'BRAND', brandId: String(brand.id), principalId: await principal('bench-brand') },
    'bench-agency': { scope: 'AGENCY', agencyId: String(agency.id), principalId: await principal('bench-agency') },
    'bench-analyst': { scope: 'ALL', principalId: await principal('bench-analyst') },
  };
  const counts =
    await one(`SELECT (SELECT count(*) FROM lead)::int AS leads, (SELECT count(*) FROM listing)::int AS listings, (SELECT count(*) FROM seller)::int AS sellers,
    (SELECT count(*) FROM referral)::int AS referrals, pg_size_pretty(pg_database_size(current_database())) AS size`);
  await db.end();
  const gid = (type, id) => Buffer.from(`${type}:${id}`).toString('base64url');
  const to = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
  const from = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), 1));
  return {
    scale: s,
    db: name,
    copySeconds: (Date.now() - copyStarted) / 1000,
    brand,
    agency,
    counts,
    tokens: {
      ours: tokens,
      postgraphile: { brand: 'bench-brand', agency: 'bench-agency', analyst: 'bench-analyst' },
      bare: { brand: 'bench-brand', agency: 'bench-agency', analyst: 'bench-analyst' },
    },
    principals,
    rows: { lead: String(lead.id), seller: String(listing.seller_id), listing: String(listing.id) },
    ids: {
      ours: {
        lead: gid('Lead', lead.id),
        seller: gid('Seller', listing.seller_id),
        listing: gid('Listing', listing.id),
        agency: gid('Agency', agency.id),
      },
      postgraphile: {},
    },
    next: {},
    period: { from: from.toISOString(), to: to.toISOString(), regions: ['CN-GD'] },
  };
}

// ---------------------------------------------------------------------------------------------------
// The three servers, all on the same Node 22 binary and pool size.

const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGTERM');
    process.exit(130);
  });
}

function startServers(ctx) {
  const common = {
    DATABASE_URL: urlOf(ctx.db),
    DATABASE_POOL_SIZE: String(poolSize),
    BENCH_PRINCIPALS: JSON.stringify(ctx.principals),
  };
  // Our server logs in as the API's own login (eca_api, trust auth on the private cluster), as in production.
  const apiLogin = urlOf(ctx.db).replace('postgres://postgres@', 'postgres://eca_api@');
  const specs = {
    // Production mode; LOG_LEVEL=warn: no request log line (the other two log nothing per request either).
    // The per-key query-cost budget and the cost ceiling are lifted (the bench measures speed, not limits;
    // the cost is still computed on every request); the other settings are production defaults.
    ours: {
      argv: ['dist/src/main.js'],
      cwd: ROOT,
      env: {
        NODE_ENV: 'production',
        IDENTIFIER_HASH_KEY: HASH_KEY,
        IDENTIFIER_ENCRYPTION_KEY: ENCRYPTION_KEY,
        CURSOR_KEY,
        AUDIT_SIGNING_KEY,
        EVIDENCE_ENCRYPTION_KEY,
        DATABASE_URL: apiLogin,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_MAXIMUM_AVAILABLE: '1000000000',
        RATE_LIMIT_RESTORE_RATE: '1000000000',
        GRAPHQL_MAX_COST: '100000000',
      },
    },
    postgraphile: {
      argv: [path.join(BENCH, 'servers/postgraphile.mjs')],
      cwd: BENCH,
      env: { NODE_ENV: 'production', GRAPHILE_ENV: 'production' },
    },
    bare: { argv: [path.join(BENCH, 'servers/bare.mjs')], cwd: BENCH, env: { NODE_ENV: 'production' } },
  };
  const servers = {};
  for (const sys of systems) {
    const out = fs.openSync(path.join(resultsDir, `${sys}-s${ctx.scale}.log`), 'w');
    const child = spawn(NODE22, specs[sys].argv, {
      cwd: specs[sys].cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...common, ...specs[sys].env, PORT: String(PORT[sys]) },
      stdio: ['ignore', out, out],
    });
    servers[sys] = { child, pid: child.pid, url: `http://127.0.0.1:${PORT[sys]}` };
    running.add(child);
    child.once('exit', () => running.delete(child));
  }
  // More processes of this API for the scale-out runs, on ports 100 apart, same settings and pool size each.
  if (servers.ours) {
    servers.ours.extra = [];
    for (let k = 1; k < instances; k += 1) {
      const port = PORT.ours + 100 * k;
      const out = fs.openSync(path.join(resultsDir, `ours-${k + 1}-s${ctx.scale}.log`), 'w');
      const child = spawn(NODE22, specs.ours.argv, {
        cwd: specs.ours.cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...common, ...specs.ours.env, PORT: String(port) },
        stdio: ['ignore', out, out],
      });
      servers.ours.extra.push({ child, pid: child.pid, url: `http://127.0.0.1:${port}` });
      running.add(child);
      child.once('exit', () => running.delete(child));
    }
  }
  return servers;
}

async function stopServers(servers) {
  const processes = Object.values(servers).flatMap((server) => [server, ...(server.extra ?? [])]);
  await Promise.all(
    processes.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function request(ctx, sys, servers, op, variables) {
  const req = op[sys](ctx, variables);
  const response = await fetch(servers[sys].url + req.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens[sys][op.caller]}` },
    body: req.body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${sys} ${op.key}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  if (response.status !== 200 || json.errors || !json.data)
    throw new Error(`${sys} ${op.key}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return json.data;
}

async function waitReady(ctx, servers) {
  const deadline = Date.now() + 90_000;
  for (const sys of systems) {
    for (;;) {
      if (servers[sys].child.exitCode !== null)
        throw new Error(`${sys} exited; see bench/results/${sys}-s${ctx.scale}.log`);
      try {
        if (sys === 'postgraphile') {
          const r = await fetch(`${servers[sys].url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"query":"{__typename}"}',
          });
          if (r.ok) break;
        } else if ((await fetch(`${servers[sys].url}/healthz`)).ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${sys} did not start; see bench/results/${sys}-s${ctx.scale}.log`);
      await sleep(250);
    }
  }
  for (const extra of servers.ours?.extra ?? []) {
    while (
      !(await fetch(`${extra.url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (extra.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`a further process of this API did not start; see bench/results/ours-*-s${ctx.scale}.log`);
      await sleep(250);
    }
  }
  if (servers.postgraphile) {
    const r = await fetch(`${servers.postgraphile.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-brand' },
      body: JSON.stringify({ query: `{ leadByRowId(rowId: "${ctx.rows.lead}") { id } }` }),
    });
    ctx.ids.postgraphile.lead = (await r.json()).data.leadByRowId.id;
  }
}

// ---------------------------------------------------------------------------------------------------
// Measurements: pg_stat_statements (statements and database time), /proc (CPU, memory), autocannon.

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}
async function resetStatements() {
  await admin.query('SELECT pg_stat_statements_reset()');
}
async function statementTotals(db) {
  const { rows } = await admin.query(
    `SELECT coalesce(sum(calls), 0)::float8 AS calls, coalesce(sum(total_exec_time + total_plan_time), 0)::float8 AS ms
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [db],
  );
  return rows[0];
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * One autocannon run against one system; returns its figures. `processes` > 1 (this API only): the
 * connections are split evenly between that many processes of the server, driven at once, figures summed.
 */
async function drive(ctx, servers, sys, op, { connections, rate, seconds, variables, measure = true, processes = 1 }) {
  const req = op[sys](ctx, variables);
  const targets = [servers[sys], ...(servers[sys].extra ?? [])].slice(0, processes);
  if (targets.length < processes)
    throw new Error(`${processes} processes of ${sys} asked for, ${targets.length} running`);
  if (measure) await resetStatements();
  const cpu0 = targets.map(({ pid }) => cpuSeconds(pid));
  const latencies = [];
  const results = await Promise.all(
    targets.map(
      (target, k) =>
        new Promise((resolve, reject) => {
          const share = Math.floor(connections / processes) + (k < connections % processes ? 1 : 0);
          const instance = autocannon(
            {
              url: target.url + req.path,
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens[sys][op.caller]}` },
              body: req.body,
              connections: share,
              duration: seconds,
              ...(rate ? { overallRate: rate / processes } : {}),
              timeout: 30,
            },
            (error, r) => (error ? reject(error) : resolve(r)),
          );
          instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
        }),
    ),
  );
  const cpu = targets.reduce((sum, { pid }, k) => sum + cpuSeconds(pid) - cpu0[k], 0);
  const total = (key) => results.reduce((sum, r) => sum + r[key], 0);
  const result = { '2xx': total('2xx'), errors: total('errors'), timeouts: total('timeouts'), non2xx: total('non2xx') };
  const pid = targets[0].pid;
  if (!measure) return null;
  const db = await statementTotals(ctx.db);
  latencies.sort((a, b) => a - b);
  const ok = result['2xx'];
  return {
    sys,
    op: op.key,
    connections,
    rate: rate ?? null,
    processes,
    reqPerSec: ok / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + result.non2xx,
    statementsPerReq: db.calls / Math.max(1, ok),
    dbMsPerReq: db.ms / Math.max(1, ok),
    cpuMsPerReq: (cpu * 1000) / Math.max(1, ok),
    ...memory(pid),
  };
}

/** Exact statements per request: up to `n` requests one after the other (at most ~30 s), pg_stat_statements before and after. */
async function countStatements(ctx, servers, sys, op, variables, n = 10) {
  try {
    await request(ctx, sys, servers, op, variables);
    await resetStatements();
    const started = Date.now();
    let done = 0;
    while (done < n && (done < 2 || Date.now() - started < 30_000)) {
      await request(ctx, sys, servers, op, variables);
      done += 1;
    }
    const { calls, ms } = await statementTotals(ctx.db);
    return { statements: calls / done, dbMs: ms / done, n: done };
  } catch (error) {
    log(`  ${sys} ${op.key}: ${error.message.slice(0, 200)}`);
    return { statements: NaN, dbMs: NaN, error: error.message.slice(0, 200) };
  }
}

/** Latency of up to `n` sequential requests (one connection; at most ~30 s); failures are counted, not thrown. */
async function sequentialLatency(ctx, servers, sys, op, n, variables) {
  const times = [];
  let errors = 0;
  const started = Date.now();
  for (let i = 0; i < n && (i < 3 || Date.now() - started < 30_000); i += 1) {
    const t = process.hrtime.bigint();
    try {
      await request(ctx, sys, servers, op, variables);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    } catch (error) {
      errors += 1;
      if (errors === 1) log(`  ${sys} ${op.key}: ${error.message.slice(0, 200)}`);
    }
  }
  times.sort((a, b) => a - b);
  return {
    n: times.length,
    errors,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: times[times.length - 1],
  };
}

/**
 * The live listings the takedown sequence takes down, `op.batches` batches of 300 (the marketplace's batch
 * size) of the bench brand, ten per seller over thirty sellers of their own (batches share no seller while the
 * dataset has sellers enough: concurrent takedowns lock their sellers); made once per run copy, when the operation
 * first runs (after the reads, so that their tables are the seed's).
 */
async function ensureTakedownBatches(ctx, op) {
  if (!op.batches || ctx.takedownBatches) return;
  const db = new pg.Client({ connectionString: urlOf(ctx.db) });
  await db.connect();
  try {
    const { rows } = await db.query(
      // The sellers' count as a value of its own, so that the join is an equality PostgreSQL hashes (with the
      // count on both sides it was a nested loop: batches x 300 x sellers comparisons).
      `WITH sellers AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM seller), n AS (SELECT count(*) AS n FROM seller)
       INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status)
       SELECT s.id, $1, 'bench takedown ' || b || '/' || i, 'https://bench.example/takedown/' || b || '/' || i, 1000, 'CNY', 'LIVE'
       FROM generate_series(0, $2 - 1) b CROSS JOIN generate_series(0, 299) i CROSS JOIN n JOIN sellers s ON s.k = (b * 30 + i % 30) % n.n
       ORDER BY b, i RETURNING id, split_part(title, ' ', 3) AS slot`,
      [ctx.brand.id, op.batches],
    );
    await db.query('ANALYZE listing');
    const gid = (id) => Buffer.from(`Listing:${id}`).toString('base64url');
    ctx.takedownBatches = [];
    for (const row of rows) (ctx.takedownBatches[Number(row.slot.split('/')[0])] ??= []).push(gid(row.id));
    log(`  ${op.key}: ${rows.length} live listings made, ${ctx.takedownBatches.length} batches of 300`);
  } finally {
    await db.end();
  }
}

let failures = 0;
let lastFailure = null;

/**
 * A sequence operation (`op.run`, our API only): `connections` clients each run iterations one after the other
 * until the time is up; every request answered counts (those in flight at the end too, over the time they took).
 */
async function driveSequence(ctx, servers, sys, op, { connections, seconds, measure = true, once = false }) {
  await ensureTakedownBatches(ctx, op);
  const pid = servers[sys].pid;
  if (measure) await resetStatements();
  const cpu0 = cpuSeconds(pid);
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const latencies = [];
  let errors = 0;
  let exhausted = false;
  const call = async (caller, query, variables) => {
    const t = process.hrtime.bigint();
    const response = await fetch(`${servers[sys].url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens[sys][caller]}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const json = await response.json();
    const field = json.data && Object.values(json.data)[0];
    if (response.status !== 200 || json.errors || !field || field.userErrors?.length)
      throw new Error(`HTTP ${response.status}: ${JSON.stringify(json).slice(0, 300)}`);
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    return field;
  };
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let runs = 0; (once ? runs < 1 : Date.now() < deadline) && !exhausted; runs += 1) {
        const n = (ctx.next[op.key] = (ctx.next[op.key] ?? 0) + 1) - 1;
        try {
          if ((await op.run(call, ctx, n)) === false) exhausted = true;
        } catch (error) {
          errors += 1;
          failures += 1;
          lastFailure = error.message.slice(0, 300);
          if (errors === 1) log(`  ${sys} ${op.key}: ${lastFailure}`);
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  if (exhausted) log(`  ${op.key}: every prepared batch was used before the run's end`);
  if (!measure) return null;
  const db = await statementTotals(ctx.db);
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  return {
    sys,
    op: op.key,
    connections,
    rate: null,
    reqPerSec: ok / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors,
    statementsPerReq: db.calls / Math.max(1, ok),
    dbMsPerReq: db.ms / Math.max(1, ok),
    cpuMsPerReq: (cpu * 1000) / Math.max(1, ok),
    ...memory(pid),
  };
}

// ---------------------------------------------------------------------------------------------------
// The run.

const fmt = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : Number(v).toFixed(d));
const report = {
  started: new Date(),
  runs: [],
  checks: [],
  counts: [],
  firstSweep: [],
  scales: [],
  analytics: [],
  scaleOut: [],
  memory: {},
};

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown',
    node: execFileSync(NODE22, ['--version'], { encoding: 'utf8' }).trim(),
    postgres: cluster.version,
    postgraphile: JSON.parse(fs.readFileSync(path.join(BENCH, 'node_modules/postgraphile/package.json'), 'utf8'))
      .version,
    loadBefore: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim(),
    dirty:
      spawnSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).stdout.trim() !== '',
  };
}

async function checkAnswers(ctx, servers) {
  for (const op of ops) {
    if (op.run) {
      // A sequence of our API only: one iteration must complete (nothing to compare with).
      for (const sys of systems.filter((x) => op.only.includes(x))) {
        const errorsBefore = failures;
        await driveSequence(ctx, servers, sys, op, { connections: 1, seconds: 60, measure: false, once: true });
        const r = failures > errorsBefore ? lastFailure : null;
        report.checks.push({ scale: ctx.scale, op: op.key, pair: `${sys} only`, ok: !r, diff: r });
        log(`  check ${op.key.padEnd(12)} ${sys} only: ${r ? `FAILED ${r}` : 'answered'}`);
      }
      continue;
    }
    const answers = {};
    try {
      for (const sys of systems) answers[sys] = canonical(op, sys, await request(ctx, sys, servers, op));
    } catch (error) {
      report.checks.push({ scale: ctx.scale, op: op.key, pair: 'all', ok: false, diff: error.message.slice(0, 300) });
      log(`  check ${op.key}: FAILED ${error.message.slice(0, 300)}`);
      continue;
    }
    const base = systems.includes('ours') ? 'ours' : systems[0];
    for (const sys of systems.filter((x) => x !== base)) {
      const diff = firstDifference(answers[base], answers[sys]);
      report.checks.push({ scale: ctx.scale, op: op.key, pair: `${base} = ${sys}`, ok: !diff, diff });
      log(`  check ${op.key.padEnd(12)} ${base} = ${sys}: ${diff ? `DIFFERENT at ${diff}` : 'same data'}`);
    }
  }
}

async function countAll(ctx, servers, scaleLabel) {
  const variants = [];
  for (const op of ops) {
    if (op.mutation) continue;
    if (op.key === 'caseList')
      for (const first of [10, 50, 100]) variants.push({ op, label: `${op.key} first ${first}`, variables: { first } });
    else if (op.key === 'agencySync')
      for (const first of [10, 100]) variants.push({ op, label: `${op.key} first ${first}`, variables: { first } });
    else variants.push({ op, label: op.key });
  }
  for (const { op, label, variables } of variants) {
    const row = { scale: scaleLabel, label, op: op.key, depth: op.depth };
    for (const sys of systems) row[sys] = await countStatements(ctx, servers, sys, op, variables);
    report.counts.push(row);
    log(
      `  statements ${label.padEnd(22)} ${systems.map((s) => `${s} ${fmt(row[s].statements, 1)} (${fmt(row[s].dbMs, 2)} ms db)`).join('  ')}`,
    );
  }
}

function printRun(r) {
  log(
    `  ${r.op.padEnd(12)} ${(r.rate ? `rate ${r.rate}/s c${r.connections}` : `c${r.connections}`).padEnd(14)} ${LABEL[r.sys].padEnd(15)} ${fmt(r.reqPerSec, 0).padStart(6)} req/s  p50 ${fmt(r.p50)} p95 ${fmt(r.p95)} p99 ${fmt(r.p99)} ms  ` +
      `${fmt(r.statementsPerReq, 1)} stmt  ${fmt(r.dbMsPerReq, 2)} ms db  ${fmt(r.cpuMsPerReq, 2)} ms cpu  rss ${fmt(r.rssMb, 0)} MB${r.errors ? `  ERRORS ${r.errors}` : ''}`,
  );
}

async function sideBySide(ctx, servers) {
  for (const [i, op] of ops.entries()) {
    if (op.mutation) continue; // reportLead runs last (it adds leads that the case list would then show)
    await runOp(ctx, servers, op, i);
  }
  // Operation 1 as the page grows.
  const caseList = OPS.find((o) => o.key === 'caseList');
  if (ops.includes(caseList)) {
    log('operation 1 by page size (10 connections)');
    for (const first of [10, 50, 100]) {
      for (const sys of systems) {
        const r = await drive(ctx, servers, sys, caseList, {
          connections: 10,
          seconds: Math.min(duration, 5),
          variables: { first },
        });
        report.firstSweep.push({ ...r, first });
        printRun({ ...r, op: `first ${first}` });
      }
    }
  }
  await scaleOut(ctx, servers);
  await probeScale(ctx, servers);
  for (const [i, op] of ops.entries()) if (op.mutation) await runOp(ctx, servers, op, i);
}

/** The read operations at this API as one process and as `instances` processes on the same database, interleaved. */
async function scaleOut(ctx, servers) {
  if (instances < 2 || !servers.ours) return;
  log(`scale-out: this API as 1 and as ${instances} processes (pool ${poolSize} each), read operations`);
  for (const key of ['caseList', 'agencySync', 'node']) {
    const op = ops.find((o) => o.key === key);
    if (!op) continue;
    await drive(ctx, servers, 'ours', op, { connections: 10, seconds: 2, measure: false, processes: instances }); // warm-up of the others
    for (const connections of connectionLevels) {
      for (const processes of [1, instances]) {
        const r = await drive(ctx, servers, 'ours', op, { connections, seconds: duration, processes });
        report.scaleOut.push(r);
        printRun({ ...r, op: `${key} x${processes}` });
      }
    }
  }
}

async function runOp(ctx, servers, op, i) {
  log(`${op.title}`);
  if (op.run) {
    const mine = systems.filter((x) => op.only.includes(x));
    for (const sys of mine) await driveSequence(ctx, servers, sys, op, { connections: 10, seconds: 2, measure: false }); // warm-up
    for (const connections of connectionLevels) {
      for (const sys of mine) {
        const r = await driveSequence(ctx, servers, sys, op, { connections, seconds: duration });
        report.runs.push(r);
        printRun(r);
      }
    }
    return;
  }
  const order = systems.map((_, k) => systems[(k + i) % systems.length]); // who goes first rotates per operation
  for (const sys of order) await drive(ctx, servers, sys, op, { connections: 10, seconds: 2, measure: false }); // warm-up
  const c10 = {};
  for (const connections of connectionLevels) {
    for (const sys of order) {
      const r = await drive(ctx, servers, sys, op, { connections, seconds: duration });
      report.runs.push(r);
      printRun(r);
      if (connections === connectionLevels[0]) c10[sys] = r.reqPerSec;
    }
  }
  // Constant rate: half of what the slowest system sustained, so that every system can keep up; 32 connections.
  const rate = Math.max(1, Math.floor(0.5 * Math.min(...Object.values(c10))));
  for (const sys of order) {
    const r = await drive(ctx, servers, sys, op, { connections: 32, rate, seconds: duration });
    report.runs.push(r);
    printRun(r);
  }
}

/** Operations 1-3 (10 connections) and the analytics (one connection) on the current dataset. */
async function probeScale(ctx, servers) {
  log(`scale ${ctx.scale}: operations 1-3 at 10 connections, analytics one request at a time`);
  for (const key of ['caseList', 'agencySync', 'node']) {
    const op = ops.find((o) => o.key === key);
    if (!op) continue;
    for (const sys of systems) {
      await drive(ctx, servers, sys, op, { connections: 10, seconds: 1, measure: false });
      const r = await drive(ctx, servers, sys, op, { connections: 10, seconds: Math.min(duration, 5) });
      report.scales.push({ ...r, scale: ctx.scale });
      printRun({ ...r, op: `${key} s${ctx.scale}` });
    }
  }
  for (const key of ['funnelBrand', 'funnelAll', 'takedowns']) {
    const op = ops.find((o) => o.key === key);
    if (!op) continue;
    for (const sys of systems) {
      await sequentialLatency(ctx, servers, sys, op, 2);
      const r = await sequentialLatency(ctx, servers, sys, op, 20);
      report.analytics.push({ scale: ctx.scale, op: key, sys, ...r });
      log(
        `  ${key.padEnd(12)} s${ctx.scale} ${LABEL[sys].padEnd(15)} one at a time (${r.n} requests${r.errors ? `, ${r.errors} failed` : ''}): p50 ${fmt(r.p50)} p99 ${fmt(r.p99)} max ${fmt(r.max)} ms`,
      );
    }
  }
}

async function withDataset(s, work) {
  const note = await ensureSeed(s);
  const ctx = await prepareRun(s);
  ctx.seedNote = note;
  log(
    `scale ${s}: ${ctx.db} (${ctx.counts.leads} leads, ${ctx.counts.listings} listings, ${ctx.counts.size}; copied in ${fmt(ctx.copySeconds)} s; ${note});` +
      ` brand ${ctx.brand.slug} (${ctx.brand.leads} leads), agency ${ctx.agency.code} (${ctx.agency.referrals} referrals)`,
  );
  const servers = startServers(ctx);
  try {
    await waitReady(ctx, servers);
    await work(ctx, servers);
    for (const sys of systems) report.memory[`${sys}@${s}`] = memory(servers[sys].pid);
  } finally {
    await stopServers(servers);
    await admin.query(`DROP DATABASE IF EXISTS ${ctx.db} WITH (FORCE)`);
  }
  return ctx;
}

report.machine = machine();
log(
  `machine: ${report.machine.nproc} cpus (${report.machine.cpu}), ${report.machine.memory}; Node ${report.machine.node}; ${report.machine.postgres}; load ${report.machine.loadBefore}`,
);
const defaultScales = [0.1, 1, ...((await seeded(10)) ? [10] : [])];
const scales = (args.scales ? args.scales.split(',').map(Number) : defaultScales).filter((s) => s !== scale);
report.scaleOrder = [scale, ...scales];
report.options = { systems, duration, poolSize, connectionLevels, instances };

function save() {
  report.finished = new Date();
  report.machine.loadAfter = fs.readFileSync('/proc/loadavg', 'utf8').trim();
  fs.writeFileSync(path.join(resultsDir, `report-s${scale}.json`), JSON.stringify(report, null, 2));
}

let main;
try {
  main = await withDataset(scale, async (ctx, servers) => {
    log('same data? (each canonical operation, every system against this API)');
    await checkAnswers(ctx, servers);
    log('SQL statements per request (pg_stat_statements, 10 requests one after the other)');
    await countAll(ctx, servers, ctx.scale);
    if (!args['check-only']) await sideBySide(ctx, servers);
  });
  report.main = main;
  save();
  if (!args['check-only']) {
    for (const s of scales) {
      if (s > 1 && !args['seed-missing'] && !(await seeded(s))) {
        log(`scale ${s}: not seeded, skipped (--seed-missing seeds it)`);
        continue;
      }
      await withDataset(s, async (ctx, servers) => {
        await checkAnswers(ctx, servers);
        await probeScale(ctx, servers);
      });
      save();
    }
  }
} finally {
  await admin.end();
  if (!args['keep-cluster']) stopCluster({ root: ROOT, dataDir: path.join(BENCH, '.pgdata') });
}
save();
if (!args['check-only']) {
  const { writeReport } = await import('./lib/markdown.mjs');
  writeReport(report, args.out, { systems, LABEL, duration, poolSize, connectionLevels });
  log(`wrote ${path.relative(ROOT, args.out)} and bench/results/report-s${scale}.json`);
}
