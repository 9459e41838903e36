#!/usr/bin/env node
// Listings imported per second: `eca import listings FILE` (the built command line, its own process) of N
// generated listings, in CSV and in JSON lines, each into a fresh migrated database with one brand and one
// seller (the listings all name them). Prints the rows per second of each run and the run's whole time
// (start, hashing the file, migrations check, import, summary). The figures go by hand into
// docs/benchmarks.md, "Imports".
//
//   npm run build && node bench/import.mjs --rows 100000 --runs 3
//
// --rows N          listings per file (default 100000)
// --runs N          imports per format (default 3), each into a database of its own
// --formats L       csv,jsonl (default both)
// --chunk-size N    rows per transaction (default: the command's, 1000)
// --admin-url URL   a PostgreSQL login that may create databases (default postgres://postgres@127.0.0.1:5432/postgres)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    formats: { type: 'string', default: 'csv,jsonl' },
    'chunk-size': { type: 'string' },
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const rows = Number(args.rows);
if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-bench-import-'));
const columns = ['seller_platform', 'seller_external_id', 'brand', 'title', 'url', 'price_amount', 'price_currency'];
const row = (n) => ['BENCH', 'shop-1', 'bench-brand', `Bench listing ${n}, red`, `https://shop.example/${n}`, n, 'CNY'];

function writeFile(format) {
  const file = path.join(dir, `listings.${format}`);
  const fd = fs.openSync(file, 'w');
  if (format === 'csv') fs.writeSync(fd, `${columns.join(',')}\n`);
  for (let start = 0; start < rows; start += 10_000) {
    const lines = [];
    for (let n = start; n < Math.min(rows, start + 10_000); n += 1) {
      const values = row(n);
      lines.push(
        format === 'csv'
          ? values.map((v) => (/[",]/.test(String(v)) ? `"${v}"` : v)).join(',')
          : JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, values[i]]))),
      );
    }
    fs.writeSync(fd, `${lines.join('\n')}\n`);
  }
  fs.closeSync(fd);
  return file;
}

async function freshDatabase(name) {
  const admin = new pg.Client({ connectionString: args['admin-url'] });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(args['admin-url']);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name) {
  const admin = new pg.Client({ connectionString: args['admin-url'] });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

function eca(url, ...command) {
  const env = { PATH: process.env.PATH, DATABASE_URL: url, MIGRATION_DATABASE_URL: url, NODE_ENV: 'test' };
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [CLI, ...command], { cwd: dir, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`eca ${command.join(' ')} failed:\n${result.stderr}`);
  return { stderr: result.stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const results = [];
try {
  for (const format of args.formats.split(',')) {
    const file = writeFile(format);
    for (let run = 1; run <= Number(args.runs); run += 1) {
      const name = `eca_bench_import_${process.pid}`;
      const url = await freshDatabase(name);
      try {
        eca(url, 'migrate');
        const db = new pg.Client({ connectionString: url });
        await db.connect();
        await db.query(`INSERT INTO brand (name, slug, status) VALUES ('Bench', 'bench-brand', 'ACTIVE')`);
        await db.query(
          `INSERT INTO seller (platform, external_id, display_name, region, status) VALUES ('BENCH', 'shop-1', 'Bench shop', 'CN-ZJ', 'ACTIVE')`,
        );
        await db.end();
        const chunk = args['chunk-size'] ? ['--chunk-size', args['chunk-size']] : [];
        const { stderr, seconds } = eca(url, 'import', 'listings', file, ...chunk);
        const summary = /imported (\d+) listings, rejected (\d+).* in ([0-9.]+) s \((\d+) rows\/s\)/.exec(stderr);
        if (!summary || Number(summary[1]) !== rows) throw new Error(`unexpected summary:\n${stderr}`);
        results.push({
          format,
          run,
          rowsPerSecond: Number(summary[4]),
          importSeconds: Number(summary[3]),
          wholeSeconds: seconds,
        });
        console.log(
          `${format} run ${run}: ${summary[4]} listings/s (import ${summary[3]} s, command ${seconds.toFixed(1)} s)`,
        );
      } finally {
        await dropDatabase(name);
      }
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const format of args.formats.split(',')) {
  const mine = results.filter((r) => r.format === format);
  console.log(
    `${format}: median ${median(mine.map((r) => r.rowsPerSecond))} listings/s over ${mine.length} runs of ${rows} rows (${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)})`,
  );
}
