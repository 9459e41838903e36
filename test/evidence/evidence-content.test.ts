// Evidence files: uploads checked by the server (hash, size, type) and stored encrypted under their SHA-256;
// downloads only for whoever may see the evidence, each one audited with its reason.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { dataOf, startTestServer, TestServer } from '../support/server';
import {
  contentColumns,
  download,
  evidenceDeclaring,
  filesIn,
  PDF,
  refusalOf,
  sha256Of,
  storageFolder,
  upload,
} from './evidence-support';

const MAX_BYTES = 1_000_000;
let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  dir = storageFolder();
  server = await startTestServer(db, { EVIDENCE_STORAGE_DIR: dir, EVIDENCE_MAX_BYTES: String(MAX_BYTES) });
});
afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const auditEvents = (rowId: string, action: string) =>
  db.dataSource.query(
    `SELECT actor_id::text AS "actorId", actor_label AS "actorLabel", after FROM audit_event
      WHERE entity_type = 'Evidence' AND entity_id = $1 AND action = $2 ORDER BY seq`,
    [rowId, action],
  );

describe('upload', () => {
  it('stores the file encrypted under its SHA-256 and records it on the evidence, audited', async () => {
    const sha = sha256Of(PDF);
    const evidence = await evidenceDeclaring(server, world, sha);
    const before = await contentColumns(db, evidence.rowId);
    const response = await upload(server, world.keys.investigator, evidence.id, PDF);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      evidenceId: evidence.id,
      sha256: sha,
      sizeBytes: PDF.length,
      mediaType: 'application/pdf',
    });

    const row = await contentColumns(db, evidence.rowId);
    expect(row).toMatchObject({ size: String(PDF.length), mediaType: 'application/pdf', version: before.version + 1 });
    expect(row.storedAt).toBeInstanceOf(Date);
    const stored = fs.readFileSync(path.join(dir, sha));
    expect(stored.subarray(0, 8).toString('latin1')).toBe('ECAEVID1');
    expect(stored.length).toBe(PDF.length + 8 + 12 + 16);
    expect(stored.includes(PDF.subarray(0, 16))).toBe(false);
    expect(filesIn(dir)).toContain(sha);
    expect(filesIn(dir).filter((name) => name !== sha && !name.match(/^[0-9a-f]{64}$/))).toEqual([]);

    const [event] = await auditEvents(evidence.rowId, 'evidence.contentStored');
    expect(event.after).toMatchObject({ sha256: sha, sizeBytes: PDF.length, mediaType: 'application/pdf' });

    const read = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($id: ID!) { node(id: $id) { ... on Evidence { content { sizeBytes mediaType storedAt sha256Verified downloadPath } } } }`,
        {
          id: evidence.id,
        },
      ),
    );
    expect(read.node.content).toEqual({
      sizeBytes: PDF.length,
      mediaType: 'application/pdf',
      storedAt: row.storedAt!.toISOString(),
      sha256Verified: true,
      downloadPath: `/evidence/${evidence.id}/content`,
    });
  });

  it('answers a repeat of the same content as stored, changing nothing; other content is refused (409)', async () => {
    const content = Buffer.from('Chat log with the seller, 2026-03-01\n');
    const evidence = await evidenceDeclaring(server, world, sha256Of(content));
    expect((await upload(server, world.keys.investigator, evidence.id, content)).status).toBe(201);
    const stored = await contentColumns(db, evidence.rowId);
    const again = await upload(server, world.keys.admin, evidence.id, content);
    expect(again.status).toBe(200);
    expect(await contentColumns(db, evidence.rowId)).toEqual(stored);

    const other = await upload(server, world.keys.investigator, evidence.id, Buffer.from('Another chat log\n'));
    expect(await refusalOf(other)).toMatchObject({ status: 409, code: 'CONTENT_ALREADY_STORED' });
    expect(await contentColumns(db, evidence.rowId)).toEqual(stored);
    expect(await auditEvents(evidence.rowId, 'evidence.contentStored')).toHaveLength(1);
  });

  it('refuses content whose SHA-256 differs from the declared one, storing nothing', async () => {
    const declared = sha256Of('what was collected');
    const evidence = await evidenceDeclaring(server, world, declared);
    const files = filesIn(dir);
    const response = await upload(server, world.keys.investigator, evidence.id, PDF);
    expect(await refusalOf(response)).toEqual({
      status: 422,
      code: 'SHA256_MISMATCH',
      message: `The content's SHA-256 is ${sha256Of(PDF)}, the evidence declares ${declared}: nothing was stored.`,
    });
    expect(filesIn(dir)).toEqual(files);
    expect(await contentColumns(db, evidence.rowId)).toMatchObject({ size: null, mediaType: null, storedAt: null });
    expect(await auditEvents(evidence.rowId, 'evidence.contentStored')).toEqual([]);
  });

  it('refuses a file over EVIDENCE_MAX_BYTES, declared or streamed, storing nothing', async () => {
    const big = Buffer.concat([PDF, Buffer.alloc(MAX_BYTES, 0x20)]);
    const evidence = await evidenceDeclaring(server, world, sha256Of(big));
    const files = filesIn(dir);
    const declared = await upload(server, world.keys.investigator, evidence.id, big);
    expect(await refusalOf(declared)).toMatchObject({ status: 413, code: 'CONTENT_TOO_LARGE' });
    // Without a content-length: counted while streaming.
    const chunks = [PDF, ...Array.from({ length: 20 }, () => Buffer.alloc(MAX_BYTES, 0x20))];
    const streamed = await upload(
      server,
      world.keys.investigator,
      evidence.id,
      new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
    );
    expect(await refusalOf(streamed)).toMatchObject({ status: 413, code: 'CONTENT_TOO_LARGE' });
    expect(filesIn(dir)).toEqual(files);
    expect(await contentColumns(db, evidence.rowId)).toMatchObject({ size: null, storedAt: null });
  });

  it('refuses content of another type, whatever its name, naming what it is', async () => {
    const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(200)]);
    const evidence = await evidenceDeclaring(server, world, sha256Of(elf));
    const files = filesIn(dir);
    const response = await upload(server, world.keys.investigator, evidence.id, elf);
    const refusal = await refusalOf(response);
    expect(refusal).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(refusal.message).toContain('an ELF executable');
    expect(filesIn(dir)).toEqual(files);
    expect(await contentColumns(db, evidence.rowId)).toMatchObject({ size: null, storedAt: null });
  });

  it('refuses callers without a key, roles that may not add evidence, malformed and missing ids', async () => {
    const evidence = await evidenceDeclaring(server, world, sha256Of(PDF.toString() + 'x'), {
      disclosedTo: world.gid.agencyX,
    });
    expect(await refusalOf(await upload(server, null, evidence.id, PDF))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(await refusalOf(await upload(server, 'not-a-key', evidence.id, PDF))).toMatchObject({ status: 401 });
    for (const key of [world.keys.agencyX, world.keys.brandA, world.keys.analyst])
      expect(await refusalOf(await upload(server, key, evidence.id, PDF))).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
    const malformed = await upload(server, world.keys.investigator, 'not-an-id', PDF);
    expect(await refusalOf(malformed)).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
    const missing = await upload(server, world.keys.investigator, 'RXZpZGVuY2U6OTk5OTk5', PDF);
    expect(await refusalOf(missing)).toEqual({ status: 404, code: 'NOT_FOUND', message: 'No evidence has this id.' });
    expect(await contentColumns(db, evidence.rowId)).toMatchObject({ size: null });
  });
});

describe('download', () => {
  let disclosed: { id: string; rowId: string };
  const content = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300_000, 7)]);

  beforeAll(async () => {
    disclosed = await evidenceDeclaring(server, world, sha256Of(content), { disclosedTo: world.gid.agencyX });
    expect((await upload(server, world.keys.investigator, disclosed.id, content)).status).toBe(201);
  });

  it('streams the exact bytes with their type, length and digest, and audits who, which file and why', async () => {
    const response = await download(server, world.keys.agencyX, disclosed.id, 'court hearing 2026-04-02');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('content-length')).toBe(String(content.length));
    expect(response.headers.get('repr-digest')).toBe(
      `sha-256=:${Buffer.from(sha256Of(content), 'hex').toString('base64')}:`,
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(sha256Of(bytes)).toBe(sha256Of(content));

    const events = await auditEvents(disclosed.rowId, 'evidence.contentDownloaded');
    expect(events).toHaveLength(1);
    const [agencyX] = await db.dataSource.query(
      `SELECT p.id::text FROM principal p JOIN agency a ON a.id = p.agency_id WHERE a.code = 'AG-X' LIMIT 1`,
    );
    expect(events[0]).toMatchObject({
      actorId: agencyX.id,
      after: {
        sha256: sha256Of(content),
        sizeBytes: content.length,
        mediaType: 'image/jpeg',
        reason: 'court hearing 2026-04-02',
      },
    });
  });

  it('refuses a download without a reason (400), recording nothing', async () => {
    const before = await auditEvents(disclosed.rowId, 'evidence.contentDownloaded');
    for (const reason of [undefined, '', '   ']) {
      const refusal = await refusalOf(await download(server, world.keys.investigator, disclosed.id, reason));
      expect(refusal).toMatchObject({ status: 400, code: 'REASON_REQUIRED' });
      expect(refusal.message).toContain('"reason"');
    }
    expect(await auditEvents(disclosed.rowId, 'evidence.contentDownloaded')).toEqual(before);
  });

  it('answers evidence not disclosed to an agency, or any to a brand, exactly as a missing id', async () => {
    const missing = await refusalOf(await download(server, world.keys.agencyY, 'RXZpZGVuY2U6OTk5OTk5', 'check'));
    expect(missing).toEqual({ status: 404, code: 'NOT_FOUND', message: 'No evidence has this id.' });
    expect(await refusalOf(await download(server, world.keys.agencyY, disclosed.id, 'check'))).toEqual(missing);
    expect(await refusalOf(await download(server, world.keys.brandA, disclosed.id, 'check'))).toEqual(missing);
    expect(await refusalOf(await download(server, null, disclosed.id, 'check'))).toMatchObject({ status: 401 });
    const head = await fetch(`${server.url}/evidence/${disclosed.id}/content?reason=check`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${world.keys.agencyX}` },
    });
    expect(head.status).toBe(405);
    const events = await auditEvents(disclosed.rowId, 'evidence.contentDownloaded');
    expect(events.filter((event: { after: { reason: string } }) => event.after.reason === 'check')).toEqual([]);
  });

  it('answers visible evidence without a file as such', async () => {
    const evidence = await evidenceDeclaring(server, world, sha256Of('never uploaded'));
    expect(await refusalOf(await download(server, world.keys.investigator, evidence.id, 'review'))).toMatchObject({
      status: 404,
      code: 'NO_CONTENT',
    });
  });

  it('refuses to serve a stored file that was altered, sending none of it and recording no download', async () => {
    const text = Buffer.from('Statement of the witness, signed.\n'.repeat(100));
    const evidence = await evidenceDeclaring(server, world, sha256Of(text));
    expect((await upload(server, world.keys.investigator, evidence.id, text)).status).toBe(201);
    const file = path.join(dir, sha256Of(text));
    const stored = fs.readFileSync(file);
    stored[100] ^= 0x01;
    fs.writeFileSync(file, stored);
    const response = await download(server, world.keys.investigator, evidence.id, 'review');
    const refusal = await refusalOf(response);
    expect(refusal).toMatchObject({ status: 500, code: 'EVIDENCE_INTEGRITY_FAILED' });
    expect(refusal.message).toContain('AES-GCM authentication');
    expect(await auditEvents(evidence.rowId, 'evidence.contentDownloaded')).toEqual([]);
  });
});
