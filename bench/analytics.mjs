#!/usr/bin/env node
// Every analytics figure, one request at a time, for three callers: each field of
// `analytics` and `sellerNetwork` asked alone, N times, by an administrator, the brand with most leads and the
// agency with most referrals, against one or two builds of this API (e.g. before and after a change), each on
// its own copy of one seeded database. The builds are interleaved request by request (A B, B A, ...), so that
// the noise of a shared machine falls on both alike. Prints a table (field x caller: p50, max, under 200 ms)
// and, with --write, puts it in docs/benchmarks.md between the analytics markers.
//
//   node bench/analytics.mjs --template eca_analytics_seed --builds before=/work/wt/before,after=. --n 5 --write
//
// --template DB     a seeded database (`seed --scale 10`, VACUUM ANALYZE), copied per build (never changed)
// --builds L=DIR,.. built checkouts (dist/) to compare, by label; the last one is "the" result (default after=.)
// --n N             timed requests per field, caller and build (default 5), after one untimed warm-up
// --fields A,B      only these fields (default all); --tag T names the copies eca_<T>_<label>
// --keep            leave the copies (default: dropped at the end)
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    template: { type: 'string', default: 'eca_analytics_seed' },
    builds: { type: 'string', default: 'after=.' },
    n: { type: 'string', default: '5' },
    fields: { type: 'string' },
    tag: { type: 'string', default: 'analytics' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    port: { type: 'string', default: '4710' },
    write: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    scale: { type: 'string', default: '10' },
  },
});
const N = Number(args.n);
const LIMIT_MS = 200;
const REQUEST_TIMEOUT_MS = 30_000;
const builds = args.builds.split(',').map((spec) => {
  const [label, dir] = spec.split('=');
  return { label, dir: path.resolve(ROOT, dir), db: `eca_${args.tag}_${label}` };
});
const KEYS = {
  // the bench keys of compare.mjs
  IDENTIFIER_HASH_KEY: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  IDENTIFIER_ENCRYPTION_KEY: 'b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2',
  CURSOR_KEY: 'c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3',
  AUDIT_SIGNING_KEY: 'd5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4',
  EVIDENCE_ENCRYPTION_KEY: 'e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7',
};
const log = (...parts) => process.stdout.write(`${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const url = (db, user = 'postgres') => `${args.pg.replace('://postgres@', `://${user}@`)}/${db}`;
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
const cli = (build, ...argv) =>
  execFileSync(process.execPath, ['dist/src/cli.js', ...argv], {
    cwd: build.dir,
    env: { ...envOf(build.db), MIGRATION_DATABASE_URL: url(build.db), NODE_ENV: 'test' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

// ---------------------------------------------------------------------------------------------------
// The figures: each field of `analytics` asked alone (all time, no filter), and sellerNetwork.

const money = '{ amount currency }';
const funnel = 'leads triaged investigated referred actioned convicted';
const duration = '{ count medianDays p90Days }';
const accuracy =
  'leadsReported leadsConfirmed leadsRejected listingsReported listingsConfirmed listingsRejected accuracy';
const FIELDS = {
  enforcementFunnel: `enforcementFunnel { ${funnel} stages { stage count conversionFromPrevious } }`,
  outcomeTotals: `outcomeTotals { raids seizures densDestroyed arrests seizedValue ${money} convictions fines { count amounts ${money} } }`,
  timeToAction: `timeToAction { leadToInvestigation ${duration} investigationToReferral ${duration} referralToAcknowledgement ${duration}
    referralToFirstAction ${duration} referralToConviction ${duration} }`,
  takedownSeries:
    'takedownSeries(granularity: WEEK) { buckets { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } }',
  outcomeSeries:
    'outcomeSeries(granularity: MONTH) { buckets { start raids seizures arrests densDestroyed convictions fines } }',
  regionBreakdown: `regionBreakdown { region funnel { ${funnel} } outcomes { raids seizures arrests convictions seizedValue ${money} fines { count amounts ${money} } } }`,
  reporterAccuracy: `reporterAccuracy(granularity: MONTH) { brand { id } period { ${accuracy} } allTime { ${accuracy} } fastTrack
    fastTrackWindow { days reportsConfirmed reportsRejected accuracy rule } series { start ${accuracy} } }`,
  repeatOffenderSellers:
    'repeatOffenders(first: 10) { sellersAsOf sellers { seller { id displayName } strikes leads takedowns } }',
  repeatOffenderNetworks:
    'repeatOffenders(first: 10) { networksAsOf networks { representative { id } sellerCount sellers { id } strikes leads takedowns } }',
  overdueReferrals:
    'overdueReferrals { agency { id } waiting overdue acknowledgementOverdue actionOverdue longestOverdueDays }',
  sellerNetwork: null,
};
const SELLER_NETWORK = `query($sellerId: ID!) { sellerNetwork(sellerId: $sellerId, maxDepth: 2) { truncated members { seller { id displayName } depth }
  links { from { id } to { id } kind valueHash } totals { sellers leads takedowns referrals } } }`;
const fields = args.fields ? args.fields.split(',') : Object.keys(FIELDS);
const ROLES = ['admin', 'brand', 'agency'];

/** The three callers and, for each, a seller it may see with the most sellers sharing an identifier with it. */
async function callers(client) {
  const one = async (sql, params) => (await client.query(sql, params)).rows[0];
  const brand = await one(
    `SELECT b.id, b.slug, count(*)::int AS leads FROM lead_brand lb JOIN brand b ON b.id = lb.brand_id GROUP BY b.id ORDER BY count(*) DESC, b.id LIMIT 1`,
  );
  const agency =
    await one(`SELECT a.id, a.code, count(*)::int AS referrals FROM referral r JOIN agency a ON a.id = r.agency_id WHERE r.status <> 'DRAFT'
                            GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1`);
  const linked = (
    candidates,
  ) => `SELECT c.seller_id::text AS id, count(DISTINCT o.seller_id)::int AS linked FROM (${candidates}) c
    JOIN seller_identifier m ON m.seller_id = c.seller_id
    JOIN seller_identifier o ON o.kind = m.kind AND o.value_hash = m.value_hash AND o.seller_id <> m.seller_id
    GROUP BY c.seller_id ORDER BY 2 DESC, 1 LIMIT 1`;
  const brandSeller = await one(
    linked(
      'SELECT ls.seller_id FROM lead_seller ls JOIN lead_brand lb ON lb.lead_id = ls.lead_id WHERE lb.brand_id = $1',
    ),
    [brand.id],
  );
  const agencySeller = await one(
    linked(`SELECT ls.seller_id FROM lead_seller ls JOIN lead l ON l.id = ls.lead_id
    JOIN referral r ON r.investigation_id = l.investigation_id WHERE r.agency_id = $1 AND r.status <> 'DRAFT'`),
    [agency.id],
  );
  return { brand, agency, sellers: { admin: brandSeller, brand: brandSeller, agency: agencySeller } };
}

async function prepare(admin, build, who) {
  await admin.query(`DROP DATABASE IF EXISTS ${build.db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${build.db} TEMPLATE ${args.template}`);
  log(`${build.label}: ${build.db} from ${args.template}; migrate (${build.dir})`);
  const migrated = cli(build, 'migrate');
  if (!/applied 0 migrations/.test(migrated)) {
    const client = new pg.Client({ connectionString: url(build.db) });
    await client.connect();
    await client.query('ANALYZE');
    await client.end();
  }
  const token = (...argv) =>
    cli(build, 'apikey', 'create', ...argv)
      .split('\n')
      .find((line) => line.startsWith('eca_'));
  build.tokens = {
    admin: token('--role', 'ADMIN', '--name', 'bench-analytics-admin'),
    brand: token('--role', 'BRAND_PARTNER', '--name', 'bench-analytics-brand', '--brand', who.brand.slug),
    agency: token('--role', 'AGENCY_LIAISON', '--name', 'bench-analytics-agency', '--agency', who.agency.code),
  };
}

function start(build, port) {
  const serverUrl = fs.existsSync(path.join(build.dir, 'src/database/logins.ts'))
    ? url(build.db, 'eca_api')
    : url(build.db);
  const env = { ...envOf(build.db), DATABASE_URL: serverUrl, PORT: String(port), DATABASE_POOL_SIZE: '10' };
  build.child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: build.dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  build.url = `http://127.0.0.1:${port}`;
}

async function ready(build) {
  for (let i = 0; i < 120; i += 1) {
    try {
      if ((await fetch(`${build.url}/readyz`)).ok) return;
    } catch {
      /* not yet */
    }
    await sleep(500);
  }
  throw new Error(`${build.url} did not become ready`);
}

/** Answers without their "as of" instants, hashed: the same figures whatever moment they were read. */
const withoutAsOf = (value) =>
  Array.isArray(value)
    ? value.map(withoutAsOf)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([key]) => !/asOf$/i.test(key))
            .map(([key, v]) => [key, withoutAsOf(v)]),
        )
      : value;
const hash = (value) =>
  createHash('sha256')
    .update(JSON.stringify(withoutAsOf(value)))
    .digest('hex')
    .slice(0, 12);

async function ask(build, role, field, who) {
  const gid = (type, id) => Buffer.from(`${type}:${id}`).toString('base64url');
  const body =
    field === 'sellerNetwork'
      ? { query: SELLER_NETWORK, variables: { sellerId: gid('Seller', who.sellers[role].id) } }
      : { query: `{ analytics { ${FIELDS[field]} } }` };
  const started = performance.now();
  try {
    const response = await fetch(`${build.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${build.tokens[role]}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = await response.json();
    const ms = performance.now() - started;
    if (answer.errors) return { ms, error: answer.errors[0]?.extensions?.code ?? answer.errors[0]?.message };
    return { ms, hash: hash(answer.data) };
  } catch (error) {
    return {
      ms: performance.now() - started,
      error: error.name === 'TimeoutError' ? 'TIMEOUT' : String(error.message),
    };
  }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---------------------------------------------------------------------------------------------------

const admin = new pg.Client({ connectionString: url('postgres') });
await admin.connect();
const source = new pg.Client({ connectionString: url(args.template) });
await source.connect();
const who = await callers(source);
await source.end();
log(
  `callers: admin; brand ${who.brand.slug} (${who.brand.leads} leads); agency ${who.agency.code} (${who.agency.referrals} referrals);`,
  `sellerNetwork of seller ${who.sellers.brand.id} (admin, brand: ${who.sellers.brand.linked} linked) and ${who.sellers.agency.id} (agency: ${who.sellers.agency.linked} linked)`,
);

const results = {}; // field -> role -> label -> { times, errors, hashes }
try {
  for (const build of builds) await prepare(admin, build, who);
  builds.forEach((build, i) => start(build, Number(args.port) + i));
  for (const build of builds) await ready(build);
  for (const field of fields) {
    results[field] = {};
    for (const role of ROLES) {
      results[field][role] = {};
      for (const build of builds) {
        // Untimed warm-up (the first read may compute a rollup that is missing; plans and caches warm).
        const warm = await ask(build, role, field, who);
        results[field][role][build.label] = { times: [], errors: [], hashes: new Set(), warmup: warm };
      }
      for (let i = 0; i < N; i += 1) {
        const order = i % 2 ? [...builds].reverse() : builds;
        for (const build of order) {
          const cell = results[field][role][build.label];
          // A figure that failed twice (e.g. the statement timeout) is not asked again: it never answers.
          if (cell.errors.length >= 2) continue;
          const r = await ask(build, role, field, who);
          if (r.error) cell.errors.push(r.error);
          else {
            cell.times.push(r.ms);
            cell.hashes.add(r.hash);
          }
        }
      }
      log(
        `${field.padEnd(24)} ${role.padEnd(7)} ${builds
          .map((b) => {
            const c = results[field][role][b.label];
            return `${b.label}: ${c.times.length ? `${median(c.times).toFixed(0)} ms` : `no answer (${c.errors[0]})`}`;
          })
          .join('  ')}`,
      );
    }
  }
} finally {
  for (const build of builds) build.child?.kill('SIGTERM');
  await sleep(1000);
  if (!args.keep) for (const build of builds) await admin.query(`DROP DATABASE IF EXISTS ${build.db} WITH (FORCE)`);
  await admin.end();
}

// ---------------------------------------------------------------------------------------------------
// The table.

const last = builds[builds.length - 1].label;
const cellText = (c) =>
  c.times.length ? `${median(c.times).toFixed(0)} / ${Math.max(...c.times).toFixed(0)}` : `no answer (${c.errors[0]})`;
const under = (c) => c.times.length > 0 && c.errors.length === 0 && median(c.times) < LIMIT_MS;
const header = [
  'figure',
  'caller',
  ...builds.map((b) => `${b.label}: p50 / max ms`),
  `${last} < ${LIMIT_MS} ms`,
  ...(builds.length > 1 ? ['same answer'] : []),
];
const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`];
let total = 0;
const counts = Object.fromEntries(builds.map((b) => [b.label, 0]));
for (const field of fields) {
  for (const role of ROLES) {
    const cells = builds.map((b) => results[field][role][b.label]);
    total += 1;
    builds.forEach((b, i) => {
      if (under(cells[i])) counts[b.label] += 1;
    });
    const hashes = cells.map((c) => [...c.hashes].join('+'));
    const same =
      builds.length > 1
        ? [hashes.every((h) => h && h === hashes[0]) ? 'yes' : hashes.some((h) => !h) ? 'n/a' : 'differs']
        : [];
    lines.push(
      `| ${field} | ${role} | ${cells.map(cellText).join(' | ')} | ${under(cells[cells.length - 1]) ? 'yes' : '**no**'} | ${same.join('')}`.trimEnd() +
        (same.length ? ' |' : ''),
    );
  }
}
const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const summary = `${builds.map((b) => `${b.label}: ${counts[b.label]} of ${total}`).join(', ')} under ${LIMIT_MS} ms p50`;
const section = [
  `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, scale ${args.scale} (\`${args.template}\`), \`node bench/analytics.mjs --builds ${args.builds} --n ${N}\`:`,
  `${N} requests per figure, caller and build, one at a time, builds interleaved (after one untimed warm-up each); load average at the end ${load}.`,
  `Callers: an administrator, the brand with most leads (${who.brand.slug}, ${who.brand.leads}), the agency with most referrals (${who.agency.code}, ${who.agency.referrals});`,
  `each \`analytics\` field asked alone without a filter; \`sellerNetwork(maxDepth: 2)\` of the seller it may see with most sellers sharing an identifier.`,
  `"same answer": the JSON of the answers (without their \`asOf\` instants) hashed, equal across builds. ${summary}.`,
  '',
  ...lines,
].join('\n');
log(`\n${section}\n`);
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(
  path.join(ROOT, `bench/results/analytics-s${args.scale}.json`),
  JSON.stringify(
    { builds: builds.map(({ label, dir }) => ({ label, dir })), who, results },
    (key, value) => (value instanceof Set ? [...value] : value),
    2,
  ),
);
if (args.write) {
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const doc = fs.readFileSync(file, 'utf8');
  const begin = '<!-- analytics:begin -->';
  const end = '<!-- analytics:end -->';
  const block = `${begin}\n${section}\n${end}`;
  const next = doc.includes(begin)
    ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block)
    : doc.replace('<!-- bench:begin -->', `${block}\n\n<!-- bench:begin -->`);
  fs.writeFileSync(file, next);
  log(`written to docs/benchmarks.md (${begin})`);
}
