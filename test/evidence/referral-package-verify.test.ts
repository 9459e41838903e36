// A referral package verifies offline, with the CLI's verifier, the built `eca verify-package` and the
// standalone examples/verify-package.mjs; a package changed in one place fails and the report names the place.
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { contentOf } from '../../src/export/package/evidence-content';
import { prepareReferralPackage, writeReferralPackage } from '../../src/export/package/package-writer';
import { formatReport, verifyPackage } from '../../src/export/package/verify-package';
import { publicKeysDocument } from '../../src/shared/audit/audit-signing';
import { systemContext } from '../../src/shared/context';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { startTestServer, TestServer } from '../support/server';
import { buildServer } from '../operations/support/server-process';
import { buildPackagedCase, PackagedCase, readArchive, rowIdOf, writeArchive } from './referral-package-support';

const run = promisify(execFile);
let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;
let packaged: PackagedCase;
let packageFile: string;
let keysFile: string;
let cli: string;

beforeAll(async () => {
  cli = path.join(path.dirname(buildServer()), 'cli.js');
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-package-'));
  server = await startTestServer(db, { EVIDENCE_STORAGE_DIR: path.join(dir, 'storage') });
  packaged = await buildPackagedCase(server, world, dir);
  packageFile = path.join(dir, 'package.tar');
  const prepared = await prepareReferralPackage(db.dataSource, server.config, {
    referral: { rowId: rowIdOf(packaged.referralId) },
    ctx: systemContext(db.dataSource, server.config, 'test'),
    contentSource: contentOf,
  });
  const out = fs.createWriteStream(packageFile);
  await writeReferralPackage(prepared, out);
  await new Promise((resolve) => out.end(resolve));
  keysFile = path.join(dir, 'audit-keys.json');
  fs.writeFileSync(keysFile, JSON.stringify(publicKeysDocument(server.config.audit)));
}, 240_000);
afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs a node script; its exit status and stdout, also when it fails. */
async function node(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}
const example = (file: string, key = keysFile) =>
  node([path.resolve(__dirname, '../../examples/verify-package.mjs'), file, '--public-key', key]);
const eca = (file: string, key = keysFile) => node([cli, 'verify-package', file, '--public-key', key]);

describe('a package', () => {
  it('holds the manifest, its signature and each disclosed file under its SHA-256, nothing else', () => {
    const entries = readArchive(packageFile);
    const manifest = JSON.parse(entries[0].data.toString('utf8'));
    expect(entries.map((e) => e.name)).toEqual([
      'manifest.json',
      'manifest.sig',
      ...manifest.evidence.map((item: { sha256: string }) => `files/${item.sha256}`),
    ]);
    expect(manifest.evidence.map((item: { id: string }) => item.id)).toEqual(packaged.disclosed);
    for (const item of manifest.evidence) {
      const content = fs.readFileSync(packaged.files.get(rowIdOf(item.id))!);
      expect(entries.find((e) => e.name === `files/${item.sha256}`)!.data.equals(content)).toBe(true);
    }
    expect(manifest.evidence[0].custody.map((t: { toCustodian: string }) => t.toCustodian)).toEqual([
      'Lab Shenzhen',
      'PSB evidence room',
    ]);
    // Added with its file, handed over twice: each event with a proof against the checkpoint.
    const actions = manifest.audit.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual([
      'evidence.added',
      'evidence.contentStored',
      'evidence.added',
      'evidence.contentStored',
      'evidence.custodyTransferred',
      'evidence.custodyTransferred',
    ]);
    expect(manifest.audit.checkpoint.treeSize).toBeGreaterThan(
      Math.max(...manifest.audit.events.map((e: { leafIndex: number }) => e.leafIndex)),
    );
  });

  it('verifies with the CLI verifier, the built eca and the standalone example, naming the unacknowledged hand-over', async () => {
    const report = verifyPackage(packageFile, fs.readFileSync(keysFile, 'utf8'));
    expect(report.lines.filter((l) => l.status === 'FAIL')).toEqual([]);
    expect(report.ok).toBe(true);
    const text = formatReport(report);
    expect(text).toMatch(/^PASS {2}manifest signature: /m);
    expect(text).toMatch(/^PASS {2}checkpoint: /m);
    expect(text.match(/^PASS {2}file of evidence .*SHA-256 as declared/gm)).toHaveLength(2);
    expect(text.match(/^PASS {2}event .* proof: /gm)).toHaveLength(6);
    expect(text).toMatch(/^PASS {2}custody of evidence .*2 hand-over/m);
    expect(text).toMatch(/^WARN {2}hand-over 2 .*to AG-X: not acknowledged by the agency/m);
    expect(text).toMatch(/^RESULT: VERIFIED/m);

    const built = await eca(packageFile);
    expect(built).toEqual({ code: 0, stdout: text });
    const standalone = await example(packageFile);
    expect(standalone.code).toBe(0);
    expect(standalone.stdout).toMatch(/^RESULT: VERIFIED/m);
    expect(standalone.stdout).toMatch(/not acknowledged by the agency/);
    // The key alone (base64 raw, as GET /audit/keys gives it) is enough.
    const [{ publicKey }] = publicKeysDocument(server.config.audit).keys;
    expect((await example(packageFile, publicKey)).code).toBe(0);
  });
});

describe('a changed package fails, and the report names what changed', () => {
  const manifestOf = (entries: { name: string; data: Buffer }[]) => JSON.parse(entries[0].data.toString('utf8'));
  /** A copy of the package after `change`; with `resign`, manifest.sig signs the changed manifest (an insider with the key). */
  async function tampered(name: string, change: (entries: { name: string; data: Buffer }[]) => void, resign = false) {
    const entries = readArchive(packageFile);
    change(entries);
    if (resign) {
      const sig = JSON.parse(entries[1].data.toString('utf8'));
      sig.signature = sign(null, entries[0].data, server.config.audit.signingKey).toString('base64');
      entries[1].data = Buffer.from(JSON.stringify(sig));
    }
    const file = path.join(dir, `${name}.tar`);
    await writeArchive(file, entries);
    return file;
  }
  const setManifest = (entries: { name: string; data: Buffer }[], manifest: unknown) =>
    (entries[0].data = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));

  async function expectFailure(file: string, named: RegExp) {
    const report = verifyPackage(file, fs.readFileSync(keysFile, 'utf8'));
    expect(report.ok).toBe(false);
    const text = formatReport(report);
    expect(text).toMatch(named);
    expect(text).toMatch(/^RESULT: NOT VERIFIED/m);
    const standalone = await example(file);
    expect(standalone.code).toBe(1);
    expect(standalone.stdout).toMatch(named);
    expect(standalone.stdout).toMatch(/^RESULT: NOT VERIFIED/m);
    return text;
  }

  it('one byte of a file', async () => {
    const file = await tampered('byte', (entries) => {
      entries[2].data = Buffer.from(entries[2].data);
      entries[2].data[1000] ^= 0x01;
    });
    const text = await expectFailure(
      file,
      /^FAIL {2}file of evidence \S+: files\/[0-9a-f]{64} hashes to [0-9a-f]{64}, not the evidence's SHA-256/m,
    );
    expect(text).toMatch(/^PASS {2}manifest signature/m);
  });

  it('one line of the manifest: the signature fails', async () => {
    const file = await tampered('line', (entries) => {
      const text = entries[0].data.toString('utf8');
      entries[0].data = Buffer.from(text.replace('"summary": "factory suspected"', '"summary": "nothing found"'));
    });
    await expectFailure(
      file,
      /^FAIL {2}manifest signature: does not verify with key \S+: manifest.json \(or manifest.sig\) was changed after signing/m,
    );
  });

  it('one proof hash (even re-signed by someone with the key)', async () => {
    const file = await tampered(
      'proof',
      (entries) => {
        const manifest = manifestOf(entries);
        const proof = Buffer.from(manifest.audit.events[1].proof[0], 'base64');
        proof[0] ^= 0xff;
        manifest.audit.events[1].proof[0] = proof.toString('base64');
        setManifest(entries, manifest);
      },
      true,
    );
    const text = await expectFailure(
      file,
      /^FAIL {2}event \d+ evidence.contentStored \(Evidence \d+\) proof: the inclusion proof of leaf \d+ does not lead to the checkpoint's root/m,
    );
    expect(text).toMatch(/^PASS {2}manifest signature/m);
  });

  it('the signature', async () => {
    const file = await tampered('signature', (entries) => {
      const sig = JSON.parse(entries[1].data.toString('utf8'));
      const bytes = Buffer.from(sig.signature, 'base64');
      bytes[10] ^= 0x01;
      sig.signature = bytes.toString('base64');
      entries[1].data = Buffer.from(JSON.stringify(sig));
    });
    await expectFailure(file, /^FAIL {2}manifest signature: does not verify/m);
  });

  it('the order of two custody transfers (even re-signed)', async () => {
    const file = await tampered(
      'custody',
      (entries) => {
        const manifest = manifestOf(entries);
        manifest.evidence[0].custody.reverse();
        setManifest(entries, manifest);
      },
      true,
    );
    const text = await expectFailure(
      file,
      /^FAIL {2}custody of evidence \S+: the chain is broken: hand-over 1 \(\S+\) is from "Lab Shenzhen", but the item was with "Investigator Li"/m,
    );
    expect(text).toMatch(
      /hand-over 2 \(\S+\) at 2026-03-02T09:00:00.000Z is before hand-over 1 at 2026-03-05T09:00:00.000Z/,
    );
  });

  it('an event changed, or a key that is not the log', async () => {
    const file = await tampered(
      'event',
      (entries) => {
        const manifest = manifestOf(entries);
        manifest.audit.events[0].after.collectedBy = 'Someone else';
        setManifest(entries, manifest);
      },
      true,
    );
    await expectFailure(
      file,
      /^FAIL {2}event \d+ evidence.added \(Evidence \d+\) hash: its content does not give its chain hash/m,
    );
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const report = formatReport(verifyPackage(packageFile, otherKey));
    expect(report).toMatch(/^FAIL {2}manifest signature/m);
    expect(report).toMatch(/^FAIL {2}checkpoint: its signature does not verify/m);
  });
});

describe('eca export package', () => {
  function ecaExport(args: string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'export', 'package', ...args], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: db.url,
          NODE_ENV: 'test',
          EVIDENCE_STORAGE_DIR: path.join(dir, 'storage'),
        },
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
    });
  }
  const reference = () => JSON.parse(readArchive(packageFile)[0].data.toString('utf8')).referral.reference as string;

  it('writes the package to a file or stdout, as the agency receives it, audited as the command line', async () => {
    const file = path.join(dir, 'cli.tar');
    const written = await ecaExport(['--referral', reference(), '--out', file]);
    expect(written.stderr).toMatch(new RegExp(`package of ${reference()}: 2 evidence items, 2 files, 6 audit events`));
    expect(written.status).toBe(0);
    expect((await eca(file)).stdout).toMatch(/^RESULT: VERIFIED/m);
    const piped = await ecaExport(['--referral', reference()]);
    expect(piped.status).toBe(0);
    fs.writeFileSync(path.join(dir, 'piped.tar'), piped.stdout);
    expect(readArchive(path.join(dir, 'piped.tar')).map((e) => e.name)).toEqual(readArchive(file).map((e) => e.name));
    expect(readArchive(file).filter((e) => e.name.startsWith('files/'))).toHaveLength(2);
    const events = await db.dataSource.query(
      `SELECT actor_id, actor_label, after->>'reference' AS reference FROM audit_event WHERE action = 'referral.packageExported'`,
    );
    expect(events).toEqual([
      { actor_id: null, actor_label: 'cli (ADMIN)', reference: reference() },
      { actor_id: null, actor_label: 'cli (ADMIN)', reference: reference() },
    ]);
  });

  it('names an unknown reference', async () => {
    const missing = await ecaExport(['--referral', 'REF-1999-000001']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no referral has the reference "REF-1999-000001"/);
    expect(missing.stdout.length).toBe(0);
  });
});
