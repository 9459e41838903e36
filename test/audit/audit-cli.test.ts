import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recordAudit } from '../../src/shared/audit/audit.service';
import { inTransaction, systemContext } from '../../src/shared/context';
import { testConfig } from '../support/server';
import { buildServer } from '../operations/support/server-process';
import { useTestServer } from '../support/harness';

/** `audit checkpoint` and `audit verify [--checkpoint FILE]` as an operator and a partner run them: the built `eca`. */

let cli: string;
const { db, server } = useTestServer({
  server: false,
  beforeServer: async () => {
    cli = path.join(path.dirname(buildServer()), 'cli.js');
  },
});
afterAll(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
});
let cwd: string;

beforeAll(async () => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-audit-cli-'));
}, 180_000);

function eca(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, NODE_ENV: 'test' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => void (stdout += chunk));
    child.stderr.on('data', (chunk) => void (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const appendEvents = (n: number) =>
  inTransaction(systemContext(db.dataSource, testConfig(), 'cli-test'), (tx) =>
    recordAudit(
      tx,
      ...Array.from({ length: n }, (_, i) => ({ action: 'cli.test', entityType: 'Brand', entityId: String(i + 1) })),
    ),
  );

describe('eca audit', () => {
  it('checkpoint prints a signed checkpoint as JSON on stdout, for a partner to keep; verify --checkpoint checks the log against it', async () => {
    const made = await eca('audit', 'checkpoint');
    expect(made.status).toBe(0);
    const checkpoint = JSON.parse(made.stdout);
    const [{ events }] = await db.dataSource.query('SELECT count(*)::int AS events FROM audit_event');
    expect(checkpoint).toMatchObject({
      origin: 'eca-audit-log',
      treeSize: events,
      note: expect.stringContaining(`\n${events}\n`),
    });
    expect(made.stderr).toMatch(
      new RegExp(`(^|\\n)signed a checkpoint of ${events} events \\(key ${checkpoint.keyId}\\)\\n$`),
    );
    const again = await eca('audit', 'checkpoint');
    expect(JSON.parse(again.stdout)).toEqual(checkpoint);
    expect(again.stderr).toMatch(/has not grown since the checkpoint/);
    fs.writeFileSync(path.join(cwd, 'kept.json'), made.stdout);

    await appendEvents(3);
    const verified = await eca('audit', 'verify', '--checkpoint', 'kept.json');
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(
      new RegExp(
        `^audit log intact: ${events + 3} events, root \\S+; the first ${events} covered by a signed checkpoint \\(the given one: ${events} events, .*\\); the events after it are signed\\n$`,
      ),
    );
  });

  it('verify exits 1 and names the truncation when the owner deletes the last event, with or without the kept checkpoint', async () => {
    await eca('audit', 'checkpoint');
    fs.writeFileSync(path.join(cwd, 'latest.json'), (await eca('audit', 'checkpoint')).stdout);
    const [last] = await db.dataSource.query('SELECT seq, after FROM audit_event ORDER BY leaf_index DESC LIMIT 1');
    await db.dataSource.query('DELETE FROM audit_event WHERE seq = $1', [last.seq]);
    for (const args of [['--checkpoint', 'latest.json'], []]) {
      const result = await eca('audit', 'verify', ...args);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/^audit log NOT intact \(\d+ problem\(s\)\)/);
      expect(result.stdout).toMatch(
        /\nTRUNCATED: the log holds \d+ events but .* covers \d+: the last 1 were removed \(truncated\)/,
      );
    }
  });

  it('verify refuses a file that is not a checkpoint, and a checkpoint whose signature is bad', async () => {
    fs.writeFileSync(path.join(cwd, 'not-json.json'), 'hello');
    const notJson = await eca('audit', 'verify', '--checkpoint', 'not-json.json');
    expect(notJson).toMatchObject({ status: 1, stdout: '' });
    expect(notJson.stderr).toMatch(/not-json.json is not JSON/);
    const kept = JSON.parse((await eca('audit', 'checkpoint')).stdout);
    fs.writeFileSync(
      path.join(cwd, 'bad.json'),
      JSON.stringify({ ...kept, signature: Buffer.alloc(64).toString('base64') }),
    );
    const bad = await eca('audit', 'verify', '--checkpoint', 'bad.json');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/\nBAD_CHECKPOINT: the checkpoint of \d+ events signed .* has a bad signature/);
  });
});
