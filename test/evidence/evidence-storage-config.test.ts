// The evidence storage settings: defaults, the encryption key's checks (required and not the demo key in
// production, never weak), and the S3 settings that select a bucket.
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { DEMO_EVIDENCE_ENCRYPTION_KEY } from '../../src/shared/storage/evidence-storage-config';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://api:s3cret@db.internal:5432/enforcement',
  IDENTIFIER_HASH_KEY: 'a-production-secret-of-at-least-32-characters',
  CURSOR_KEY: 'c0'.repeat(32),
  AUDIT_SIGNING_KEY: 'a5'.repeat(32),
};
const KEY = '0123456789abcdef'.repeat(4);

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

it('keeps files under the data folder, up to 2 GiB, with the demo key outside production', () => {
  const { evidenceStorage } = loadConfig({ DATA_DIR: '/srv/eca' });
  expect(evidenceStorage).toEqual({
    maxBytes: 2 * 1024 ** 3,
    encryptionKey: Buffer.from(DEMO_EVIDENCE_ENCRYPTION_KEY, 'hex'),
    localDir: path.resolve('/srv/eca/evidence'),
    s3: undefined,
  });
  expect(loadConfig({ EVIDENCE_STORAGE_DIR: '/mnt/evidence' }).evidenceStorage.localDir).toBe('/mnt/evidence');
});

it('requires a key of its own in production, and refuses weak or malformed keys everywhere', () => {
  expect(problemsOf(PRODUCTION)).toContain('EVIDENCE_ENCRYPTION_KEY is required in production');
  expect(problemsOf({ ...PRODUCTION, EVIDENCE_ENCRYPTION_KEY: DEMO_EVIDENCE_ENCRYPTION_KEY })).toContain(
    'EVIDENCE_ENCRYPTION_KEY must be a secret of your own in production (the demo key is refused)',
  );
  expect(loadConfig({ ...PRODUCTION, EVIDENCE_ENCRYPTION_KEY: KEY }).evidenceStorage.encryptionKey).toEqual(
    Buffer.from(KEY, 'hex'),
  );
  const base64 = Buffer.from(KEY, 'hex').toString('base64');
  expect(loadConfig({ EVIDENCE_ENCRYPTION_KEY: base64 }).evidenceStorage.encryptionKey.toString('hex')).toBe(KEY);
  expect(problemsOf({ EVIDENCE_ENCRYPTION_KEY: '00'.repeat(32) })).toContain('EVIDENCE_ENCRYPTION_KEY is not random');
  const malformed = problemsOf({ EVIDENCE_ENCRYPTION_KEY: 'secret-value-1234' });
  expect(malformed).toContain('EVIDENCE_ENCRYPTION_KEY must be 32 bytes written as hex');
  expect(malformed).not.toContain('secret-value-1234');
  expect(problemsOf({ EVIDENCE_MAX_BYTES: '0' })).toContain('EVIDENCE_MAX_BYTES must be a whole number from 1');
});

it('selects an S3 bucket when EVIDENCE_S3_BUCKET is set, and checks its settings', () => {
  expect(
    loadConfig({
      EVIDENCE_S3_BUCKET: 'eca-evidence',
      EVIDENCE_S3_ENDPOINT: 'http://minio.internal:9000',
      EVIDENCE_S3_ACCESS_KEY_ID: 'id',
      EVIDENCE_S3_SECRET_ACCESS_KEY: 'secret',
    }).evidenceStorage.s3,
  ).toEqual({
    bucket: 'eca-evidence',
    prefix: 'evidence/',
    region: 'us-east-1',
    endpoint: 'http://minio.internal:9000',
    forcePathStyle: true,
    credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
  });
  expect(loadConfig({ EVIDENCE_S3_BUCKET: 'eca-evidence' }).evidenceStorage.s3).toMatchObject({
    forcePathStyle: false,
    credentials: undefined,
  });
  expect(problemsOf({ EVIDENCE_S3_BUCKET: 'Not A Bucket' })).toContain('EVIDENCE_S3_BUCKET must be a bucket name');
  expect(problemsOf({ EVIDENCE_S3_BUCKET: 'eca-evidence', EVIDENCE_S3_ACCESS_KEY_ID: 'id' })).toContain(
    'are set together, or neither',
  );
  expect(problemsOf({ EVIDENCE_S3_ENDPOINT: 'http://minio.internal:9000' })).toContain('need EVIDENCE_S3_BUCKET');
});
