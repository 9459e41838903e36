import type { Readable } from 'node:stream';
import type { RequestContext } from '../../shared/context.js';
import { BlobStorage } from '../../shared/storage/blob-storage.js';
import { createBlobStorage } from '../../shared/storage/create-blob-storage.js';
import { decryptingStream } from '../../shared/storage/encrypted-file.js';
import type { EvidenceStorageConfig } from '../../shared/storage/evidence-storage-config.js';

/** The stored content of one evidence item: its bytes, opened only when the package is written. */
export interface EvidenceContent {
  size: number;
  mediaType: string;
  open(): Promise<Readable>;
}

/** An evidence item's uploaded file as the evidence row records it (content address, size, media type). */
export interface StoredFile {
  sha256: string;
  size: number;
  mediaType: string;
}

/**
 * Where a package finds the bytes of an evidence item's uploaded file, or null when the storage does not have
 * them: the manifest then says `file: null` and the verifier reports the item as not held.
 */
export type EvidenceContentSource = (ctx: RequestContext, file: StoredFile) => Promise<EvidenceContent | null>;

const storages = new WeakMap<EvidenceStorageConfig, BlobStorage>();

/**
 * The evidence storage (README, "Evidence files"): the file at its content address, decrypted as it is read.
 * AES-GCM checks each file's tag at its end, so an altered file fails the package as it is written (and the
 * verifier, which hashes every file, would find it).
 */
export const contentOf: EvidenceContentSource = async (ctx, file) => {
  const config = ctx.config.evidenceStorage;
  let storage = storages.get(config);
  if (!storage) storages.set(config, (storage = createBlobStorage(config)));
  if (!(await storage.has(file.sha256))) return null;
  const from = storage;
  return {
    size: file.size,
    mediaType: file.mediaType,
    open: async () => {
      const stored = await from.get(file.sha256);
      if (!stored) throw new Error(`evidence file ${file.sha256} is no longer in the ${from.description}`);
      return stored.pipe(decryptingStream(config.encryptionKey, file.sha256));
    },
  };
};
