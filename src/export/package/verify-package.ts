import { createHash, createPublicKey, KeyObject, verify } from 'node:crypto';
import fs from 'node:fs';
import { canonicalJson } from '../../shared/audit/audit-chain.js';
import { leafHash, verifyInclusion } from '../../shared/audit/merkle.js';

/**
 * The offline check of a referral package (README, "Referral packages"): no database, no network, Node's crypto
 * only. examples/verify-package.mjs is the same check written for a partner who runs nothing of this project.
 *
 * Checked: the manifest's Ed25519 signature; the checkpoint's signature and note; each audit event's chain hash
 * (from its content) and its inclusion proof against the checkpoint's root (RFC 9162); each file's size and
 * SHA-256 against the manifest and the evidence's declared SHA-256; the custody chain's continuity; that the
 * audit events record each item's collection and hand-overs as the manifest lists them. Warned: items whose file
 * the API does not hold, hand-overs an agency has not acknowledged, hand-overs the log does not record.
 */

export type CheckStatus = 'PASS' | 'FAIL' | 'WARN';
export interface CheckLine {
  status: CheckStatus;
  check: string;
  detail: string;
}
export interface PackageReport {
  ok: boolean;
  lines: CheckLine[];
}

interface TarEntry {
  name: string;
  offset: number;
  size: number;
}

/** The entries of a ustar archive, read by position (the file is never held in memory). */
export function readTarEntries(fd: number): TarEntry[] {
  const entries: TarEntry[] = [];
  const header = Buffer.alloc(512);
  let position = 0;
  for (;;) {
    if (fs.readSync(fd, header, 0, 512, position) < 512) throw new Error('the archive ends inside a header');
    if (header.every((byte) => byte === 0)) return entries;
    const text = (start: number, length: number) =>
      header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    if (text(257, 5) !== 'ustar') throw new Error(`the header at byte ${position} is not a ustar header`);
    const sum = header.reduce((total, byte, i) => total + (i >= 148 && i < 156 ? 32 : byte), 0);
    if (parseInt(text(148, 8).trim(), 8) !== sum)
      throw new Error(`the header at byte ${position} has a wrong checksum`);
    // Sizes of 8 GiB and more are written base-256 (first byte 0x80).
    const size =
      header[124] & 0x80
        ? Number(header.subarray(125, 136).reduce((n, byte) => n * 256n + BigInt(byte), 0n))
        : parseInt(text(124, 12).trim() || '0', 8);
    const prefix = text(345, 155);
    const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
    if (text(156, 1) === '0' || text(156, 1) === '') entries.push({ name, offset: position + 512, size });
    position += 512 + Math.ceil(size / 512) * 512;
  }
}

function readEntry(fd: number, entry: TarEntry): Buffer {
  const data = Buffer.alloc(entry.size);
  if (fs.readSync(fd, data, 0, entry.size, entry.offset) < entry.size) throw new Error(`${entry.name} is cut short`);
  return data;
}

function hashEntry(fd: number, entry: TarEntry): { sha256: string; read: number } {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1 << 20);
  let read = 0;
  while (read < entry.size) {
    const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, entry.size - read), entry.offset + read);
    if (n === 0) break;
    hash.update(chunk.subarray(0, n));
    read += n;
  }
  return { sha256: hash.digest('hex'), read };
}

/**
 * The public keys given: the JSON of GET /audit/keys (every key by its id), a PEM public key, or a base64 raw
 * Ed25519 key (32 bytes). A single key without id is tried for any key id ('*').
 */
export function parsePublicKeys(text: string): Map<string, KeyObject> {
  const trimmed = text.trim();
  const raw = (base64: string) =>
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base64, 'base64').toString('base64url') },
      format: 'jwk',
    });
  if (trimmed.startsWith('{')) {
    const document = JSON.parse(trimmed) as { keys: { keyId: string; publicKey: string }[] };
    return new Map(document.keys.map((k) => [k.keyId, raw(k.publicKey)]));
  }
  if (trimmed.startsWith('-----BEGIN')) return new Map([['*', createPublicKey(trimmed)]]);
  if (Buffer.from(trimmed, 'base64').length !== 32) throw new Error('the public key is not 32 bytes of base64');
  return new Map([['*', raw(trimmed)]]);
}

const keyFor = (keys: Map<string, KeyObject>, keyId: string) => keys.get(keyId) ?? keys.get('*');

function verifies(key: KeyObject | undefined, message: Buffer, signature: string): boolean {
  if (!key) return false;
  try {
    return verify(null, message, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

const sha256 = (...parts: (Buffer | string)[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** The row id inside a global id (base64url of "Type:rowId"). */
const rowIdOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1] ?? '';

/* eslint-disable @typescript-eslint/no-explicit-any -- the manifest is untrusted input, checked field by field */
export function verifyPackage(file: string, publicKey: string): PackageReport {
  const lines: CheckLine[] = [];
  const add = (status: CheckStatus, check: string, detail: string) => lines.push({ status, check, detail });
  const done = () => ({ ok: lines.every((l) => l.status !== 'FAIL'), lines });
  let keys: Map<string, KeyObject>;
  try {
    keys = parsePublicKeys(publicKey);
  } catch (error) {
    add('FAIL', 'public key', `cannot be read: ${(error as Error).message}`);
    return done();
  }
  const fd = fs.openSync(file, 'r');
  try {
    let entries: TarEntry[];
    try {
      entries = readTarEntries(fd);
      add('PASS', 'archive', `${entries.length} entries read`);
    } catch (error) {
      add('FAIL', 'archive', (error as Error).message);
      return done();
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    const manifestEntry = byName.get('manifest.json');
    const sigEntry = byName.get('manifest.sig');
    if (!manifestEntry || !sigEntry) {
      add('FAIL', 'archive', `${manifestEntry ? 'manifest.sig' : 'manifest.json'} is missing`);
      return done();
    }
    const manifestBytes = readEntry(fd, manifestEntry);
    let signature: { keyId: string; signature: string };
    let manifest: any;
    try {
      signature = JSON.parse(readEntry(fd, sigEntry).toString('utf8'));
      manifest = JSON.parse(manifestBytes.toString('utf8'));
    } catch (error) {
      add('FAIL', 'manifest', `not JSON: ${(error as Error).message}`);
      return done();
    }
    if (verifies(keyFor(keys, signature.keyId), manifestBytes, signature.signature))
      add('PASS', 'manifest signature', `Ed25519, key ${signature.keyId}: manifest.json is as the API signed it`);
    else
      add(
        'FAIL',
        'manifest signature',
        keyFor(keys, signature.keyId)
          ? `does not verify with key ${signature.keyId}: manifest.json (or manifest.sig) was changed after signing`
          : `signed with key ${signature.keyId}, which the public keys given do not hold`,
      );
    add(
      'PASS',
      'manifest',
      `${manifest.referral?.reference} to ${manifest.agency?.code}: ${manifest.evidence?.length ?? 0} evidence items, ${manifest.audit?.events?.length ?? 0} audit events, made ${manifest.createdAt}`,
    );

    checkAudit(manifest, keys, add);
    checkFiles(fd, manifest, entries, add);
    for (const item of manifest.evidence ?? []) checkCustody(item, manifest.audit?.events ?? [], add);
    return done();
  } finally {
    fs.closeSync(fd);
  }
}

type Add = (status: CheckStatus, check: string, detail: string) => void;

function checkAudit(manifest: any, keys: Map<string, KeyObject>, add: Add): void {
  const events: any[] = manifest.audit?.events ?? [];
  const checkpoint = manifest.audit?.checkpoint;
  if (!checkpoint) {
    add(events.length ? 'FAIL' : 'WARN', 'checkpoint', 'none in the package: the audit events are not proven');
    return;
  }
  const [origin, size, root, timestamp, end] = String(checkpoint.note).split('\n');
  const agrees =
    origin === checkpoint.origin &&
    Number(size) === checkpoint.treeSize &&
    root === checkpoint.rootHash &&
    timestamp === checkpoint.timestamp &&
    end === '';
  const signed = verifies(
    keyFor(keys, checkpoint.keyId),
    Buffer.from(String(checkpoint.note), 'utf8'),
    checkpoint.signature,
  );
  if (signed && agrees)
    add(
      'PASS',
      'checkpoint',
      `${checkpoint.treeSize} events, signed ${checkpoint.timestamp} with key ${checkpoint.keyId}`,
    );
  else add('FAIL', 'checkpoint', signed ? 'its fields differ from its signed note' : 'its signature does not verify');
  const rootHash = Buffer.from(String(checkpoint.rootHash), 'base64');
  for (const event of events) {
    const label = `event ${event.seq} ${event.action} (${event.entityType} ${event.entityId})`;
    const content = canonicalJson({
      seq: event.seq,
      at: event.at,
      actorId: event.actorId,
      actorLabel: event.actorLabel,
      action: event.action,
      entityType: event.entityType,
      entityId: event.entityId,
      before: event.before,
      after: event.after,
      requestId: event.requestId,
    });
    // chainHash's formula (audit-chain.ts), over `at` as the manifest gives it (a string, not parsed).
    const hash = sha256(String(event.prevHash), '\n', content).toString('hex');
    if (hash === event.hash) add('PASS', `${label} hash`, 'its content gives its chain hash');
    else add('FAIL', `${label} hash`, 'its content does not give its chain hash: the event was changed');
    const leaf = leafHash(Buffer.from(String(event.hash), 'hex'));
    const proof = (event.proof ?? []).map((p: string) => Buffer.from(p, 'base64'));
    if (verifyInclusion(event.leafIndex, checkpoint.treeSize, leaf, proof, rootHash))
      add('PASS', `${label} proof`, `leaf ${event.leafIndex} is in the checkpoint's tree of ${checkpoint.treeSize}`);
    else
      add(
        'FAIL',
        `${label} proof`,
        `the inclusion proof of leaf ${event.leafIndex} does not lead to the checkpoint's root`,
      );
  }
}

function checkFiles(fd: number, manifest: any, entries: TarEntry[], add: Add): void {
  const declared = new Set<string>(['manifest.json', 'manifest.sig']);
  for (const item of manifest.evidence ?? []) {
    const label = `file of evidence ${item.id}`;
    if (!item.file) {
      add('WARN', label, `not held by the API: only its declared SHA-256 ${item.sha256} is given`);
      continue;
    }
    declared.add(item.file.path);
    const entry = entries.find((e) => e.name === item.file.path);
    if (!entry) {
      add('FAIL', label, `${item.file.path} is missing from the archive`);
      continue;
    }
    const { sha256: actual, read } = hashEntry(fd, entry);
    if (entry.size !== item.file.size || read !== entry.size)
      add('FAIL', label, `${item.file.path} holds ${read} bytes, the manifest says ${item.file.size}`);
    else if (actual !== item.sha256)
      add('FAIL', label, `${item.file.path} hashes to ${actual}, not the evidence's SHA-256 ${item.sha256}: changed`);
    else add('PASS', label, `${item.file.path}: ${entry.size} bytes, SHA-256 as declared at collection`);
  }
  for (const entry of entries)
    if (!declared.has(entry.name)) add('FAIL', 'archive', `${entry.name} is not listed in the manifest`);
}

function checkCustody(item: any, events: any[], add: Add): void {
  const label = `custody of evidence ${item.id}`;
  const evidenceRow = rowIdOf(item.id);
  const about = (type: string, id: string, action: string) =>
    events.filter((e) => e.entityType === type && e.entityId === id && e.action === action);
  const added = about('Evidence', evidenceRow, 'evidence.added');
  if (added.some((e) => e.after?.sha256 === item.sha256))
    add('PASS', `collection of evidence ${item.id}`, `the audit log records it with SHA-256 ${item.sha256}`);
  else if (added.length) add('FAIL', `collection of evidence ${item.id}`, 'the audit log records another SHA-256');
  else add('WARN', `collection of evidence ${item.id}`, 'no audit event in the package records it');

  const transfers: any[] = item.custody ?? [];
  let holder = item.collectedBy;
  let since = item.collectedAt;
  const breaks: string[] = [];
  transfers.forEach((t, i) => {
    const n = `hand-over ${i + 1} (${t.id})`;
    if (t.fromCustodian !== holder) breaks.push(`${n} is from "${t.fromCustodian}", but the item was with "${holder}"`);
    if (Date.parse(t.transferredAt) < Date.parse(since))
      breaks.push(`${n} at ${t.transferredAt} is before ${i === 0 ? 'the collection' : `hand-over ${i}`} at ${since}`);
    holder = t.toCustodian;
    since = t.transferredAt;
    const recorded = about('Evidence', evidenceRow, 'evidence.custodyTransferred').find(
      (e) => String(e.after?.transferId) === rowIdOf(t.id),
    );
    if (!recorded) add('WARN', `${n} of evidence ${item.id}`, 'no audit event in the package records it');
    else if (
      recorded.before?.custodian !== t.fromCustodian ||
      recorded.after?.custodian !== t.toCustodian ||
      Date.parse(recorded.after?.transferredAt) !== Date.parse(t.transferredAt)
    )
      add('FAIL', `${n} of evidence ${item.id}`, 'differs from the audit event that records it');
    if (t.acknowledgement === 'ACKNOWLEDGED') {
      const acknowledged = about('CustodyTransfer', rowIdOf(t.id), 'evidence.custodyAcknowledged')[0];
      if (!acknowledged)
        add('WARN', `${n} of evidence ${item.id}`, 'no audit event in the package records its acknowledgement');
      else if (Date.parse(acknowledged.after?.acknowledgedAt) !== Date.parse(t.acknowledgedAt))
        add('FAIL', `${n} of evidence ${item.id}`, 'its acknowledgement differs from the audit event that records it');
      else
        add(
          'PASS',
          `${n} of evidence ${item.id}`,
          `acknowledged by ${t.toAgency?.code} at ${t.acknowledgedAt}, as the audit log records`,
        );
    }
    if (t.toAgency && t.acknowledgement !== 'ACKNOWLEDGED')
      add('WARN', `${n} of evidence ${item.id}`, `to ${t.toAgency.code}: not acknowledged by the agency`);
  });
  if (holder !== item.custodian)
    breaks.push(`the last holder in the chain is "${holder}", but the item is with "${item.custodian}"`);
  if (breaks.length) add('FAIL', label, `the chain is broken: ${breaks.join('; ')}`);
  else
    add(
      'PASS',
      label,
      `${transfers.length} hand-over(s), each from the previous holder, in time order, from ${item.collectedBy} to ${item.custodian}`,
    );
}

/** The report as printed: one line per check, then the result. */
export function formatReport(report: PackageReport): string {
  const failed = report.lines.filter((l) => l.status === 'FAIL');
  const warned = report.lines.filter((l) => l.status === 'WARN');
  const body = report.lines.map((l) => `${l.status.padEnd(4)}  ${l.check}: ${l.detail}`);
  const result = report.ok
    ? `RESULT: VERIFIED: ${report.lines.length - warned.length} checks passed, ${warned.length} warning(s)`
    : `RESULT: NOT VERIFIED: ${failed.length} check(s) failed: ${failed.map((l) => l.check).join('; ')}`;
  return `${[...body, result].join('\n')}\n`;
}
