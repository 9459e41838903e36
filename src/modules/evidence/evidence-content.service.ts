import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, pipeline as chain, Readable, Transform, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EntityManager } from 'typeorm';
import { auditChange } from '../../shared/audit/audit.service.js';
import { apiKeyValidIn } from '../../shared/auth/api-key-check.js';
import { applyScope } from '../../shared/auth/scope.js';
import { REVOKED_OR_UNKNOWN } from '../../shared/errors.js';
import { CASE_WRITERS } from '../../shared/auth/role.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { scopedQuery, updateVersioned } from '../../shared/data-access/scoped-query.js';
import type { BlobStorage } from '../../shared/storage/blob-storage.js';
import { decryptingStream, encryptingStream, IntegrityError } from '../../shared/storage/encrypted-file.js';
import { Evidence } from './evidence.entity.js';
import { SNIFF_BYTES, sniffMediaType } from './evidence-content.sniff.js';

/** A refusal of the evidence file endpoints, answered with this HTTP status and code (evidence-content.http.ts). */
export class EvidenceContentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The one answer for an id that does not exist and one out of the caller's scope. */
export const NO_SUCH_EVIDENCE = 'No evidence has this id.';
const notFound = () => new EvidenceContentError(404, 'NOT_FOUND', NO_SUCH_EVIDENCE);

export interface StoredContent {
  evidence: Evidence;
  /** False when the same content was already stored (an idempotent repeat). */
  created: boolean;
}

/**
 * Stores the file of an evidence item from `body`, streamed: never more than a few chunks in memory. Its SHA-256
 * is computed on the way and must be the one the evidence declares; its media type is read from its first bytes;
 * it is encrypted on the way into a temporary object, moved to its content address (the SHA-256) only once
 * everything checked out, and recorded on the evidence with an audit event in one transaction. A refusal leaves
 * neither object nor column behind. No database transaction is held while the body streams.
 */
export async function storeEvidenceContent(
  ctx: RequestContext,
  storage: BlobStorage,
  evidenceRowId: string,
  body: Readable,
  declaredLength: number | undefined,
): Promise<StoredContent> {
  if (!CASE_WRITERS.includes(ctx.principal.role))
    throw new EvidenceContentError(
      403,
      'FORBIDDEN',
      'Your role may not upload evidence files (investigators and administrators may).',
    );
  const { maxBytes, encryptionKey } = ctx.config.evidenceStorage;
  if (declaredLength !== undefined && declaredLength > maxBytes) throw tooLarge(maxBytes);
  const evidence = await readVisibleEvidence(ctx, evidenceRowId);
  if (!evidence) throw notFound();

  const inspector = new ContentInspector(maxBytes);
  if (evidence.contentStoredAt) {
    // Already stored: read the body only to tell a repeat of the same content from different content.
    await pipeline(body, inspector, new Writable({ write: (_chunk, _encoding, done) => done() }));
    if (inspector.sha256() !== evidence.sha256) throw alreadyStored(evidence, inspector.sha256());
    return { evidence, created: false };
  }

  const temporary = `upload-${randomUUID()}`;
  let moved = false;
  try {
    const stored = new PassThrough();
    const [piped, put] = await Promise.allSettled([
      pipeline(body, inspector, encryptingStream(encryptionKey, evidence.sha256), stored),
      storage.put(temporary, stored),
    ]);
    if (piped.status === 'rejected') throw piped.reason;
    if (put.status === 'rejected') throw put.reason;
    const sha256 = inspector.sha256();
    if (sha256 !== evidence.sha256)
      throw new EvidenceContentError(
        422,
        'SHA256_MISMATCH',
        `The content's SHA-256 is ${sha256}, the evidence declares ${evidence.sha256}: nothing was stored.`,
      );
    return await inTransaction(ctx, async (tx) => {
      const locked = await inScope(tx, (db) =>
        scopedQuery({ ...tx, db }, Evidence)
          .andWhere('t.id = :id', { id: evidenceRowId })
          .setLock('pessimistic_write', undefined, ['t'])
          .getOne(),
      );
      if (!locked) throw notFound();
      // Stored by a concurrent upload of the same content since it was read.
      if (locked.contentStoredAt) return { evidence: locked, created: false };
      // Content-addressed: the same file of another evidence item is already there, encrypted for this address.
      if (await storage.has(sha256)) await storage.delete(temporary);
      else await storage.move(temporary, sha256);
      moved = true;
      const before = { version: locked.version };
      await updateVersioned(tx, Evidence, locked, {
        contentSize: String(inspector.bytes),
        contentMediaType: inspector.mediaType!,
        contentStoredAt: new Date(),
      });
      await auditChange(tx, 'evidence.contentStored', locked, before, {
        version: locked.version,
        sha256,
        sizeBytes: inspector.bytes,
        mediaType: locked.contentMediaType,
        storedAt: locked.contentStoredAt,
      });
      return { evidence: locked, created: true };
    });
  } finally {
    if (!moved) await storage.delete(temporary).catch(() => undefined);
  }
}

export interface OpenedContent {
  evidence: Evidence;
  content: Readable;
}

/**
 * The decrypted file of an evidence item the caller may see, for a download with its reason. The stored file is
 * read through once and checked first (its AES-GCM tag, then its SHA-256 and size against the evidence), so that
 * no byte of an altered file is sent; then the download is recorded in the audit log, in its own transaction,
 * committed before the first byte leaves; then the file is streamed (checked again on the way).
 */
export async function openEvidenceContent(
  ctx: RequestContext,
  storage: BlobStorage,
  evidenceRowId: string,
  reason: string,
): Promise<OpenedContent> {
  const evidence = await readVisibleEvidence(ctx, evidenceRowId);
  if (!evidence) throw notFound();
  if (!evidence.contentStoredAt)
    throw new EvidenceContentError(404, 'NO_CONTENT', 'No file has been uploaded for this evidence yet.');
  const key = ctx.config.evidenceStorage.encryptionKey;
  const check = new ContentInspector(Number.MAX_SAFE_INTEGER, false);
  try {
    await pipeline(await storedFile(storage, evidence), decryptingStream(key, evidence.sha256), check, discard());
  } catch (error) {
    throw error instanceof IntegrityError ? integrityFailure(evidence, error.message) : error;
  }
  if (check.sha256() !== evidence.sha256 || String(check.bytes) !== evidence.contentSize)
    throw integrityFailure(evidence, `it decrypts to ${check.bytes} bytes of SHA-256 ${check.sha256()}`);
  await inTransaction(ctx, async (tx) => {
    await inScope(tx, async () => undefined);
    await auditChange(tx, 'evidence.contentDownloaded', evidence, null, {
      sha256: evidence.sha256,
      sizeBytes: Number(evidence.contentSize),
      mediaType: evidence.contentMediaType,
      reason,
    });
  });
  // Joined with pipeline, not pipe: a download cut short (or a failed read) closes the stored file at once too.
  const content = chain(await storedFile(storage, evidence), decryptingStream(key, evidence.sha256), () => undefined);
  return { evidence, content };
}

async function storedFile(storage: BlobStorage, evidence: Evidence): Promise<Readable> {
  const file = await storage.get(evidence.sha256);
  if (!file) throw integrityFailure(evidence, `no file is stored at its address in the ${storage.description}`);
  return file;
}

function integrityFailure(evidence: Evidence, detail: string): EvidenceContentError {
  return new EvidenceContentError(
    500,
    'EVIDENCE_INTEGRITY_FAILED',
    `The stored file of evidence ${evidence.globalId} fails its integrity check (${detail}): it is not served. Tell the operators.`,
  );
}

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** Reads the evidence through the caller's scope (row-level security and visibility.ts): out of scope is null. */
async function readVisibleEvidence(ctx: RequestContext, rowId: string): Promise<Evidence | null> {
  return ctx.dataSource.transaction((db) =>
    inScope({ ...ctx, db }, (scoped) =>
      scopedQuery({ ...ctx, db: scoped }, Evidence)
        .andWhere('t.id = :id', { id: rowId })
        .getOne(),
    ),
  );
}

/**
 * Runs `work` in the transaction of `ctx.db` as the caller: the caller's scope set for the row-level security
 * policies, and its API key checked again (a key revoked since it was authenticated is refused here).
 */
async function inScope<T>(ctx: RequestContext, work: (db: EntityManager) => Promise<T>): Promise<T> {
  await applyScope(ctx.db, ctx.scope, ctx.principal.rowId);
  if (ctx.apiKeyHash !== null && !(await apiKeyValidIn(ctx.db, ctx.apiKeyHash)))
    throw new EvidenceContentError(401, 'UNAUTHENTICATED', REVOKED_OR_UNKNOWN);
  return work(ctx.db);
}

function tooLarge(maxBytes: number): EvidenceContentError {
  return new EvidenceContentError(
    413,
    'CONTENT_TOO_LARGE',
    `The file is larger than ${maxBytes} bytes (EVIDENCE_MAX_BYTES): nothing was stored.`,
  );
}

function alreadyStored(evidence: Evidence, sha256: string): EvidenceContentError {
  return new EvidenceContentError(
    409,
    'CONTENT_ALREADY_STORED',
    `This evidence already has its file (SHA-256 ${evidence.sha256}); the upload's SHA-256 is ${sha256}: nothing was changed.`,
  );
}

/**
 * Passes the bytes through while counting them (refusing past `maxBytes`), hashing them (SHA-256) and, with
 * `sniff`, reading the media type from the first SNIFF_BYTES (refusing formats evidence does not come in). It
 * holds back only those first bytes until the type is known.
 */
class ContentInspector extends Transform {
  bytes = 0;
  mediaType: string | undefined;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headBytes = 0;
  private digest: string | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly sniff = true,
  ) {
    super();
  }

  sha256(): string {
    return (this.digest ??= this.hash.digest('hex'));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(tooLarge(this.maxBytes));
    this.hash.update(chunk);
    if (!this.sniff || this.mediaType) return done(null, chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) return done();
    done(this.decide(false));
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes === 0)
      return done(new EvidenceContentError(400, 'EMPTY_CONTENT', 'The request body is empty: send the file.'));
    done(this.sniff && !this.mediaType ? this.decide(true) : null);
  }

  private decide(complete: boolean): EvidenceContentError | null {
    const head = Buffer.concat(this.head);
    this.head = [];
    const sniffed = sniffMediaType(head.subarray(0, SNIFF_BYTES), complete);
    if (!sniffed.accepted)
      return new EvidenceContentError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `The content is ${sniffed.detected}: evidence files are PDF, JPEG, PNG, GIF, WEBP, TIFF, HEIC, MP4, QuickTime, ZIP (and formats built on it) or UTF-8 text.`,
      );
    this.mediaType = sniffed.mediaType;
    this.push(head);
    return null;
  }
}
