// The evidence files in an S3-compatible bucket: the same uploads, refusals and downloads as on the local disk,
// against a real S3 server. TEST_S3_ENDPOINT (with TEST_S3_BUCKET, TEST_S3_ACCESS_KEY_ID, TEST_S3_SECRET_ACCESS_KEY,
// TEST_S3_REGION) names one (MinIO, Ceph, AWS); without it the tests start s3rver (npm, an S3 server in this
// process). Skipped, with the reason printed, when neither is available.
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { startTestServer, TestServer } from '../support/server';
import {
  contentColumns,
  download,
  evidenceDeclaring,
  PDF,
  refusalOf,
  sha256Of,
  storageFolder,
  upload,
} from './evidence-support';

interface S3Target {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

let db: TestDatabase;
let server: TestServer | undefined;
let world: World;
let target: S3Target | undefined;
let client: S3Client;
let unavailable: string | null = null;
// One prefix per run: runs against a shared bucket never see each other's objects.
const prefix = `eca-test-${randomBytes(6).toString('hex')}/`;

async function s3Target(): Promise<S3Target> {
  const endpoint = process.env.TEST_S3_ENDPOINT;
  if (endpoint)
    return {
      endpoint,
      bucket: process.env.TEST_S3_BUCKET ?? 'eca-evidence-test',
      region: process.env.TEST_S3_REGION ?? 'us-east-1',
      accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID ?? 'minioadmin',
      secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY ?? 'minioadmin',
      stop: async () => undefined,
    };
  const S3rver = require('s3rver') as new (options: object) => {
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
  };
  const directory = storageFolder();
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await s3rver.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: 'eca-evidence-test',
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: async () => {
      await s3rver.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  try {
    target = await s3Target();
    client = new S3Client({
      endpoint: target.endpoint,
      region: target.region,
      forcePathStyle: true,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: target.bucket })).catch((error: Error) => {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(error.name)) throw error;
    });
  } catch (error) {
    unavailable = `${process.env.TEST_S3_ENDPOINT ?? 's3rver'}: ${(error as Error).message}`;
    console.log(
      `Skipping the S3 evidence storage tests: no S3-compatible server (${unavailable}). TEST_S3_ENDPOINT names a server; without it s3rver (a devDependency) is started.`,
    );
    return;
  }
  server = await startTestServer(db, {
    EVIDENCE_S3_BUCKET: target.bucket,
    EVIDENCE_S3_PREFIX: prefix,
    EVIDENCE_S3_ENDPOINT: target.endpoint,
    EVIDENCE_S3_REGION: target.region,
    EVIDENCE_S3_ACCESS_KEY_ID: target.accessKeyId,
    EVIDENCE_S3_SECRET_ACCESS_KEY: target.secretAccessKey,
  });
});
afterAll(async () => {
  await server?.close();
  await target?.stop();
  await db.drop();
});

const objects = async () =>
  ((await client.send(new ListObjectsV2Command({ Bucket: target!.bucket, Prefix: prefix }))).Contents ?? []).map(
    (object) => object.Key!.slice(prefix.length),
  );

const objectBytes = async (key: string) =>
  Buffer.from(
    await (
      await client.send(new GetObjectCommand({ Bucket: target!.bucket, Key: `${prefix}${key}` }))
    ).Body!.transformToByteArray(),
  );

it('stores an upload encrypted under its SHA-256 in the bucket, and serves it back exactly', async () => {
  if (unavailable) return;
  const content = Buffer.concat([PDF, randomBytes(3 * 1024 * 1024)]);
  const sha = sha256Of(content);
  const evidence = await evidenceDeclaring(server!, world, sha);
  expect((await upload(server!, world.keys.investigator, evidence.id, content)).status).toBe(201);
  expect(await objects()).toEqual([sha]);
  const stored = await objectBytes(sha);
  expect(stored.subarray(0, 8).toString('latin1')).toBe('ECAEVID1');
  expect(stored.length).toBe(content.length + 36);
  expect(await contentColumns(db, evidence.rowId)).toMatchObject({
    size: String(content.length),
    mediaType: 'application/pdf',
  });

  const response = await download(server!, world.keys.investigator, evidence.id, 'S3 round trip');
  expect(response.status).toBe(200);
  expect(sha256Of(Buffer.from(await response.arrayBuffer()))).toBe(sha);
});

it('stores nothing in the bucket for content whose SHA-256 differs from the declared one', async () => {
  if (unavailable) return;
  const evidence = await evidenceDeclaring(server!, world, sha256Of('declared, never sent'));
  const before = await objects();
  const refusal = await refusalOf(await upload(server!, world.keys.investigator, evidence.id, PDF));
  expect(refusal).toMatchObject({ status: 422, code: 'SHA256_MISMATCH' });
  expect(await objects()).toEqual(before);
  expect(await contentColumns(db, evidence.rowId)).toMatchObject({ size: null, storedAt: null });
});

it('refuses to serve an object altered in the bucket', async () => {
  if (unavailable) return;
  const content = Buffer.from('Statement stored in the bucket.\n'.repeat(50));
  const sha = sha256Of(content);
  const evidence = await evidenceDeclaring(server!, world, sha);
  expect((await upload(server!, world.keys.investigator, evidence.id, content)).status).toBe(201);
  const altered = await objectBytes(sha);
  altered[altered.length - 1] ^= 0x01;
  await client.send(new PutObjectCommand({ Bucket: target!.bucket, Key: `${prefix}${sha}`, Body: altered }));
  const refusal = await refusalOf(await download(server!, world.keys.investigator, evidence.id, 'review'));
  expect(refusal).toMatchObject({ status: 500, code: 'EVIDENCE_INTEGRITY_FAILED' });
});
