// GET /referrals/{id}/package: the receiving agency and the internal roles download what the agency may read,
// nothing more; another agency's, a draft and a missing id are one and the same 404; each package is audited.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifyPackage } from '../../src/export/package/verify-package';
import { hashToken } from '../../src/shared/auth/api-key-token';
import { buildCase, mutate } from '../support/cases';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { dataOf, startTestServer, TestServer } from '../support/server';
import { buildPackagedCase, PackagedCase, readArchive, rowIdOf } from './referral-package-support';

let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;
let packaged: PackagedCase;
let referralOfY: string;
let draftOfX: string;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await createWorld(db.dataSource);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-package-http-'));
  server = await startTestServer(db, { EVIDENCE_STORAGE_DIR: path.join(dir, 'storage') });
  packaged = await buildPackagedCase(server, world, dir);
  referralOfY = (await buildCase(server, world, { referTo: world.gid.agencyY, tag: 'Y' })).referralId!;
  draftOfX = (await buildCase(server, world, { referTo: world.gid.agencyX, send: false, tag: 'draft' })).referralId!;
}, 120_000);
afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function download(token: string | null, referralId: string) {
  const response = await fetch(`${server.url}/referrals/${referralId}/package`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}
const exportEvents = (): Promise<{ entity_id: string; actor_id: string; after: Record<string, unknown> }[]> =>
  db.dataSource.query(
    `SELECT entity_id::text, actor_id::text, after FROM audit_event WHERE action = 'referral.packageExported' ORDER BY seq`,
  );
const liaisonOf = async (agencyId: string) =>
  (
    await db.dataSource.query(
      `SELECT id::text FROM principal WHERE agency_id = $1 AND role = 'AGENCY_LIAISON' ORDER BY id LIMIT 1`,
      [agencyId],
    )
  )[0].id;
async function manifestOf(token: string, referralId: string) {
  const response = await download(token, referralId);
  expect(response.status).toBe(200);
  const file = path.join(dir, `${referralId}-${Date.now()}.tar`);
  fs.writeFileSync(file, response.body);
  return { file, manifest: JSON.parse(readArchive(file)[0].data.toString('utf8')) };
}

describe('the receiving agency', () => {
  it('downloads a tar that verifies with the published keys, and the download is in the audit log', async () => {
    const before = (await exportEvents()).length;
    const response = await download(world.keys.agencyX, packaged.referralId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-tar');
    const file = path.join(dir, 'x.tar');
    fs.writeFileSync(file, response.body);
    const entries = readArchive(file);
    const manifest = JSON.parse(entries[0].data.toString('utf8'));
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${manifest.referral.reference}.tar"`,
    );
    // Each disclosed item's uploaded file, under its SHA-256, as the evidence storage holds it (decrypted).
    const files = manifest.evidence.map((item: { sha256: string }) => `files/${item.sha256}`);
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', 'manifest.sig', ...files]);
    for (const entry of entries.slice(2))
      expect(createHash('sha256').update(entry.data).digest('hex')).toBe(entry.name.slice('files/'.length));

    const keys = await (await fetch(`${server.url}/audit/keys`)).text();
    const report = verifyPackage(file, keys);
    expect(report.lines.filter((l) => l.status === 'FAIL')).toEqual([]);
    expect(report.lines.filter((l) => /not held by the API/.test(l.detail))).toEqual([]);

    const events = await exportEvents();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toEqual({
      entity_id: rowIdOf(packaged.referralId),
      actor_id: await liaisonOf(world.ids.agencyX),
      after: expect.objectContaining({
        reference: manifest.referral.reference,
        agencyCode: 'AG-X',
        manifestSha256: createHash('sha256').update(entries[0].data).digest('hex'),
        evidenceItems: 2,
        files: 2,
      }),
    });
  });

  it('holds exactly what agency X reads through GraphQL: no undisclosed item, nor any audit event about it', async () => {
    const { manifest } = await manifestOf(world.keys.agencyX, packaged.referralId);
    const query = async (text: string, id: string) =>
      dataOf(await server.gql(world.keys.agencyX, `query($id: ID!) { node(id: $id) { ${text} } }`, { id })).node;
    const node = await query(
      '... on Referral { outcomes { id } disclosedEvidence { id custodyTransfers { id } } investigation { id } }',
      packaged.referralId,
    );
    const { leads } = await query(
      '... on Investigation { leads(first: 50) { edges { node { id sellers { id } } } } }',
      node.investigation.id,
    );
    const leadNodes = leads.edges.map((e: any) => e.node);
    const listings = [];
    for (const lead of leadNodes)
      listings.push(
        ...(await query('... on Lead { listings(first: 50) { edges { node { id } } } }', lead.id)).listings.edges.map(
          (e: any) => e.node,
        ),
      );
    const ids = (list: { id: string }[]) => [...new Set(list.map((x) => x.id))].sort();
    expect(manifest.investigation.id).toBe(node.investigation.id);
    expect(ids(manifest.leads)).toEqual(ids(leadNodes));
    expect(ids(manifest.sellers)).toEqual(ids(leadNodes.flatMap((l: any) => l.sellers)));
    expect(ids(manifest.listings)).toEqual(ids(listings));
    expect(ids(manifest.evidence)).toEqual(ids(node.disclosedEvidence));
    expect(ids(manifest.evidence.flatMap((item: any) => item.custody))).toEqual(
      ids(node.disclosedEvidence.flatMap((item: any) => item.custodyTransfers)),
    );
    expect(ids(manifest.outcomes)).toEqual(ids(node.outcomes));
    expect(ids(manifest.evidence)).not.toContain(packaged.undisclosed);
    const hidden = rowIdOf(packaged.undisclosed);
    expect(manifest.audit.events.filter((e: any) => e.entityType === 'Evidence' && e.entityId === hidden)).toEqual([]);
    // The undisclosed item does exist, with its audit events: added, its file stored (owner connection).
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE entity_type = 'Evidence' AND entity_id = $1`,
      [hidden],
    );
    expect(n).toBe(2);
  });
  it('shows a hand-over the agency acknowledged as such, proven by the event that records it', async () => {
    const before = (await manifestOf(world.keys.agencyX, packaged.referralId)).manifest;
    const awaited = before.evidence[0].custody[1];
    expect(awaited).toMatchObject({ acknowledgement: 'AWAITED', acknowledgedAt: null, toAgency: { code: 'AG-X' } });
    await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeCustodyTransfer',
      { custodyTransferId: awaited.id },
      'custodyTransfer { id }',
    );
    const { file, manifest } = await manifestOf(world.keys.agencyX, packaged.referralId);
    const [row] = await db.dataSource.query('SELECT acknowledged_at FROM custody_transfer WHERE id = $1', [
      rowIdOf(awaited.id),
    ]);
    expect(manifest.evidence[0].custody[1]).toMatchObject({
      acknowledgement: 'ACKNOWLEDGED',
      acknowledgedAt: row.acknowledged_at.toISOString(),
    });
    expect(manifest.audit.events.at(-1)).toMatchObject({
      action: 'evidence.custodyAcknowledged',
      entityType: 'CustodyTransfer',
      entityId: rowIdOf(awaited.id),
    });
    const report = verifyPackage(file, await (await fetch(`${server.url}/audit/keys`)).text());
    expect(report.ok).toBe(true);
    expect(report.lines).toContainEqual({
      status: 'PASS',
      check: `hand-over 2 (${awaited.id}) of evidence ${manifest.evidence[0].id}`,
      detail: `acknowledged by AG-X at ${row.acknowledged_at.toISOString()}, as the audit log records`,
    });
    expect(report.lines.filter((l) => /not acknowledged/.test(l.detail))).toEqual([]);
    // The standalone script says the same.
    const keysFile = path.join(dir, 'keys.json');
    fs.writeFileSync(keysFile, await (await fetch(`${server.url}/audit/keys`)).text());
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.resolve(__dirname, '../../examples/verify-package.mjs'),
      file,
      '--public-key',
      keysFile,
    ]);
    expect(stdout).toContain(`acknowledged by AG-X at ${row.acknowledged_at.toISOString()}, as the audit log records`);
    expect(stdout).toMatch(/^RESULT: VERIFIED/m);
  });
});

describe('another caller', () => {
  it('an internal role downloads what the agency receives, not what it reads itself; each download is audited', async () => {
    const before = (await exportEvents()).length;
    const ofAgency = (await manifestOf(world.keys.agencyX, packaged.referralId)).manifest;
    for (const token of [world.keys.investigator, world.keys.admin]) {
      const { manifest } = await manifestOf(token, packaged.referralId);
      const { createdAt: _a, audit: _b, ...content } = manifest;
      const { createdAt: _c, audit: _d, ...agencyContent } = ofAgency;
      expect(content).toEqual(agencyContent);
    }
    const events = await exportEvents();
    expect(events).toHaveLength(before + 3);
    expect(events.at(-2)!.actor_id).toBe(
      (await db.dataSource.query(`SELECT id::text FROM principal WHERE role = 'INVESTIGATOR' ORDER BY id LIMIT 1`))[0]
        .id,
    );
  });

  it("agency Y gets for X's package the same 404 as for a missing id; a draft is one too; nothing is audited", async () => {
    const before = (await exportEvents()).length;
    const missing = Buffer.from('Referral:999999999').toString('base64url');
    const answers = await Promise.all([
      download(world.keys.agencyY, packaged.referralId),
      download(world.keys.agencyY, missing),
      download(world.keys.agencyX, missing),
      download(world.keys.agencyX, draftOfX),
      download(world.keys.agencyX, referralOfY),
      download(world.keys.agencyX, 'not-an-id'),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body.toString('utf8')).toBe(answers[1].body.toString('utf8'));
    }
    expect(JSON.parse(answers[0].body.toString('utf8'))).toEqual({
      errors: [{ message: 'No referral has this id.', extensions: { code: 'NOT_FOUND' } }],
    });
    // Y's own referral is its to download.
    expect((await download(world.keys.agencyY, referralOfY)).status).toBe(200);
    expect((await exportEvents()).length).toBe(before + 1);
  });

  it('a key revoked since it was last used gets 401 at once (not the minute the server keeps keys), nothing audited', async () => {
    const liaison = await liaisonOf(world.ids.agencyX);
    const { token } = await mutate(
      server,
      world.keys.admin,
      'createApiKey',
      { name: 'package key to revoke', principalId: Buffer.from(`Principal:${liaison}`).toString('base64url') },
      'token',
    );
    expect((await download(token, packaged.referralId)).status).toBe(200);
    const before = (await exportEvents()).length;
    await db.dataSource.query(`UPDATE api_key SET revoked_at = now() WHERE token_hash = $1`, [hashToken(token)]);
    const refused = await download(token, packaged.referralId);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body.toString('utf8')).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await exportEvents()).length).toBe(before);
  });

  it('a brand partner and an analyst are refused (403), a caller without a key 401; an internal role is told a draft has no package', async () => {
    const before = (await exportEvents()).length;
    for (const token of [world.keys.brandA, world.keys.analyst]) {
      const refused = await download(token, packaged.referralId);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body.toString('utf8')).errors[0].extensions.code).toBe('FORBIDDEN');
    }
    expect((await download(null, packaged.referralId)).status).toBe(401);
    const draft = await download(world.keys.investigator, draftOfX);
    expect(draft.status).toBe(409);
    expect(JSON.parse(draft.body.toString('utf8')).errors[0]).toMatchObject({
      message: expect.stringMatching(/is a draft: nothing of it has been disclosed to its agency/),
      extensions: { code: 'NOT_SENT' },
    });
    expect((await exportEvents()).length).toBe(before);
  });
});
