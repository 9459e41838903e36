import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { Client } from 'pg';
import { chainHash } from '../../src/shared/audit/audit-chain';
import { makeCheckpoint, StoredCheckpoint } from '../../src/shared/audit/audit-checkpoint';
import type { SignedCheckpoint } from '../../src/shared/audit/audit-signing';
import { verifyAuditChain } from '../../src/shared/audit/audit.service';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/shared/audit/merkle';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, CaseIds, mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

/**
 * The audit log as an outsider verifies it (README, "Verifying the audit log"): signed checkpoints, proofs,
 * and what `audit verify --checkpoint` says when an insider tampers with the log through the database: as
 * the owner (delete, alter, reorder) or as the API's role `eca_app` (an event or a checkpoint added
 * without the signing key).
 */

const { db, world, server } = useTestServer();
let caseX: CaseIds;
let caseY: CaseIds;

beforeAll(async () => {
  caseX = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'for X' });
  caseY = await buildCase(server, world, { referTo: world.gid.agencyY, tag: 'for Y' });
});

const CHECKPOINT = '{ auditCheckpoint { origin treeSize rootHash timestamp keyId signature note } }';
const PROOF_FIELDS = 'inclusionProof { leafIndex treeSize leafHash hashes }';
const b64 = (s: string) => Buffer.from(s, 'base64');

/** A checkpoint signed now, as the command line makes one for a partner to keep. */
async function checkpointNow(): Promise<StoredCheckpoint> {
  const outcome = await makeCheckpoint(db.dataSource, server.config.audit);
  expect(outcome.problem).toBeUndefined();
  return outcome.checkpoint!;
}

const verify = (checkpoint?: SignedCheckpoint) =>
  verifyAuditChain(db.dataSource.manager, { audit: server.config.audit, checkpoint });
const kinds = (result: { problems: { kind: string }[] }) => result.problems.map((p) => p.kind);

/** A client connected as the API's role, as an insider with the application's credentials would be. */
async function asApiRole<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: db.url, options: '-c role=eca_app' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('checkpoints and keys', () => {
  it('GET /audit/keys publishes the public key, and every role reads the latest checkpoint, signed with it', async () => {
    const keys: any = await (await fetch(`${server.url}/audit/keys`)).json();
    expect(keys.origin).toBe('eca-audit-log');
    expect(keys.keys).toEqual([
      expect.objectContaining({ keyId: server.config.audit.keyId, algorithm: 'Ed25519', current: true }),
    ]);
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: b64(keys.keys[0].publicKey).toString('base64url') },
      format: 'jwk',
    });
    expect(createPublicKey(keys.keys[0].publicKeyPem).equals(publicKey)).toBe(true);

    const signed = await checkpointNow();
    const [{ events }] = await db.dataSource.query('SELECT count(*)::int AS events FROM audit_event');
    expect(signed.treeSize).toBe(events);
    for (const token of Object.values(world.keys)) {
      const { auditCheckpoint } = dataOf(await server.gql(token, CHECKPOINT));
      expect(auditCheckpoint).toEqual({
        origin: 'eca-audit-log',
        treeSize: signed.treeSize,
        rootHash: signed.rootHash,
        timestamp: signed.timestamp,
        keyId: signed.keyId,
        signature: signed.signature,
        note: signed.note,
      });
    }
    expect(verifySignature(null, Buffer.from(signed.note), publicKey, b64(signed.signature))).toBe(true);
    expect(signed.note).toBe(`eca-audit-log\n${signed.treeSize}\n${signed.rootHash}\n${signed.timestamp}\n`);
  });

  it('a consistency proof shows a newer checkpoint extends an older one; sizes past the latest checkpoint are refused', async () => {
    const older = await checkpointNow();
    await buildCase(server, world, { tag: 'more events' });
    const newer = await checkpointNow();
    expect(newer.treeSize).toBeGreaterThan(older.treeSize);
    const PROOF = 'query($from: Int!, $to: Int!) { auditConsistencyProof(fromSize: $from, toSize: $to) }';
    const { auditConsistencyProof } = dataOf(
      await server.gql(world.keys.brandB, PROOF, { from: older.treeSize, to: newer.treeSize }),
    );
    expect(
      verifyConsistency(
        older.treeSize,
        newer.treeSize,
        b64(older.rootHash),
        b64(newer.rootHash),
        auditConsistencyProof.map(b64),
      ),
    ).toBe(true);
    expect(
      verifyConsistency(
        older.treeSize,
        newer.treeSize,
        b64(newer.rootHash),
        b64(newer.rootHash),
        auditConsistencyProof.map(b64),
      ),
    ).toBe(false);
    for (const [from, to] of [
      [older.treeSize, newer.treeSize + 1],
      [0, newer.treeSize],
      [newer.treeSize, older.treeSize],
    ]) {
      const answer = await server.gql(world.keys.agencyX, PROOF, { from, to });
      expect(answer.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('inclusion proofs', () => {
  const TRAIL = `query($id: ID!, $size: Int) { auditTrail(entityId: $id, first: 50) { nodes { action ${PROOF_FIELDS.replace('inclusionProof', 'inclusionProof(treeSize: $size)')} } } }`;

  it('verify for every event the caller can see, against the checkpoint of their tree size', async () => {
    const older = await checkpointNow();
    await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeReferral',
      { referralId: caseX.referralId },
      'referral { id }',
    );
    const latest = await checkpointNow();
    const cases: [string, string][] = [
      [world.keys.brandA, caseX.leadId],
      [world.keys.agencyX, caseX.referralId!],
      [world.keys.agencyY, caseY.referralId!],
      [world.keys.analyst, caseY.leadId],
    ];
    let proofs = 0;
    for (const [token, id] of cases) {
      for (const checkpoint of [latest, older]) {
        const { auditTrail } = dataOf(
          await server.gql(token, TRAIL, { id, size: checkpoint === latest ? null : checkpoint.treeSize }),
        );
        expect(auditTrail.nodes.length).toBeGreaterThan(0);
        for (const { inclusionProof: proof } of auditTrail.nodes) {
          if (proof === null) continue; // appended after that checkpoint
          expect(proof.treeSize).toBe(checkpoint.treeSize);
          expect(
            verifyInclusion(
              proof.leafIndex,
              proof.treeSize,
              b64(proof.leafHash),
              proof.hashes.map(b64),
              b64(checkpoint.rootHash),
            ),
          ).toBe(true);
          const [event] = await db.dataSource.query('SELECT hash FROM audit_event WHERE leaf_index = $1', [
            proof.leafIndex,
          ]);
          expect(proof.leafHash).toBe(leafHash(Buffer.from(event.hash, 'hex')).toString('base64'));
          proofs += 1;
        }
      }
    }
    expect(proofs).toBeGreaterThan(10);
    // The acknowledgement came after the older checkpoint: no proof in that tree, one in the latest.
    const { auditTrail } = dataOf(
      await server.gql(world.keys.agencyX, TRAIL, { id: caseX.referralId, size: older.treeSize }),
    );
    expect(auditTrail.nodes.at(-1)).toEqual({ action: 'referral.acknowledged', inclusionProof: null });
  });

  it("an agency cannot get a proof for another agency's event: the same answer as for a record that does not exist", async () => {
    await checkpointNow();
    const missing = toGlobalId('Referral', '987654321');
    const theirs = await server.gql(world.keys.agencyX, TRAIL, { id: caseY.referralId, size: null });
    const none = await server.gql(world.keys.agencyX, TRAIL, { id: missing, size: null });
    expect(theirs.body).toEqual({ data: { auditTrail: null }, extensions: expect.anything() });
    expect({ ...theirs.body, extensions: undefined }).toEqual({ ...none.body, extensions: undefined });
    expect(theirs.status).toBe(none.status);
    // Nor through the case's history.
    const HISTORY = `query($id: ID!) { node(id: $id) { ... on Investigation { history(first: 50) { nodes { ${PROOF_FIELDS} } } } } }`;
    const investigation = await server.gql(world.keys.agencyX, HISTORY, { id: caseY.investigationId });
    expect(investigation.body.data).toEqual({ node: null });
    const own = dataOf(await server.gql(world.keys.agencyY, HISTORY, { id: caseY.investigationId }));
    expect(own.node.history.nodes.some((n: any) => n.inclusionProof !== null)).toBe(true);
  });
});

describe("audit verify --checkpoint: what an insider's tampering looks like", () => {
  let kept: StoredCheckpoint;
  beforeAll(async () => {
    await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'before the partner keeps a checkpoint' });
    kept = await checkpointNow();
    await buildCase(server, world, { tag: 'after it' });
  });

  it("an intact log verifies against the partner's checkpoint and the latest in the database, and answers its head", async () => {
    const result = await verify(kept);
    expect(result).toMatchObject({
      ok: true,
      problems: [],
      checkpointTreeSize: kept.treeSize,
      rootHash: expect.any(String),
    });
    const [{ events }] = await db.dataSource.query('SELECT count(*)::int AS events FROM audit_event');
    expect(result.treeSize).toBe(events);
    expect(result.eventsChecked).toBe(events);
    const { auditChainVerification } = dataOf(
      await server.gql(
        world.keys.admin,
        '{ auditChainVerification { ok treeSize rootHash checkpointTreeSize problems { kind } } }',
      ),
    );
    expect(auditChainVerification).toEqual({
      ok: true,
      treeSize: events,
      rootHash: result.rootHash,
      checkpointTreeSize: kept.treeSize,
      problems: [],
    });
  });

  it('names an event whose content was altered', async () => {
    const [victim] = await db.dataSource.query(
      `SELECT seq::text AS seq, after FROM audit_event WHERE action = 'lead.triaged' ORDER BY seq LIMIT 1`,
    );
    await db.dataSource.query(`UPDATE audit_event SET after = jsonb_set(after, '{riskScore}', '1') WHERE seq = $1`, [
      victim.seq,
    ]);
    try {
      const result = await verify(kept);
      expect(result.ok).toBe(false);
      expect(result.problems[0]).toMatchObject({
        kind: 'ALTERED',
        seq: victim.seq,
        message: expect.stringMatching(/content does not match its hash: the event was altered/),
      });
      expect(result.firstBrokenSeq).toBe(victim.seq);
    } finally {
      await db.dataSource.query('UPDATE audit_event SET after = $2 WHERE seq = $1', [victim.seq, victim.after]);
    }
    expect((await verify(kept)).ok).toBe(true);
  });

  it('names two events swapped in the log', async () => {
    const [a, b] = await db.dataSource.query(
      `SELECT seq::text AS seq, leaf_index::text AS leaf FROM audit_event WHERE leaf_index IN (5, 9) ORDER BY leaf_index`,
    );
    const swap = async (x: typeof a, y: typeof a) => {
      await db.dataSource.query('UPDATE audit_event SET leaf_index = -1 WHERE seq = $1', [x.seq]);
      await db.dataSource.query('UPDATE audit_event SET leaf_index = $2 WHERE seq = $1', [y.seq, x.leaf]);
      await db.dataSource.query('UPDATE audit_event SET leaf_index = $2 WHERE seq = $1', [x.seq, y.leaf]);
    };
    await swap(a, b);
    try {
      const result = await verify(kept);
      expect(result.ok).toBe(false);
      expect(result.problems[0]).toMatchObject({
        kind: 'REORDERED',
        seq: b.seq,
        message: expect.stringMatching(/events were reordered/),
      });
      // The partner's root no longer comes out of the log either.
      expect(
        result.problems.some((p) => p.kind === 'ALTERED' && /root hash of the checkpoint of/.test(p.message)),
      ).toBe(true);
    } finally {
      await swap({ seq: a.seq, leaf: b.leaf }, { seq: b.seq, leaf: a.leaf });
    }
    expect((await verify(kept)).ok).toBe(true);
  });

  it('names an event appended as eca_app without the signing key, and no checkpoint ever covers it', async () => {
    const forged = await asApiRole(async (client) => {
      const {
        rows: [head],
      } = await client.query('SELECT hash, leaf_index + 1 AS next FROM audit_event ORDER BY leaf_index DESC LIMIT 1');
      const {
        rows: [{ seq }],
      } = await client.query(`SELECT nextval(pg_get_serial_sequence('audit_event', 'seq'))::text AS seq`);
      const content = {
        seq,
        at: new Date(),
        actorId: null,
        actorLabel: 'Investigator Li (INVESTIGATOR)',
        action: 'referral.closed',
        entityType: 'Referral',
        entityId: '1',
        before: { status: 'SENT' },
        after: { status: 'CLOSED' },
        requestId: null,
      };
      const hash = chainHash(head.hash, content);
      await client.query(
        `INSERT INTO audit_event (seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash, leaf_index)
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11)`,
        [
          seq,
          content.at,
          content.actorLabel,
          content.action,
          content.entityType,
          content.entityId,
          content.before,
          content.after,
          head.hash,
          hash,
          head.next,
        ],
      );
      return { seq, leaf: Number(head.next) };
    });
    try {
      // The chain alone is intact: it is the signature that is missing.
      const result = await verify(kept);
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([
        expect.objectContaining({
          kind: 'UNSIGNED',
          seq: forged.seq,
          message: expect.stringMatching(/no valid signature .* added by someone without the signing key/),
        }),
      ]);
      // A signature that is not the key's, under the key's id, does no better.
      await db.dataSource.query('UPDATE audit_event SET signature = $2, key_id = $3 WHERE seq = $1', [
        forged.seq,
        Buffer.alloc(64, 7),
        server.config.audit.keyId,
      ]);
      expect(kinds(await verify(kept))).toEqual(['UNSIGNED']);
      // The server refuses to sign a checkpoint over it: it signs the log up to the event before, and says why.
      const outcome = await makeCheckpoint(db.dataSource, server.config.audit);
      expect(outcome.problem).toMatch(
        new RegExp(`event seq ${forged.seq} \\(leaf ${forged.leaf}\\) has no valid signature`),
      );
      expect(outcome.checkpoint!.treeSize).toBe(forged.leaf);
      expect(kinds(await verify(kept))).toEqual(['UNSIGNED']);
      expect(dataOf(await server.gql(world.keys.agencyX, CHECKPOINT)).auditCheckpoint.treeSize).toBe(forged.leaf);
    } finally {
      await db.dataSource.query('DELETE FROM audit_event WHERE seq = $1', [forged.seq]);
    }
    expect((await verify(kept)).ok).toBe(true);
  });

  it('names a checkpoint row added as eca_app without the key, and keeps answering the real one', async () => {
    const real = dataOf(await server.gql(world.keys.brandA, CHECKPOINT)).auditCheckpoint;
    await asApiRole((client) =>
      client.query(
        `INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, key_id, note, signature) VALUES ($1, $2, now(), $3, $4, $5)`,
        [real.treeSize + 1000, Buffer.alloc(32), real.keyId, real.note, Buffer.alloc(64, 1)],
      ),
    );
    try {
      const result = await verify(kept);
      expect(result.ok).toBe(false);
      expect(result.problems[0]).toMatchObject({
        kind: 'BAD_CHECKPOINT',
        message: expect.stringMatching(new RegExp(`checkpoint of ${real.treeSize + 1000} events .* does not verify`)),
      });
      expect(dataOf(await server.gql(world.keys.brandA, CHECKPOINT)).auditCheckpoint).toEqual(real);
    } finally {
      await db.dataSource.query('DELETE FROM audit_checkpoint WHERE tree_size = $1', [real.treeSize + 1000]);
    }
  });

  it("refuses a partner's checkpoint whose signature or content was changed", async () => {
    const otherRoot = { ...kept, rootHash: Buffer.alloc(32, 9).toString('base64') };
    const otherSignature = {
      ...kept,
      signature: Buffer.from(b64(kept.signature).map((byte, i) => (i === 0 ? byte ^ 1 : byte))).toString('base64'),
    };
    const otherNote = {
      ...kept,
      note: kept.note.replace(`\n${kept.treeSize}\n`, `\n${kept.treeSize - 1}\n`),
      treeSize: kept.treeSize - 1,
    };
    for (const checkpoint of [otherRoot, otherSignature, otherNote]) {
      const result = await verify(checkpoint);
      expect(result.problems[0]).toMatchObject({
        kind: 'BAD_CHECKPOINT',
        message: expect.stringMatching(/bad signature/),
      });
    }
    expect((await verify({ ...kept, keyId: 'someone-else' })).problems[0].message).toMatch(
      /key "someone-else", which is not one of this log's keys/,
    );
  });

  it('names the truncation when the owner deletes the last event, and the replaced event after one normal write', async () => {
    const latest = await checkpointNow();
    const [last] = await db.dataSource.query(
      'SELECT seq::text AS seq FROM audit_event ORDER BY leaf_index DESC LIMIT 1',
    );
    await db.dataSource.query('DELETE FROM audit_event WHERE seq = $1', [last.seq]);

    for (const checkpoint of [latest, undefined]) {
      const result = await verify(checkpoint);
      expect(result.ok).toBe(false);
      expect(result.problems[0]).toMatchObject({
        kind: 'TRUNCATED',
        message: expect.stringMatching(
          new RegExp(
            `holds ${latest.treeSize - 1} events but .* covers ${latest.treeSize}: the last 1 were removed \\(truncated\\)`,
          ),
        ),
      });
    }
    const admin = dataOf(
      await server.gql(world.keys.admin, '{ auditChainVerification { ok treeSize problems { kind message } } }'),
    ).auditChainVerification;
    expect(admin).toMatchObject({
      ok: false,
      treeSize: latest.treeSize - 1,
      problems: [expect.objectContaining({ kind: 'TRUNCATED' })],
    });

    // One normal write takes the deleted event's place in the log: the chain is whole again, the tree is not.
    await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description: 'one normal write', sellerIds: [world.gid.sellerA] },
      'lead { id }',
    );
    const [{ events }] = await db.dataSource.query('SELECT count(*)::int AS events FROM audit_event');
    expect(events).toBe(latest.treeSize);
    for (const checkpoint of [latest, kept, undefined]) {
      const result = await verify(checkpoint);
      expect(result.ok).toBe(false);
      expect(result.problems.map((p) => p.kind)).toContain('ALTERED');
      expect(result.problems.find((p) => p.kind === 'ALTERED')!.message).toMatch(
        new RegExp(`the first ${latest.treeSize} events do not give the root hash`),
      );
    }
    // The partner's older checkpoint still holds: what it covers was not touched.
    const older = await verify(kept);
    expect(older.problems.every((p) => !p.message.includes(`the checkpoint of ${kept.treeSize} events signed`))).toBe(
      true,
    );
  });
});
