import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Where evidence files are kept, how large they may be, and the key they are encrypted with at rest. Read from
 * the environment by loadConfig (src/config.ts), validated the same way: each problem names its variable, values
 * of secrets are never repeated.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | EVIDENCE_MAX_BYTES | 2147483648 (2 GiB) | an upload larger than this is refused (413) and nothing is stored |
 * | EVIDENCE_ENCRYPTION_KEY | a demo key outside production | AES-256-GCM key of the stored files: 32 bytes, hex or base64; required in production |
 * | EVIDENCE_STORAGE_DIR | `<DATA_DIR>/evidence` | the local folder of the files, when no bucket is set |
 * | EVIDENCE_S3_BUCKET | unset | an S3-compatible bucket for the files instead of the local folder |
 * | EVIDENCE_S3_PREFIX | `evidence/` | prefix of the files' keys in the bucket |
 * | EVIDENCE_S3_REGION | `us-east-1` | the bucket's region |
 * | EVIDENCE_S3_ENDPOINT | unset: AWS | URL of an S3-compatible server (MinIO, Ceph, ...) |
 * | EVIDENCE_S3_FORCE_PATH_STYLE | `false`, `true` with an endpoint | path-style URLs (`endpoint/bucket/key`), as most S3-compatible servers want |
 * | EVIDENCE_S3_ACCESS_KEY_ID, EVIDENCE_S3_SECRET_ACCESS_KEY | unset: the AWS SDK's default chain | the bucket's credentials (both or neither) |
 */
export interface EvidenceStorageConfig {
  maxBytes: number;
  encryptionKey: Buffer;
  localDir: string;
  s3?: EvidenceS3Config;
}

export interface EvidenceS3Config {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Not a secret: the key outside production, derived from a fixed text (refused in production). */
export const DEMO_EVIDENCE_ENCRYPTION_KEY = createHash('sha256')
  .update('eca demo evidence encryption key: do not use in production')
  .digest('hex');

const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
const MAX_MAX_BYTES = 1024 ** 4;

export function evidenceStorageConfig(
  get: (name: string) => string | undefined,
  production: boolean,
  dataDir: string,
  problems: string[],
): EvidenceStorageConfig {
  const rawMax = get('EVIDENCE_MAX_BYTES') ?? String(DEFAULT_MAX_BYTES);
  const maxBytes = Number(rawMax);
  if (!/^\d+$/.test(rawMax) || maxBytes < 1 || maxBytes > MAX_MAX_BYTES)
    problems.push(`EVIDENCE_MAX_BYTES must be a whole number from 1 to ${MAX_MAX_BYTES}, got "${rawMax}"`);

  const demoKey = Buffer.from(DEMO_EVIDENCE_ENCRYPTION_KEY, 'hex');
  const rawKey = get('EVIDENCE_ENCRYPTION_KEY') ?? (production ? undefined : DEMO_EVIDENCE_ENCRYPTION_KEY);
  let encryptionKey: Buffer = demoKey;
  if (rawKey === undefined) {
    problems.push(
      'EVIDENCE_ENCRYPTION_KEY is required in production (32 random bytes, hex or base64, e.g. `openssl rand -hex 32`), kept outside the database',
    );
  } else {
    const key = decodeKey32(rawKey);
    if (!key)
      problems.push(
        `EVIDENCE_ENCRYPTION_KEY must be 32 bytes written as hex (64 characters) or base64 (44 characters), got ${rawKey.length} characters`,
      );
    else if (production && key.equals(demoKey))
      problems.push('EVIDENCE_ENCRYPTION_KEY must be a secret of your own in production (the demo key is refused)');
    else if (new Set(key).size < 8)
      problems.push(
        'EVIDENCE_ENCRYPTION_KEY is not random (fewer than 8 distinct bytes): generate one with `openssl rand -hex 32`',
      );
    else encryptionKey = key;
  }

  const bucket = get('EVIDENCE_S3_BUCKET');
  const endpoint = get('EVIDENCE_S3_ENDPOINT');
  const accessKeyId = get('EVIDENCE_S3_ACCESS_KEY_ID');
  const secretAccessKey = get('EVIDENCE_S3_SECRET_ACCESS_KEY');
  let s3: EvidenceS3Config | undefined;
  if (bucket) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      problems.push('EVIDENCE_S3_BUCKET must be a bucket name: 3-63 lowercase letters, digits, "." or "-"');
    if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint))
      problems.push('EVIDENCE_S3_ENDPOINT must be a URL such as https://minio.internal:9000');
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
      problems.push('EVIDENCE_S3_ACCESS_KEY_ID and EVIDENCE_S3_SECRET_ACCESS_KEY are set together, or neither');
    const rawPathStyle = get('EVIDENCE_S3_FORCE_PATH_STYLE') ?? (endpoint ? 'true' : 'false');
    if (rawPathStyle !== 'true' && rawPathStyle !== 'false')
      problems.push(`EVIDENCE_S3_FORCE_PATH_STYLE must be true or false, got "${rawPathStyle}"`);
    s3 = {
      bucket,
      prefix: get('EVIDENCE_S3_PREFIX') ?? 'evidence/',
      region: get('EVIDENCE_S3_REGION') ?? 'us-east-1',
      endpoint,
      forcePathStyle: rawPathStyle === 'true',
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    };
  } else if (endpoint || accessKeyId || secretAccessKey) {
    problems.push('EVIDENCE_S3_ENDPOINT and the EVIDENCE_S3_* credentials need EVIDENCE_S3_BUCKET');
  }

  return {
    maxBytes,
    encryptionKey,
    localDir: path.resolve(get('EVIDENCE_STORAGE_DIR') ?? path.join(dataDir, 'evidence')),
    s3,
  };
}

function decodeKey32(raw: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(raw) || /^[A-Za-z0-9_-]{43}$/.test(raw)) {
    const key = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}
