import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCase, mutate } from '../support/cases';
import { World } from '../support/fixtures';
import { TestServer } from '../support/server';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { TestDatabase } from '../support/database';

export const sha256Of = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A folder of its own for a test server's evidence files. */
export const storageFolder = () => fs.mkdtempSync(path.join(os.tmpdir(), 'eca-evidence-'));

/** The files in the folder (an upload leaves none behind when it is refused). */
export const filesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

export const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/**
 * An evidence item of a new case of brand A whose declared sha256 is `declared`; with `disclosedTo`, disclosed
 * on a referral sent to that agency.
 */
export async function evidenceDeclaring(
  server: TestServer,
  world: World,
  declared: string,
  { disclosedTo, tag }: { disclosedTo?: string; tag?: string } = {},
): Promise<{ id: string; rowId: string }> {
  const ids = await buildCase(server, world, { tag: tag ?? declared.slice(0, 8) });
  const { evidence } = await mutate(
    server,
    world.keys.investigator,
    'addEvidence',
    {
      investigationId: ids.investigationId,
      kind: 'DOCUMENT',
      description: 'invoice of the test purchase',
      sha256: declared,
      storageKey: 'uploaded',
      collectedBy: 'Investigator Li',
      collectedAt: '2026-03-01T10:00:00Z',
    },
    'evidence { id }',
  );
  if (disclosedTo) {
    const { referral } = await mutate(
      server,
      world.keys.investigator,
      'createReferral',
      { investigationId: ids.investigationId, agencyId: disclosedTo, evidenceIds: [evidence.id], summary: 'files' },
      'referral { id }',
    );
    await mutate(server, world.keys.investigator, 'sendReferral', { referralId: referral.id }, 'referral { id }');
  }
  return { id: evidence.id, rowId: decodeGlobalId(evidence.id).rowId };
}

export function upload(server: TestServer, token: string | null, evidenceId: string, body: RequestInit['body']) {
  return fetch(`${server.url}/evidence/${evidenceId}/content`, {
    method: 'PUT',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body,
    duplex: 'half',
  } as RequestInit);
}

export function download(server: TestServer, token: string | null, evidenceId: string, reason?: string) {
  const query = reason === undefined ? '' : `?reason=${encodeURIComponent(reason)}`;
  return fetch(`${server.url}/evidence/${evidenceId}/content${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** An error answer without its request id (which differs between any two answers). */
export async function refusalOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
  return { status: response.status, code: body.errors[0].extensions.code, message: body.errors[0].message };
}

/** The evidence row's content columns, read as the owner. */
export async function contentColumns(db: TestDatabase, rowId: string) {
  const [row] = await db.dataSource.query(
    `SELECT content_size::text AS size, content_media_type AS "mediaType", content_stored_at AS "storedAt", version FROM evidence WHERE id = $1`,
    [rowId],
  );
  return row as { size: string | null; mediaType: string | null; storedAt: Date | null; version: number };
}
