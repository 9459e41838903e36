// Before and after, in one interleaved run: this checkout of the API against another build of it (an
// earlier commit, checked out and built elsewhere), each on a database of its own seeded by its own code,
// both served by the same Node binary, driven with the same load, runs alternating (A B, B A, ...).
//
//   git worktree add /tmp/eca-before <commit> && (cd /tmp/eca-before && npm ci && npm run build)
//   npm run build && node bench/compare.mjs --before /tmp/eca-before [--scale 0.1] [--connections 10,50]
//
// Operations: reportLead by a brand partner (the write path), wholeCase (report -> triage -> investigation
// -> evidence -> ready -> referral -> sent -> acknowledged -> outcome, nine mutations, one case per
// iteration of a client; cases/s is the mutations answered within the run, per second, divided by nine),
// caseList (a read, the brand portal's first page), and the canonical reads of bench/ops.mjs as the
// side-by-side bench sends them: op1CaseList (first 50, nested to outcomes), agencySync (first 100, by an
// agency), node (a lead by global id). Server CPU per request (/proc) is printed for each run, and that of the
// PostgreSQL backends of the side's database (this machine's PostgreSQL). Each side is driven --warmup seconds
// (default 2) per operation before the timed runs.
// Prints a markdown table; --out FILE writes the figures as JSON; --tag T names the databases (eca_T_before/after)
// so two runs can coexist; --waits samples pg_stat_activity of the side's database every 20 ms during each run
// and prints, per run, what its backends were doing (wait event, or CPU / client round trip, and the statement).
// Uses the machine's PostgreSQL (--pg, default 127.0.0.1:5432).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { OPS } from './ops.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    scale: { type: 'string', default: '0.1' },
    connections: { type: 'string', default: '10,50' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' }, // seconds of untimed load per side and operation first (the JIT, the pools, the caches)
    ops: { type: 'string', default: 'reportLead,wholeCase,caseList' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    out: { type: 'string' },
    tag: { type: 'string', default: 'compare' }, // database names eca_<tag>_before/after: two runs side by side
    waits: { type: 'boolean', default: false }, // sample pg_stat_activity during each run and print what the backends wait on
    port: { type: 'string' }, // the two servers listen on port+1 and port+2 (default: from --tag, so that two runs never share them)
  },
});
if (!args.before) throw new Error('--before DIR: a built checkout of the earlier version');
const SIDES = { before: path.resolve(args.before), after: ROOT };
const KEYS = {
  IDENTIFIER_HASH_KEY: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  IDENTIFIER_ENCRYPTION_KEY: 'b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2',
  CURSOR_KEY: 'c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3',
  AUDIT_SIGNING_KEY: 'd5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4', // bench only: an Ed25519 seed, hex
  EVIDENCE_ENCRYPTION_KEY: 'e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7', // bench only: 32 bytes, hex
};
const log = (...parts) => process.stdout.write(`${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const url = (db) => `${args.pg}/${db}`;
const admin = new pg.Client({ connectionString: url('postgres') });
await admin.connect();

const envOf = (db) => ({
  ...process.env,
  ...KEYS,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  DATABASE_URL: url(db),
  RATE_LIMIT_MAXIMUM_AVAILABLE: '1000000000',
  RATE_LIMIT_RESTORE_RATE: '1000000000',
  GRAPHQL_MAX_COST: '100000000',
});
/** The command line works as the owner (a version with least-privilege logins reads MIGRATION_DATABASE_URL). */
const cli = (side, db, ...argv) =>
  execFileSync(process.execPath, ['dist/src/cli.js', ...argv], {
    cwd: SIDES[side],
    env: { ...envOf(db), MIGRATION_DATABASE_URL: url(db), NODE_ENV: 'test' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
/** The server logs in as the API's own login where the version has one (eca_api; trust auth on 127.0.0.1). */
const serverUrl = (side, db) =>
  fs.existsSync(path.join(SIDES[side], 'src/database/logins.ts'))
    ? url(db).replace('://postgres@', '://eca_api@')
    : url(db);

async function prepare(side) {
  const db = `eca_${args.tag}_${side}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${db}`);
  log(`${side}: migrate and seed scale ${args.scale} (${SIDES[side]})`);
  cli(side, db, 'migrate');
  cli(side, db, 'seed', '--scale', args.scale);
  const client = new pg.Client({ connectionString: url(db) });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  const one = async (sql) => (await client.query(sql)).rows[0];
  const brand = await one(
    `SELECT b.id, b.slug FROM lead_brand lb JOIN brand b ON b.id = lb.brand_id GROUP BY b.id ORDER BY count(*) DESC, b.id LIMIT 1`,
  );
  const seller = await one(`SELECT seller_id AS id FROM listing WHERE brand_id = ${brand.id} ORDER BY id LIMIT 1`);
  const agency = await one(`SELECT id, code FROM agency ORDER BY id LIMIT 1`);
  // The canonical reads' callers: the agency with most sent referrals, and a lead of the brand (node lookup).
  const syncAgency = await one(
    `SELECT a.id, a.code FROM referral r JOIN agency a ON a.id = r.agency_id WHERE r.status <> 'DRAFT' GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1`,
  );
  const lead = await one(`SELECT lead_id AS id FROM lead_brand WHERE brand_id = ${brand.id} ORDER BY lead_id LIMIT 1`);
  await client.end();
  const token = (...argv) =>
    cli(side, db, 'apikey', 'create', ...argv)
      .split('\n')
      .find((line) => line.startsWith('eca_'));
  const gid = (type, id) => Buffer.from(`${type}:${id}`).toString('base64url');
  return {
    db,
    tokens: {
      brand: token('--role', 'BRAND_PARTNER', '--name', 'compare-brand', '--brand', brand.slug),
      investigator: token('--role', 'INVESTIGATOR', '--name', 'compare-investigator'),
      agency: token('--role', 'AGENCY_LIAISON', '--name', 'compare-agency', '--agency', agency.code),
      syncAgency: token('--role', 'AGENCY_LIAISON', '--name', 'compare-sync-agency', '--agency', syncAgency.code),
    },
    ids: { ours: { lead: gid('Lead', lead.id) } },
    sellerId: gid('Seller', seller.id),
    agencyId: gid('Agency', agency.id),
  };
}

function startServer(side, ctx, port) {
  const env = { ...envOf(ctx.db), DATABASE_URL: serverUrl(side, ctx.db), PORT: String(port), DATABASE_POOL_SIZE: '10' };
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: SIDES[side],
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function ready(server) {
  for (let i = 0; i < 120; i += 1) {
    // A server that exited (its port taken) must not be mistaken for whatever answers there.
    if (server.child.exitCode !== null)
      throw new Error(`the server for ${server.url} exited (${server.child.exitCode})`);
    try {
      if ((await fetch(`${server.url}/readyz`)).ok && server.child.exitCode === null) return;
    } catch {
      /* not yet */
    }
    await sleep(500);
  }
  throw new Error(`${server.url} did not become ready`);
}

const gql = async (server, token, query, variables) => {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  const field = body.data && Object.values(body.data)[0];
  if (body.errors || field?.userErrors?.length) throw new Error(JSON.stringify(body));
  return field;
};

/** One case, report to outcome: nine mutations, each answered before the next; `answered()` is called after each. */
async function wholeCase(server, ctx, n, answered = () => {}) {
  const m = async (token, name, input, selection) => {
    const field = await gql(
      server,
      token,
      `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { ${selection} userErrors { code } } }`,
      { input },
    );
    answered();
    return field;
  };
  const { lead } = await m(
    ctx.tokens.brand,
    'reportLead',
    { description: `compare case ${n}`, sellerIds: [ctx.sellerId] },
    'lead { id }',
  );
  await m(ctx.tokens.investigator, 'triageLead', { leadId: lead.id, riskScore: 80 }, 'lead { id }');
  const { investigation } = await m(
    ctx.tokens.investigator,
    'openInvestigation',
    { leadIds: [lead.id], summary: 'compare' },
    'investigation { id }',
  );
  const { evidence } = await m(
    ctx.tokens.investigator,
    'addEvidence',
    {
      investigationId: investigation.id,
      kind: 'TEST_PURCHASE',
      description: 'bought',
      sha256: String(n).padStart(64, 'a'),
      storageKey: `s3://compare/${n}`,
      collectedBy: 'bench',
      collectedAt: '2026-01-01T00:00:00Z',
    },
    'evidence { id }',
  );
  await m(
    ctx.tokens.investigator,
    'markInvestigationReady',
    { investigationId: investigation.id },
    'investigation { id }',
  );
  const { referral } = await m(
    ctx.tokens.investigator,
    'createReferral',
    { investigationId: investigation.id, agencyId: ctx.agencyId, evidenceIds: [evidence.id], summary: 'compare' },
    'referral { id }',
  );
  await m(ctx.tokens.investigator, 'sendReferral', { referralId: referral.id }, 'referral { id }');
  await m(ctx.tokens.agency, 'acknowledgeReferral', { referralId: referral.id }, 'referral { id }');
  await m(
    ctx.tokens.agency,
    'recordEnforcementOutcome',
    { referralId: referral.id, kind: 'RAID', occurredAt: new Date().toISOString(), arrests: 1 },
    'outcome { id }',
  );
}

const REPORT =
  'mutation($input: ReportLeadInput!) { reportLead(input: $input) { lead { id reference } userErrors { code } } }';
const CASE_LIST =
  '{ leads(first: 50) { nodes { id reference status sellers { displayName } investigation { reference status } } } }';

/** The canonical reads of bench/ops.mjs (by their key there) and whose token sends them. */
const CANONICAL_READS = {
  op1CaseList: { key: 'caseList', caller: 'brand' },
  agencySync: { key: 'agencySync', caller: 'syncAgency' },
  node: { key: 'node', caller: 'brand' },
};

/** CPU time (user + system, ms) of a process so far, from /proc (Linux; 100 ticks a second). */
const cpuMs = (pid) => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
};

/** CPU time (ms) of each client backend of database `db`, by pid (the server's pool; PostgreSQL on this machine). */
async function backendCpu(db) {
  const { rows } = await admin.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [db],
  );
  return new Map(rows.map(({ pid }) => [pid, cpuMs(pid)]).filter(([, ms]) => !Number.isNaN(ms)));
}
const backendCpuSince = (before, after) => [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

async function drive(side, server, ctx, op, connections, seconds) {
  if (op === 'wholeCase') {
    // `connections` clients, each building cases one after the other. Only the mutations answered within the
    // run count (a case takes seconds under load: counting whole cases would count those finished after it).
    const deadline = Date.now() + seconds * 1000;
    let mutations = 0;
    let errors = 0;
    let n = Math.floor(Math.random() * 1e9);
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < deadline) {
          try {
            await wholeCase(server, ctx, (n += 1), () => {
              if (Date.now() <= deadline) mutations += 1;
            });
          } catch {
            errors += 1;
          }
        }
      }),
    );
    return { perSec: mutations / 9 / seconds, mutationsPerSec: mutations / seconds, errors };
  }
  const canonical = CANONICAL_READS[op] && OPS.find((o) => o.key === CANONICAL_READS[op].key);
  const [token, body] = canonical
    ? [ctx.tokens[CANONICAL_READS[op].caller], canonical.ours(ctx).body]
    : op === 'reportLead'
      ? [
          ctx.tokens.brand,
          JSON.stringify({
            query: REPORT,
            variables: { input: { description: 'compare report', sellerIds: [ctx.sellerId] } },
          }),
        ]
      : [ctx.tokens.brand, JSON.stringify({ query: CASE_LIST })];
  let graphqlErrors = 0;
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${server.url}/graphql`,
        method: 'POST',
        body,
        connections,
        duration: seconds,
        timeout: 30,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        setupClient: (client) =>
          client.on('body', (buffer) => {
            if (buffer.includes('"errors"') || buffer.includes('"code"')) graphqlErrors += 1;
          }),
      },
      (error, r) => (error ? reject(error) : resolve(r)),
    );
    void instance;
  });
  return {
    perSec: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
  };
}

/**
 * Samples what the backends of `db` are doing, every 20 ms, until stop(): per sample, each backend that is in a
 * transaction or running a statement counts once under its wait event (or 'CPU' when active without one,
 * 'client' when idle in transaction: the server's turn) and the first words of its statement.
 */
function sampleWaits(db) {
  const counts = new Map();
  let samples = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const { rows } = await admin.query(
        `SELECT CASE WHEN state = 'idle in transaction' THEN 'client (idle in transaction)' WHEN wait_event IS NULL THEN 'CPU' ELSE wait_event_type || ':' || wait_event END AS what,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS query
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state NOT IN ('idle') AND backend_type = 'client backend'`,
        [db],
      );
      samples += 1;
      for (const row of rows) {
        const key = `${row.what} | ${row.query}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { samples, counts };
    },
  };
}

function printWaits(label, { samples, counts }) {
  const rows = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12);
  log(`  backends of ${label}, mean over ${samples} samples:`);
  for (const [key, n] of rows) log(`    ${(n / samples).toFixed(2).padStart(6)}  ${key}`);
}

const contexts = {};
const servers = {};
// Two runs with different tags listen on different ports (a server that cannot listen would leave the load to the other run's).
let port = args.port
  ? Number(args.port)
  : 4700 + 2 * ([...args.tag].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 9973, 7) % 400);
for (const side of Object.keys(SIDES)) {
  contexts[side] = await prepare(side);
  servers[side] = startServer(side, contexts[side], (port += 1));
}
try {
  for (const side of Object.keys(SIDES)) await ready(servers[side]);
  const results = [];
  const seconds = Number(args.duration);
  for (const op of args.ops.split(',')) {
    if (Number(args.warmup) > 0)
      for (const side of Object.keys(SIDES))
        await drive(side, servers[side], contexts[side], op, 10, Number(args.warmup));
    for (const connections of args.connections.split(',').map(Number)) {
      for (let round = 0; round < Number(args.rounds); round += 1) {
        const order = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
        for (const side of order) {
          const sampler = args.waits ? sampleWaits(contexts[side].db) : undefined;
          const cpuBefore = cpuMs(servers[side].child.pid);
          const pgBefore = await backendCpu(contexts[side].db);
          const r = await drive(side, servers[side], contexts[side], op, connections, seconds);
          r.cpuMsPerRequest = (cpuMs(servers[side].child.pid) - cpuBefore) / (r.perSec * seconds);
          r.pgCpuMsPerRequest = backendCpuSince(pgBefore, await backendCpu(contexts[side].db)) / (r.perSec * seconds);
          if (sampler) printWaits(`${op} c${connections} round ${round} ${side}`, await sampler.stop());
          results.push({ op, connections, round, side, ...r });
          log(
            `${op.padEnd(10)} c${String(connections).padEnd(3)} round ${round} ${side.padEnd(6)} ${r.perSec.toFixed(1).padStart(7)}/s${r.mutationsPerSec ? ` (${r.mutationsPerSec.toFixed(1)} mutations/s)` : ''}${r.p50 !== undefined ? ` p50 ${r.p50} p99 ${r.p99} ms` : ''} errors ${r.errors} cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req, PostgreSQL ${r.pgCpuMsPerRequest.toFixed(2)} ms/req`,
          );
        }
      }
    }
  }
  log(
    '\n| operation | connections | before /s | after /s | after ÷ before | errors before / after | CPU ms/req before / after | PostgreSQL CPU ms/req before / after |\n| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const op of args.ops.split(',')) {
    for (const connections of args.connections.split(',').map(Number)) {
      const mean = (side, key) => {
        const rows = results.filter((r) => r.op === op && r.connections === connections && r.side === side);
        return rows.reduce((sum, r) => sum + (r[key] ?? 0), 0) / rows.length;
      };
      const [before, after] = [mean('before', 'perSec'), mean('after', 'perSec')];
      log(
        `| ${op} | ${connections} | ${before.toFixed(1)} | ${after.toFixed(1)} | ${(after / before).toFixed(2)}x | ${mean('before', 'errors').toFixed(0)} / ${mean('after', 'errors').toFixed(0)} | ${mean('before', 'cpuMsPerRequest').toFixed(2)} / ${mean('after', 'cpuMsPerRequest').toFixed(2)} | ${mean('before', 'pgCpuMsPerRequest').toFixed(2)} / ${mean('after', 'pgCpuMsPerRequest').toFixed(2)} |`,
      );
    }
  }
  if (args.out) fs.writeFileSync(args.out, JSON.stringify({ at: new Date().toISOString(), args, results }, null, 2));
} finally {
  for (const server of Object.values(servers)) server.child.kill('SIGTERM');
  await sleep(1000);
  await admin.end();
}
