import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { assertKey, type BlobStorage } from './blob-storage.js';
import type { EvidenceS3Config } from './evidence-storage-config.js';

/**
 * Objects of an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), under EVIDENCE_S3_PREFIX. A put streams a
 * multipart upload (parts of 8 MiB, two in flight: bounded memory whatever the file's size); a move is a
 * server-side copy then a delete (single-request copies reach 5 GB, above the largest EVIDENCE_MAX_BYTES
 * worth using).
 */
export class S3BlobStorage implements BlobStorage {
  readonly client: S3Client;

  constructor(private readonly config: EvidenceS3Config) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
    });
  }

  get description(): string {
    return `S3 bucket ${this.config.bucket}${this.config.endpoint ? ` at ${this.config.endpoint}` : ''}`;
  }

  private keyOf(key: string): string {
    assertKey(key);
    return `${this.config.prefix}${key}`;
  }

  async put(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: this.keyOf(key), Body: body },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    // A failing source stream must fail the upload (lib-storage reads it with its own iterator).
    await Promise.all([
      upload.done(),
      new Promise<void>((resolve, reject) => {
        body.once('error', (error) => {
          void upload.abort().catch(() => undefined);
          reject(error);
        });
        body.once('end', resolve);
      }),
    ]);
  }

  async get(key: string): Promise<Readable | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }));
      return answer.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const { bucket } = this.config;
    await this.client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: this.keyOf(to),
        CopySource: `${bucket}/${this.keyOf(from).split('/').map(encodeURIComponent).join('/')}`,
      }),
    );
    await this.delete(from);
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }));
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}
