// A package of a large file is streamed: written and verified at disk speed in a few megabytes of memory.
// Figures (MB/s, peak RSS) are printed; PACKAGE_BENCH_MB sets the file's size (default 200).
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import pino from 'pino';
import os from 'node:os';
import path from 'node:path';
import { contentOf } from '../../src/export/package/evidence-content';
import { prepareReferralPackage, writeReferralPackage } from '../../src/export/package/package-writer';
import { verifyPackage } from '../../src/export/package/verify-package';
import { publicKeysDocument } from '../../src/shared/audit/audit-signing';
import { systemContext } from '../../src/shared/context';
import { referralPackageRouter } from '../../src/http/referral-package.http';
import { Authenticator } from '../../src/modules/principal/principal.service';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { startTestServer, TestServer } from '../support/server';
import { buildPackagedCase, PackagedCase, rowIdOf } from './referral-package-support';

const MB = 1024 * 1024;
const SIZE_MB = Number(process.env.PACKAGE_BENCH_MB ?? 200);
let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;
let packaged: PackagedCase;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-package-large-'));
  server = await startTestServer(db, { EVIDENCE_STORAGE_DIR: path.join(dir, 'storage') });
  packaged = await buildPackagedCase(server, world, dir, [SIZE_MB * MB, 1000]);
}, 300_000);
afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `work`, sampling the process's resident memory: its peak above what it was before. */
async function measured<T>(
  work: () => Promise<T> | T,
): Promise<{ result: T; seconds: number; peakRssGrowthMb: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, seconds, peakRssGrowthMb: (peak - base) / MB };
  } finally {
    clearInterval(timer);
  }
}

it(`packages and verifies a ${SIZE_MB} MB file without holding it in memory`, async () => {
  const file = path.join(dir, 'large.tar');
  const write = await measured(async () => {
    const prepared = await prepareReferralPackage(db.dataSource, server.config, {
      referral: { rowId: rowIdOf(packaged.referralId) },
      ctx: systemContext(db.dataSource, server.config, 'test'),
      contentSource: contentOf,
    });
    const out = fs.createWriteStream(file);
    const bytes = await writeReferralPackage(prepared, out);
    await new Promise((resolve) => out.end(resolve));
    return bytes;
  });
  expect(fs.statSync(file).size).toBe(write.result);
  const keys = JSON.stringify(publicKeysDocument(server.config.audit));
  const check = await measured(() => verifyPackage(file, keys));
  expect(check.result.lines.filter((l) => l.status === 'FAIL')).toEqual([]);

  // Over HTTP, as the agency downloads it: the router with this content source, the client in the same process.
  const logger = pino({ level: 'silent' });
  const app = express();
  app.use((_req, res, next) => {
    res.locals.record = { requestId: 'bench', errorCodes: [] };
    next();
  });
  app.use(
    referralPackageRouter(
      server.dataSource,
      server.config,
      new Authenticator(server.dataSource, logger),
      logger,
      contentOf,
    ),
  );
  const listener = http.createServer(app);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const downloaded = path.join(dir, 'downloaded.tar');
  const download = await measured(async () => {
    // node:http as the client: fetch's web streams leave garbage that would count in this process's memory.
    const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(
          `http://127.0.0.1:${(listener.address() as AddressInfo).port}/referrals/${packaged.referralId}/package`,
          { headers: { authorization: `Bearer ${world.keys.agencyX}` } },
          resolve,
        )
        .on('error', reject),
    );
    expect(response.statusCode).toBe(200);
    await pipeline(response, fs.createWriteStream(downloaded));
    return fs.statSync(downloaded).size;
  });
  await new Promise((resolve) => listener.close(resolve));
  expect(verifyPackage(downloaded, keys).ok).toBe(true);

  const mb = write.result / MB;
  console.log(
    [
      `referral package of ${mb.toFixed(0)} MB (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'}):`,
      `  write (read file, SHA-256, tar, to disk): ${(mb / write.seconds).toFixed(0)} MB/s, peak RSS +${write.peakRssGrowthMb.toFixed(0)} MB`,
      `  verify (read, SHA-256 of every file):     ${(mb / check.seconds).toFixed(0)} MB/s, peak RSS +${check.peakRssGrowthMb.toFixed(0)} MB`,
      `  HTTP download (server and client here):   ${(download.result / MB / download.seconds).toFixed(0)} MB/s, peak RSS +${download.peakRssGrowthMb.toFixed(0)} MB`,
    ].join('\n'),
  );
  // Streamed: the process grows by a few buffers, never by the file's size.
  expect(write.peakRssGrowthMb).toBeLessThan(Math.min(64, SIZE_MB / 2));
  expect(check.peakRssGrowthMb).toBeLessThan(Math.min(64, SIZE_MB / 2));
  expect(download.peakRssGrowthMb).toBeLessThan(Math.min(64, SIZE_MB / 2));
}, 300_000);
