#!/usr/bin/env node
// Re-renders the generated part of docs/benchmarks.md from a saved report (bench/results/report-s<F>.json),
// e.g. after changing bench/lib/markdown.mjs:  node bench/render.mjs bench/results/report-s1.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from './lib/markdown.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(BENCH, 'results/report-s1.json');
const out = process.argv[3] ?? path.join(BENCH, '../docs/benchmarks.md');
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const options = report.options ?? {
  systems: ['ours', 'postgraphile', 'bare'],
  duration: 8,
  poolSize: 10,
  connectionLevels: [10, 32, 50],
};
writeReport(report, out, options);
console.log(`wrote ${out}`);
