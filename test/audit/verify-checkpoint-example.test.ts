import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkpointJson, makeCheckpoint } from '../../src/shared/audit/audit-checkpoint';
import { signCheckpoint } from '../../src/shared/audit/audit-signing';
import { buildCase } from '../support/cases';
import { useTestServer } from '../support/harness';

/** examples/verify-checkpoint.mjs, the partner's script, against a live server: as the README shows it. */

const run = promisify(execFile);
const { db, world, server } = useTestServer();
afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});
let workDir: string;

beforeAll(async () => {
  await buildCase(server, world, { referTo: world.gid.agencyX });
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-verify-checkpoint-'));
});

async function script(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      [path.resolve(__dirname, '../../examples/verify-checkpoint.mjs'), ...args],
      {
        cwd: workDir,
        env: { PATH: process.env.PATH ?? '', API_URL: `${server.url}/graphql`, API_KEY: world.keys.agencyY },
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

const keep = (name: string, value: unknown) =>
  fs.writeFileSync(path.join(workDir, name), JSON.stringify(value, null, 2));
const checkpointNow = async () =>
  checkpointJson((await makeCheckpoint(db.dataSource, server.config.audit)).checkpoint!);

describe('examples/verify-checkpoint.mjs', () => {
  it('keeps the first checkpoint it sees, then verifies that the log only grew since the one it keeps', async () => {
    const first = await script('partner.json');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/trusted on first use/);
    expect(first.stdout).toMatch(/RESULT: the audit log is consistent/);
    const kept = JSON.parse(fs.readFileSync(path.join(workDir, 'partner.json'), 'utf8'));

    await buildCase(server, world, { tag: 'grows' });
    const latest = await checkpointNow();
    const second = await script('partner.json', '--save');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      `kept checkpoint (partner.json): ${kept.treeSize} events, signed ${kept.timestamp} with key ${kept.keyId}: signature OK`,
    );
    expect(second.stdout).toMatch(
      new RegExp(
        `consistency proof ${kept.treeSize} -> ${latest.treeSize} events \\(\\d+ hashes\\): OK, the log only grew`,
      ),
    );
    expect(JSON.parse(fs.readFileSync(path.join(workDir, 'partner.json'), 'utf8')).treeSize).toBe(latest.treeSize);
  });

  it('verifies a checkpoint kept from `audit checkpoint`', async () => {
    keep('from-cli.json', await checkpointNow());
    await buildCase(server, world, { tag: 'more' });
    await checkpointNow();
    const result = await script('from-cli.json');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/OK, the log only grew/);
  });

  it('fails on a kept checkpoint that was tampered with', async () => {
    const good = await checkpointNow();
    keep('tampered.json', { ...good, rootHash: Buffer.alloc(32, 5).toString('base64') });
    const result = await script('tampered.json');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /FAILED: kept checkpoint \(tampered.json\): its fields differ from the signed note|FAILED: kept checkpoint \(tampered.json\): bad signature/,
    );
    expect(result.stdout).toMatch(/RESULT: NOT consistent/);
    keep('resigned.json', { ...good, signature: Buffer.alloc(64, 1).toString('base64') });
    expect((await script('resigned.json')).stdout).toMatch(/FAILED: kept checkpoint \(resigned.json\): bad signature/);
  });

  it('fails when the log is not the one the kept checkpoint signed (history rewritten with the key)', async () => {
    const good = await checkpointNow();
    // What the operator would have signed before rewriting the log: the same size, another root.
    keep('forked.json', signCheckpoint(server.config.audit, good.treeSize - 1, Buffer.alloc(32, 7)));
    await buildCase(server, world, { tag: 'after the fork' });
    await checkpointNow();
    const result = await script('forked.json');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /FAILED: consistency proof \d+ -> \d+ events does not verify: the log is not the one of the kept checkpoint/,
    );
  });

  it('fails when the log shrank below the kept checkpoint, and when a pinned key changes', async () => {
    const good = await checkpointNow();
    keep('ahead.json', signCheckpoint(server.config.audit, good.treeSize + 50, Buffer.alloc(32, 3)));
    expect((await script('ahead.json')).stdout).toMatch(
      /FAILED: the log now holds \d+ events, fewer than the \d+ of the kept checkpoint: events were removed \(truncated\)/,
    );

    keep('pinned.json', good);
    keep('pinned.json.keys.json', { [good.keyId]: Buffer.alloc(32, 9).toString('base64') });
    const result = await script('pinned.json');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAILED: key ${good.keyId} is not the key it was when first seen`));
  });
});
