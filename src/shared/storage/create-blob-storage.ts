import { BlobStorage, LocalBlobStorage } from './blob-storage.js';
import type { EvidenceStorageConfig } from './evidence-storage-config.js';
import type { S3BlobStorage } from './s3-blob-storage.js';

/** The S3 bucket when EVIDENCE_S3_BUCKET is set, the local folder otherwise. */
export function createBlobStorage(config: EvidenceStorageConfig): BlobStorage {
  if (!config.s3) return new LocalBlobStorage(config.localDir);
  // Loaded only for a bucket: the AWS SDK takes a third of a second to load, and warns on Node 20 as it loads.
  const { S3BlobStorage: S3 } = require('./s3-blob-storage.js') as { S3BlobStorage: typeof S3BlobStorage };
  return new S3(config.s3);
}
