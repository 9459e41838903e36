import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
// Inside the project so that the compiled files resolve node_modules; out of dist/ so that a running
// `npm start` is not disturbed.
const BUILD_DIR = path.join(ROOT, 'node_modules/.cache/eca-operations-build');

/**
 * Compiles the server as `npm run build` does, once per test file that needs a real process. Without
 * type checking (`npm run typecheck` does that): it halves the time of a step that is all CPU.
 */
export function buildServer(): string {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', BUILD_DIR], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const main = path.join(BUILD_DIR, 'src/main.js');
  if (result.status !== 0 || !fs.existsSync(main)) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
  return main;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Every JSON log line written so far. */
  logs(): any[];
  waitForLog(predicate: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  exited: Promise<number | null>;
}

/**
 * Starts `node main.js` with this environment (and nothing else of the test's) and waits until it serves.
 * It runs in a folder of its own: in development it writes its demo keys file there.
 */
export async function startServerProcess(main: string, env: Record<string, string>): Promise<ServerProcess> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-server-'));
  const child = spawn(process.execPath, [main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: any[] = [];
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line));
  });
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve(code);
    }),
  );

  const waitForLog = async (predicate: (line: any) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(predicate);
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const serving = await waitForLog((line) => typeof line.port === 'number' && /^serving/.test(line.msg));
  return { child, url: `http://127.0.0.1:${serving.port}`, logs: () => lines, waitForLog, exited };
}
