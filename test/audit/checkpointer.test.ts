import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { ConfigError, DEMO_AUDIT_SIGNING_SEED, loadConfig } from '../../src/config';
import { rawPublicKey } from '../../src/shared/ed25519-keys';
import { makeCheckpoint } from '../../src/shared/audit/audit-checkpoint';
import { recordAudit, verifyAuditChain } from '../../src/shared/audit/audit.service';
import { inTransaction, systemContext } from '../../src/shared/context';
import { buildCase } from '../support/cases';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld } from '../support/fixtures';
import { startTestServer, testConfig } from '../support/server';

/** The signing key's settings, the server's checkpoints (timer, count, start), instances racing, key rotation. */

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://api:s3cret@db.internal:5432/enforcement',
  IDENTIFIER_HASH_KEY: 'a-production-secret-of-at-least-32-characters',
  CURSOR_KEY: 'c0'.repeat(32),
  EVIDENCE_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

const newKey = () => generateKeyPairSync('ed25519');
const seedOf = (pem: string) => createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' }).subarray(16);

describe('AUDIT_SIGNING_KEY and friends', () => {
  it('read the key as PKCS#8 PEM (newlines or \\n) or as a 32-byte seed in base64 or hex; the key id defaults to its fingerprint', () => {
    const { privateKey } = newKey();
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seed = seedOf(pem);
    const expected = rawPublicKey(privateKey);
    for (const raw of [pem, pem.replace(/\n/g, '\\n'), seed.toString('base64'), seed.toString('hex')]) {
      const { audit } = loadConfig({ AUDIT_SIGNING_KEY: raw });
      expect(rawPublicKey(audit.signingKey)).toEqual(expected);
      expect(audit.keyId).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(loadConfig({ AUDIT_SIGNING_KEY: pem, AUDIT_SIGNING_KEY_ID: 'audit-2026' }).audit.keyId).toBe('audit-2026');
    expect(loadConfig({}).audit).toMatchObject({ checkpointEvery: 1000, checkpointSeconds: 60 });
  });

  it('are required in production, where the demo key is refused, also among the old keys', () => {
    expect(problemsOf(PRODUCTION)).toContain('AUDIT_SIGNING_KEY is required in production');
    expect(problemsOf({ ...PRODUCTION, AUDIT_SIGNING_KEY: DEMO_AUDIT_SIGNING_SEED })).toContain(
      'AUDIT_SIGNING_KEY must be a key of your own in production (the demo key is refused)',
    );
    const demoPublic = rawPublicKey(loadConfig({}).audit.signingKey).toString('base64');
    const own = seedOf(newKey().privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()).toString('base64');
    expect(
      problemsOf({ ...PRODUCTION, AUDIT_SIGNING_KEY: own, AUDIT_OLD_PUBLIC_KEYS: `demo:${demoPublic}` }),
    ).toContain('AUDIT_OLD_PUBLIC_KEYS holds the demo public key');
    expect(loadConfig({ ...PRODUCTION, AUDIT_SIGNING_KEY: own }).audit.publicKeys.size).toBe(1);
  });

  it('name every bad value without repeating a secret', () => {
    const current = newKey();
    const seed = seedOf(current.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()).toString('base64');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(problemsOf({ AUDIT_SIGNING_KEY: 'short' })).toContain('AUDIT_SIGNING_KEY must be an Ed25519 private key');
    expect(problemsOf({ AUDIT_SIGNING_KEY: rsa })).toContain('AUDIT_SIGNING_KEY must be an Ed25519 private key');
    expect(problemsOf({ AUDIT_SIGNING_KEY_ID: 'has space' })).toContain('AUDIT_SIGNING_KEY_ID must be 1 to 64 letters');
    expect(problemsOf({ AUDIT_OLD_PUBLIC_KEYS: 'nokey' })).toContain(
      'AUDIT_OLD_PUBLIC_KEYS must be a comma-separated list of id:key',
    );
    const message = problemsOf({
      AUDIT_SIGNING_KEY: seed,
      AUDIT_SIGNING_KEY_ID: 'k2',
      AUDIT_OLD_PUBLIC_KEYS: `k2:${rawPublicKey(newKey().publicKey).toString('base64')},k1:${rawPublicKey(current.publicKey).toString('hex')}`,
      AUDIT_CHECKPOINT_EVERY: '0',
      AUDIT_CHECKPOINT_SECONDS: 'often',
    });
    expect(message).toContain('names the key id "k2" twice');
    expect(message).toContain('entry "k1" is the public key of the current AUDIT_SIGNING_KEY');
    expect(message).toContain('AUDIT_CHECKPOINT_EVERY must be a whole number from 1 to 10000000, got "0"');
    expect(message).toContain('AUDIT_CHECKPOINT_SECONDS must be a whole number from 1 to 86400, got "often"');
    expect(message).not.toContain(seed);
  });
});

describe("the server's checkpoints", () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  const checkpoints = async () =>
    (await db.dataSource.query('SELECT tree_size::int AS n FROM audit_checkpoint ORDER BY tree_size')).map(
      (r: any) => r.n,
    );
  const events = async () => (await db.dataSource.query('SELECT count(*)::int AS n FROM audit_event'))[0].n;
  async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('signs one at start, then every AUDIT_CHECKPOINT_SECONDS when the log grew, and stops with the server', async () => {
    const world = await createWorld(db.dataSource);
    const server = await startTestServer(db, { AUDIT_CHECKPOINT_SECONDS: '1' });
    try {
      expect(await checkpoints()).toEqual([await events()]);
      await buildCase(server, world, { tag: 'timer' });
      const size = await events();
      await until(async () => (await checkpoints()).at(-1) === size, 4000);
      // Nothing new: no new checkpoint.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await checkpoints()).filter((n: number) => n === size)).toHaveLength(1);
    } finally {
      await server.close();
    }
    // Stopped with it: a later event is not checkpointed.
    const before = await checkpoints();
    const config = testConfig();
    await inTransaction(systemContext(db.dataSource, config, 'after'), (tx) =>
      recordAudit(tx, { action: 'after.stop', entityType: 'Brand', entityId: '1' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await checkpoints()).toEqual(before);
  });

  it('signs one soon after every AUDIT_CHECKPOINT_EVERY events', async () => {
    const world = await createWorld(db.dataSource);
    const server = await startTestServer(db, { AUDIT_CHECKPOINT_EVERY: '10', AUDIT_CHECKPOINT_SECONDS: '3600' });
    try {
      const start = await events();
      expect(await checkpoints()).toEqual([start]);
      await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'count' });
      const size = await events();
      expect(size - start).toBeGreaterThanOrEqual(10);
      await until(async () => (await checkpoints()).length >= 2);
      const made = await checkpoints();
      expect(made.at(-1)).toBeGreaterThanOrEqual(Math.floor(size / 10) * 10 - 10);
      expect((await verifyAuditChain(db.dataSource.manager, { audit: server.config.audit })).ok).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('instances racing make one checkpoint of each size, the one that finds the lock taken leaves it to the other', async () => {
    const config = testConfig();
    const ctx = systemContext(db.dataSource, config, 'race');
    for (let round = 0; round < 5; round += 1) {
      await inTransaction(ctx, (tx) =>
        recordAudit(tx, { action: 'race', entityType: 'Brand', entityId: String(round + 1) }),
      );
      const outcomes = await Promise.all([
        makeCheckpoint(db.dataSource, config.audit, { wait: false }),
        makeCheckpoint(db.dataSource, config.audit, { wait: false }),
        makeCheckpoint(db.dataSource, config.audit, { wait: true }),
      ]);
      expect(outcomes.filter((o) => o.made)).toHaveLength(1);
      expect(outcomes.every((o) => !o.problem)).toBe(true);
    }
    expect(await checkpoints()).toEqual([1, 2, 3, 4, 5]);
  });

  it("survives a key rotation: the old key's events and checkpoints verify while its public key is listed", async () => {
    const ctxOf = (env: Record<string, string>) => {
      const config = testConfig(env);
      return { config, ctx: systemContext(db.dataSource, config, 'rotation') };
    };
    const key = (_name: string) =>
      seedOf(newKey().privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()).toString('base64');
    const oldSeed = key('old');
    const old = ctxOf({ AUDIT_SIGNING_KEY: oldSeed, AUDIT_SIGNING_KEY_ID: 'old' });
    const append = (c: typeof old, n: number) =>
      inTransaction(c.ctx, (tx) =>
        recordAudit(
          tx,
          ...Array.from({ length: n }, (_, i) => ({
            action: 'rotation',
            entityType: 'Brand',
            entityId: String(i + 1),
          })),
        ),
      );
    await append(old, 3);
    expect((await makeCheckpoint(db.dataSource, old.config.audit)).checkpoint!.keyId).toBe('old');
    await append(old, 2); // signed with the old key, not yet in a checkpoint

    const oldPublic = rawPublicKey(old.config.audit.signingKey).toString('base64');
    const rotated = ctxOf({
      AUDIT_SIGNING_KEY: key('new'),
      AUDIT_SIGNING_KEY_ID: 'new',
      AUDIT_OLD_PUBLIC_KEYS: `old:${oldPublic}`,
    });
    await append(rotated, 2);
    expect(await verifyAuditChain(db.dataSource.manager, { audit: rotated.config.audit })).toMatchObject({
      ok: true,
      checkpointTreeSize: 3,
    });
    const outcome = await makeCheckpoint(db.dataSource, rotated.config.audit);
    expect(outcome).toMatchObject({ made: true, checkpoint: { treeSize: 7, keyId: 'new' } });

    // Without the old public key, the old key's checkpoint no longer counts, and its events are unknown-key signed.
    const forgetful = ctxOf({ AUDIT_SIGNING_KEY: key('newer'), AUDIT_SIGNING_KEY_ID: 'newer' });
    const result = await verifyAuditChain(db.dataSource.manager, { audit: forgetful.config.audit });
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ kind: 'BAD_CHECKPOINT', message: expect.stringMatching(/key "new"/) });
  });
});
