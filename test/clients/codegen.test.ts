import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The typed documents in examples/generated/ are what `npm run codegen` makes of the schema.graphql and
 * the examples/operations/*.graphql of this checkout (so a change to either without regenerating fails
 * here), and the typed clients compile against them with the repository's TypeScript settings.
 */

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
let out: string;

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-codegen-'));
});
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
});

describe('the typed documents of the example clients', () => {
  it('are up to date with schema.graphql and examples/operations (run `npm run codegen` when this fails)', async () => {
    await run(bin('graphql-codegen'), ['--config', 'codegen.ts'], {
      cwd: root,
      env: { ...process.env, CODEGEN_OUT: out },
    });
    const generated = fs.readdirSync(out).sort();
    expect(fs.readdirSync(path.join(root, 'examples/generated')).sort()).toEqual(generated);
    for (const file of generated) {
      const checkedIn = fs.readFileSync(path.join(root, 'examples/generated', file), 'utf8');
      expect({ file, upToDate: checkedIn === fs.readFileSync(path.join(out, file), 'utf8') }).toEqual({
        file,
        upToDate: true,
      });
    }
  });

  it('type-check the clients in examples/clients (their own tsconfig, extending the repository one)', async () => {
    const result = await run(bin('tsc'), ['-p', 'examples/clients', '--noEmit'], { cwd: root }).catch((error) => error);
    expect(result.stdout).toBe('');
    expect(result.code ?? 0).toBe(0);
  });
});
