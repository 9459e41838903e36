// A 100 MB evidence file goes in and out streamed: the process's memory grows by a bounded amount, never by the
// file's size. Prints the throughput and the peak memory (the figures of the README's "Evidence files").
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { startTestServer, TestServer } from '../support/server';
import { contentColumns, evidenceDeclaring, storageFolder } from './evidence-support';

const MB = 1024 * 1024;
const SIZE_MB = 100;
/** Growth of the resident set allowed while 100 MB pass through: a correctness bound (streaming), not a timing. */
const MAX_GROWTH_MB = 100;

let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  dir = storageFolder();
  server = await startTestServer(db, { EVIDENCE_STORAGE_DIR: dir });
});
afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Chunk `index` of the file: a PDF header, then 1 MB chunks that differ from each other. */
function chunk(index: number): Buffer {
  const bytes = Buffer.alloc(MB, index % 251);
  bytes.writeUInt32BE(index, 64);
  if (index === 0) bytes.write('%PDF-1.7\n', 0, 'latin1');
  return bytes;
}

function fileSha256(): string {
  const hash = createHash('sha256');
  for (let i = 0; i < SIZE_MB; i += 1) hash.update(chunk(i));
  return hash.digest('hex');
}

/** A request with the investigator's key; the answer's body is hashed as it streams in, not kept (but a short one). */
function send(
  method: string,
  path: string,
  body?: Readable,
): Promise<{ status: number; bytes: number; sha256: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}${path}`,
      { method, headers: { authorization: `Bearer ${world.keys.investigator}` } },
      (response) => {
        const hash = createHash('sha256');
        let bytes = 0;
        let head = Buffer.alloc(0);
        response.on('data', (part: Buffer) => {
          hash.update(part);
          bytes += part.length;
          if (head.length < 10_000) head = Buffer.concat([head, part]);
        });
        response.on('end', () =>
          resolve({ status: response.statusCode!, bytes, sha256: hash.digest('hex'), body: head }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (body) body.pipe(request);
    else request.end();
  });
}

/** Samples the resident set size while `work` runs; returns its peak and the baseline before it. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ result: T; baselineMb: number; peakMb: number; seconds: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 10);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    sample();
    return {
      result,
      baselineMb: baseline / MB,
      peakMb: peak / MB,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    clearInterval(timer);
  }
}

it(`uploads and downloads ${SIZE_MB} MB with bounded memory`, async () => {
  const sha = fileSha256();
  const evidence = await evidenceDeclaring(server, world, sha);

  // node:http on both sides, as a command-line client would stream (fetch's web streams cost more than the server).
  const up = await measured(() =>
    send(
      'PUT',
      `/evidence/${evidence.id}/content`,
      Readable.from(
        (function* () {
          for (let i = 0; i < SIZE_MB; i += 1) yield chunk(i);
        })(),
      ),
    ),
  );
  expect(up.result.status).toBe(201);
  expect(JSON.parse(up.result.body.toString())).toMatchObject({ sha256: sha, sizeBytes: SIZE_MB * MB });
  expect(await contentColumns(db, evidence.rowId)).toMatchObject({
    size: String(SIZE_MB * MB),
    mediaType: 'application/pdf',
  });
  expect(fs.statSync(`${dir}/${sha}`).size).toBe(SIZE_MB * MB + 36);

  const down = await measured(() => send('GET', `/evidence/${evidence.id}/content?reason=throughput%20test`));
  expect(down.result).toMatchObject({ status: 200, bytes: SIZE_MB * MB, sha256: sha });

  const line = (label: string, m: { seconds: number; baselineMb: number; peakMb: number }) =>
    `${label}: ${(SIZE_MB / m.seconds).toFixed(0)} MB/s (${m.seconds.toFixed(2)} s), RSS ${m.baselineMb.toFixed(0)} MB before, peak ${m.peakMb.toFixed(0)} MB (+${(m.peakMb - m.baselineMb).toFixed(0)} MB)`;
  console.log(
    `Evidence file of ${SIZE_MB} MB, server and client in this process:\n  ${line('upload', up)}\n  ${line('download (checked, then streamed)', down)}`,
  );
  expect(up.peakMb - up.baselineMb).toBeLessThan(MAX_GROWTH_MB);
  expect(down.peakMb - down.baselineMb).toBeLessThan(MAX_GROWTH_MB);
});
