import { createHash, sign } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { DataSource, QueryRunner } from 'typeorm';
import { Config } from '../../shared/config.js';
import { latestCheckpoint, makeCheckpoint, checkpointJson } from '../../shared/audit/audit-checkpoint.js';
import { AuditTree } from '../../shared/audit/audit-tree.js';
import { recordAudit } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { EvidenceContent, EvidenceContentSource } from './evidence-content.js';
import {
  enterAppRole,
  lookUpReferral,
  ManifestEvent,
  PACKAGE_FORMAT,
  PackageManifest,
  readAgencyView,
} from './package-manifest.js';

/** Neither the referral nor anything of it exists for the caller: answered exactly as a missing id. */
export class PackageNotFoundError extends Error {
  override name = 'PackageNotFoundError';
}

/** The referral exists but has no package yet (a draft: nothing has been disclosed to the agency). */
export class PackageNotReadyError extends Error {
  override name = 'PackageNotReadyError';
}

export interface PackageRequest {
  referral: { rowId: string } | { reference: string };
  /** The caller: its scope decides whether it may see the referral; its principal is recorded as the exporter. */
  ctx: RequestContext;
  contentSource: EvidenceContentSource;
}

export interface PreparedPackage {
  referralRowId: string;
  reference: string;
  manifest: PackageManifest;
  /** manifest.json exactly as signed and written. */
  manifestBytes: Buffer;
  signature: { algorithm: 'Ed25519'; keyId: string; signature: string };
  files: { path: string; sha256: string; content: EvidenceContent }[];
}

/**
 * Builds the manifest of a referral's package in one consistent snapshot, as the receiving agency sees it, with
 * the audit events about its evidence and their inclusion proofs against a signed checkpoint that covers them
 * (one is signed when the latest does not), and signs it. Files are opened only when written.
 */
export async function prepareReferralPackage(
  dataSource: DataSource,
  config: Config,
  request: PackageRequest,
): Promise<PreparedPackage> {
  for (let attempt = 1; ; attempt += 1) {
    const prepared = await readSnapshot(dataSource, config, request);
    if (prepared) return prepared;
    // Events about the items were appended after the latest checkpoint: sign one, read again.
    const outcome = await makeCheckpoint(dataSource, config.audit);
    if (attempt === 3)
      throw new Error(
        `no signed checkpoint covers the audit events of this referral's evidence${outcome.problem ? `: ${outcome.problem}` : ''}`,
      );
  }
}

async function readSnapshot(
  dataSource: DataSource,
  config: Config,
  { referral, ctx, contentSource }: PackageRequest,
): Promise<PreparedPackage | null> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction('REPEATABLE READ');
    await runner.query('SET TRANSACTION READ ONLY');
    await enterAppRole(runner);
    const found = await lookUpReferral(runner, ctx.scope, referral);
    if (!found.found) throw new PackageNotFoundError('no such referral');
    if (found.status === 'DRAFT')
      throw new PackageNotReadyError(`${found.reference} is a draft: nothing of it has been disclosed to its agency`);
    const view = await readAgencyView(runner, found.rowId, found.agencyId);
    if (!view) throw new PackageNotFoundError('no such referral');

    const files: PreparedPackage['files'] = [];
    for (const { item, stored } of view.evidenceRows) {
      const content = stored && (await contentSource(ctx, { sha256: item.sha256, ...stored }));
      if (!content) continue;
      item.file = { path: `files/${item.sha256}`, size: content.size, mediaType: content.mediaType };
      if (!files.some((f) => f.path === item.file!.path))
        files.push({ path: item.file.path, sha256: item.sha256, content });
    }

    const events = await auditEventsOf(
      runner,
      view.evidenceRows.map((e) => e.rowId),
      view.transferRowIds,
    );
    const { checkpoint } = await latestCheckpoint(runner.manager, config.audit);
    const needed = events.length ? events[events.length - 1].leafIndex + 1 : 0;
    if (needed > 0 && (!checkpoint || checkpoint.treeSize < needed)) return null;
    const proofs = await new AuditTree(runner.manager).inclusionProofs(
      events.map((e) => ({ index: e.leafIndex, size: checkpoint!.treeSize })),
    );
    events.forEach((event, i) => (event.proof = proofs[i].map((hash) => hash.toString('base64'))));
    await runner.commitTransaction();

    const manifest: PackageManifest = {
      format: PACKAGE_FORMAT,
      createdAt: new Date().toISOString(),
      referral: view.referral,
      agency: view.agency,
      investigation: view.investigation,
      leads: view.leads,
      sellers: view.sellers,
      listings: view.listings,
      evidence: view.evidenceRows.map((e) => e.item),
      outcomes: view.outcomes,
      audit: { checkpoint: checkpoint ? checkpointJson(checkpoint) : null, events },
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    return {
      referralRowId: found.rowId,
      reference: found.reference,
      manifest,
      manifestBytes,
      signature: {
        algorithm: 'Ed25519',
        keyId: config.audit.keyId,
        signature: sign(null, manifestBytes, config.audit.signingKey).toString('base64'),
      },
      files,
    };
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}

/** The events about the items (added, handed over) and their hand-overs (acknowledged), in log order. */
async function auditEventsOf(
  runner: QueryRunner,
  evidenceRowIds: string[],
  transferRowIds: string[],
): Promise<ManifestEvent[]> {
  const rows: Record<string, unknown>[] = await runner.query(
    `SELECT seq::text, at, actor_id::text, actor_label, action, entity_type, entity_id::text, before, after, request_id,
            prev_hash, hash, leaf_index::text
     FROM audit_event
     WHERE (entity_type = 'Evidence' AND entity_id = ANY($1::bigint[]))
        OR (entity_type = 'CustodyTransfer' AND entity_id = ANY($2::bigint[]))
     ORDER BY leaf_index`,
    [evidenceRowIds, transferRowIds],
  );
  return rows.map((row) => ({
    seq: row.seq as string,
    at: (row.at as Date).toISOString(),
    actorId: row.actor_id as string | null,
    actorLabel: row.actor_label as string,
    action: row.action as string,
    entityType: row.entity_type as string,
    entityId: row.entity_id as string,
    before: row.before,
    after: row.after,
    requestId: row.request_id as string | null,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
    leafIndex: Number(row.leaf_index),
    proof: [],
  }));
}

/** The package's production, in the audit log: who, which referral, the manifest's hash (its own short change). */
export async function recordPackageExport(ctx: RequestContext, prepared: PreparedPackage): Promise<void> {
  await inTransaction({ ...ctx, db: ctx.dataSource.manager, connection: undefined }, (tx) =>
    recordAudit(tx, {
      action: 'referral.packageExported',
      entityType: 'Referral',
      entityId: prepared.referralRowId,
      after: {
        reference: prepared.reference,
        agencyCode: prepared.manifest.agency.code,
        manifestSha256: createHash('sha256').update(prepared.manifestBytes).digest('hex'),
        evidenceItems: prepared.manifest.evidence.length,
        files: prepared.files.length,
        checkpointTreeSize: prepared.manifest.audit.checkpoint?.treeSize ?? null,
      },
    }),
  );
}

/** A file's bytes did not hash to the evidence's declared SHA-256: the archive is cut short rather than completed. */
export class PackageContentError extends Error {
  override name = 'PackageContentError';
}

/**
 * Streams the archive to `out` (ustar): manifest.json, manifest.sig, then files/<sha256> for each file held,
 * each read from its source as the output drains, so that memory stays at a few buffers whatever their size.
 * Resolves with the bytes written once `out` has them all.
 */
export async function writeReferralPackage(prepared: PreparedPackage, out: Writable): Promise<number> {
  const archive = tarPack();
  let written = 0;
  const finished = new Promise<void>((resolve, reject) => {
    archive.on('error', reject);
    out.on('error', reject);
    out.on('close', () => reject(new Error('the output was closed before the package ended')));
    archive.on('end', resolve);
  });
  archive.on('data', (chunk: Buffer) => {
    written += chunk.length;
    if (!out.write(chunk)) {
      archive.pause();
      out.once('drain', () => archive.resume());
    }
  });
  const mtime = new Date(prepared.manifest.createdAt);
  const addBuffer = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      archive.entry({ name, size: data.length, mtime, mode: 0o644 }, data, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  const work = (async () => {
    await addBuffer('manifest.json', prepared.manifestBytes);
    await addBuffer('manifest.sig', Buffer.from(`${JSON.stringify(prepared.signature, null, 2)}\n`, 'utf8'));
    for (const file of prepared.files) await addFile(archive, file, mtime);
    archive.finalize();
  })();
  // Either side failing ends the other: a reader gone away stops the reading of files.
  work.catch((error: Error) => archive.destroy(error));
  finished.catch((error: Error) => archive.destroy(error));
  await Promise.all([work, finished]);
  return written;
}

async function addFile(
  archive: ReturnType<typeof tarPack>,
  file: PreparedPackage['files'][number],
  mtime: Date,
): Promise<void> {
  const hash = createHash('sha256');
  let done!: () => void;
  let failed!: (error: Error) => void;
  const stored = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  const entry = archive.entry({ name: file.path, size: file.content.size, mtime, mode: 0o644 }, (error) =>
    error ? failed(error) : done(),
  );
  const source = await file.content.open();
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      if (!entry.write(chunk)) await drainedOrClosed(entry);
      if (entry.destroyed) throw new Error('the package was ended before its files were written');
    }
  } finally {
    source.destroy();
  }
  if (hash.digest('hex') !== file.sha256)
    throw new PackageContentError(`the stored content of ${file.path} does not hash to the evidence's SHA-256`);
  entry.end();
  await stored;
}

function drainedOrClosed(stream: {
  on(event: string, f: () => void): unknown;
  off(event: string, f: () => void): unknown;
}) {
  return new Promise<void>((resolve) => {
    const settle = () => {
      stream.off('drain', settle);
      stream.off('close', settle);
      resolve();
    };
    stream.on('drain', settle);
    stream.on('close', settle);
  });
}
