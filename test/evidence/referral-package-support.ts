import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pack as tarPack } from 'tar-stream';
import { readTarEntries } from '../../src/export/package/verify-package';
import { buildCase, mutate } from '../support/cases';
import { World } from '../support/fixtures';
import { TestServer } from '../support/server';

export const rowIdOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

export interface PackagedCase {
  referralId: string;
  investigationId: string;
  /** Disclosed on the referral: the first with two hand-overs (to a lab, then to agency X, unacknowledged). */
  disclosed: string[];
  /** In the same investigation, not disclosed: no agency may see it. */
  undisclosed: string;
  /** The files uploaded as the disclosed items' content, by evidence row id (their SHA-256 is the item's). */
  files: Map<string, string>;
}

/** An item whose declared SHA-256 is that of `bytes` random bytes written to a file in `dir`. */
async function evidenceWithFile(
  server: TestServer,
  world: World,
  investigationId: string,
  dir: string,
  bytes: number,
  description: string,
) {
  const file = path.join(dir, `${description.replace(/\W+/g, '-')}.pdf`);
  const hash = createHash('sha256');
  const out = fs.openSync(file, 'w');
  // A PDF by its first bytes (the upload checks the type from the content), the rest random.
  fs.writeSync(out, PDF_HEADER);
  hash.update(PDF_HEADER);
  for (let written = PDF_HEADER.length; written < bytes;) {
    const chunk = randomBytes(Math.min(1 << 20, bytes - written));
    fs.writeSync(out, chunk);
    hash.update(chunk);
    written += chunk.length;
  }
  fs.closeSync(out);
  const { evidence } = await mutate(
    server,
    world.keys.investigator,
    'addEvidence',
    {
      investigationId,
      kind: 'PHOTO',
      description,
      sha256: hash.digest('hex'),
      storageKey: `s3://evidence/${description}`,
      collectedBy: 'Investigator Li',
      collectedAt: '2026-03-01T10:00:00Z',
    },
    'evidence { id }',
  );
  await uploadFile(server, world.keys.investigator, evidence.id, file);
  return { id: evidence.id as string, file };
}

const PDF_HEADER = Buffer.from('%PDF-1.7\n');

/** Uploads `file` as the evidence's content, streamed (PUT /evidence/{id}/content). */
async function uploadFile(server: TestServer, token: string, evidenceId: string, file: string): Promise<void> {
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(
      `${server.url}/evidence/${evidenceId}/content`,
      { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-length': fs.statSync(file).size } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    fs.createReadStream(file).pipe(request);
  });
  if (status !== 201 && status !== 200) throw new Error(`upload of ${file}: HTTP ${status}`);
}

/**
 * A case of brand A sent to agency X with two disclosed items whose content is uploaded from `dir` (sizes in bytes),
 * one item of the investigation left undisclosed, and hand-overs of the first item to a lab then to agency X.
 */
export async function buildPackagedCase(
  server: TestServer,
  world: World,
  dir: string,
  sizes: [number, number] = [300_000, 70_000],
): Promise<PackagedCase> {
  const base = await buildCase(server, world, { tag: 'package' });
  const first = await evidenceWithFile(server, world, base.investigationId, dir, sizes[0], 'photo of the bags');
  const second = await evidenceWithFile(server, world, base.investigationId, dir, sizes[1], 'seller chat');
  const hidden = await evidenceWithFile(server, world, base.investigationId, dir, 1000, 'informant note');
  const handOver = (input: Record<string, unknown>) =>
    mutate(
      server,
      world.keys.investigator,
      'recordCustodyTransfer',
      { evidenceId: first.id, ...input },
      'evidence { id }',
    );
  await handOver({ toCustodian: 'Lab Shenzhen', purpose: 'lab testing', transferredAt: '2026-03-02T09:00:00Z' });
  await handOver({
    toCustodian: 'PSB evidence room',
    purpose: 'for the raid',
    transferredAt: '2026-03-05T09:00:00Z',
    toAgencyId: world.gid.agencyX,
  });
  const { referral } = await mutate(
    server,
    world.keys.investigator,
    'createReferral',
    {
      investigationId: base.investigationId,
      agencyId: world.gid.agencyX,
      evidenceIds: [first.id, second.id],
      summary: 'factory suspected',
    },
    'referral { id }',
  );
  await mutate(server, world.keys.investigator, 'sendReferral', { referralId: referral.id }, 'referral { id }');
  return {
    referralId: referral.id,
    investigationId: base.investigationId,
    disclosed: [first.id, second.id],
    undisclosed: hidden.id,
    files: new Map([
      [rowIdOf(first.id), first.file],
      [rowIdOf(second.id), second.file],
    ]),
  };
}

/** The entries of a (small) archive, in order, read whole. */
export function readArchive(file: string): { name: string; data: Buffer }[] {
  const fd = fs.openSync(file, 'r');
  try {
    return readTarEntries(fd).map((entry) => {
      const data = Buffer.alloc(entry.size);
      fs.readSync(fd, data, 0, entry.size, entry.offset);
      return { name: entry.name, data };
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `entries` as a ustar archive (a tampered copy of a package). */
export async function writeArchive(file: string, entries: { name: string; data: Buffer }[]): Promise<void> {
  const archive = tarPack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => archive.on('end', resolve));
  for (const { name, data } of entries) archive.entry({ name, size: data.length }, data);
  archive.finalize();
  await ended;
  fs.writeFileSync(file, Buffer.concat(chunks));
}
