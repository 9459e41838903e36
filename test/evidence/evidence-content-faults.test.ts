// Evidence files and referral packages when the change's last statement fails (its audit event refused): what the client is told is
// what the database kept, and a retry stores the file once.
import fs from 'node:fs';
import { APP_ROLE } from '../../src/shared/data-access/policies.sql';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { startTestServer, TestServer } from '../support/server';
import {
  contentColumns,
  download,
  evidenceDeclaring,
  PDF,
  refusalOf,
  sha256Of,
  storageFolder,
  upload,
} from './evidence-support';
import { buildPackagedCase } from './referral-package-support';

let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  dir = storageFolder();
  server = await startTestServer(db, { EVIDENCE_STORAGE_DIR: dir });
});
afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const events = async (rowId: string, action: string) =>
  (
    await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE entity_type = 'Evidence' AND entity_id = $1 AND action = $2`,
      [rowId, action],
    )
  )[0].n;

/** Runs `work` while the API's role may not append to the audit log. */
async function withAuditRefused<T>(work: () => Promise<T>): Promise<T> {
  await db.dataSource.query(`REVOKE INSERT ON audit_event FROM ${APP_ROLE}`);
  try {
    return await work();
  } finally {
    await db.dataSource.query(`GRANT INSERT ON audit_event TO ${APP_ROLE}`);
  }
}

it('an upload whose audit event is refused answers an internal error and keeps nothing on the evidence; a retry stores it', async () => {
  const evidence = await evidenceDeclaring(server, world, sha256Of(PDF));
  const before = await contentColumns(db, evidence.rowId);
  const refused = await withAuditRefused(() => upload(server, world.keys.investigator, evidence.id, PDF));
  expect(await refusalOf(refused)).toMatchObject({ status: 500, code: 'INTERNAL_SERVER_ERROR' });
  expect(await contentColumns(db, evidence.rowId)).toEqual(before);
  expect(await events(evidence.rowId, 'evidence.contentStored')).toBe(0);

  const retried = await upload(server, world.keys.investigator, evidence.id, PDF);
  expect(retried.status).toBe(201);
  expect(await contentColumns(db, evidence.rowId)).toMatchObject({
    size: String(PDF.length),
    mediaType: 'application/pdf',
    version: before.version + 1,
  });
  expect(await events(evidence.rowId, 'evidence.contentStored')).toBe(1);
});

it('a download whose audit event is refused sends no byte of the file and records no download', async () => {
  const evidence = await evidenceDeclaring(server, world, sha256Of(PDF));
  expect((await upload(server, world.keys.investigator, evidence.id, PDF)).status).toBe(201);
  const refused = await withAuditRefused(() => download(server, world.keys.investigator, evidence.id, 'hearing'));
  expect(refused.headers.get('content-type')).toMatch(/application\/json/);
  expect(await refusalOf(refused)).toMatchObject({ status: 500, code: 'INTERNAL_SERVER_ERROR' });
  expect(await events(evidence.rowId, 'evidence.contentDownloaded')).toBe(0);
});

it('a referral package whose audit event is refused is not sent, and no export is recorded', async () => {
  const packaged = await buildPackagedCase(server, world, dir, [2000, 1000]);
  const refused = await withAuditRefused(() =>
    fetch(`${server.url}/referrals/${packaged.referralId}/package`, {
      headers: { authorization: `Bearer ${world.keys.agencyX}` },
    }),
  );
  expect(refused.status).toBe(500);
  expect(refused.headers.get('content-type')).toMatch(/application\/json/);
  const [{ n }] = await db.dataSource.query(
    `SELECT count(*)::int AS n FROM audit_event WHERE action = 'referral.packageExported'`,
  );
  expect(n).toBe(0);
});
