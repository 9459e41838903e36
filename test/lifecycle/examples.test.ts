import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { useTestServer } from '../support/harness';

const run = promisify(execFile);
const { world, server } = useTestServer();
afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});
let workDir: string;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-examples-'));
});

const example = (name: string) =>
  run(process.execPath, [path.resolve(__dirname, '../../examples', name)], {
    cwd: workDir,
    env: {
      ...process.env,
      API_URL: `${server.url}/graphql`,
      AGENCY_CODE: 'AG-X',
      BRAND_PARTNER_KEY: world.keys.brandA,
      INVESTIGATOR_KEY: world.keys.investigator,
      AGENCY_LIAISON_KEY: world.keys.agencyX,
    },
  });

describe('the README examples', () => {
  it('run end to end: investigator flow, agency sync (twice, resuming from its cursor), brand portal', async () => {
    const flow = await example('investigator-flow.mjs');
    expect(flow.stdout).toMatch(/referral REF-\d{4}-\d{6} SENT to AG-X/);
    const sync = await example('agency-sync.mjs');
    expect(sync.stdout).toMatch(/SENT -> SENT/);
    expect(sync.stdout).toMatch(/REF-\d{4}-\d{6}: received TEST_PURCHASE from custody \(AG-X evidence room\)/);
    expect(sync.stdout).toMatch(/reported RAID on REF-\d{4}-\d{6}: now ACTION_TAKEN/);
    const resumed = await example('agency-sync.mjs');
    expect(resumed.stdout).not.toMatch(/SENT -> SENT/);
    expect(resumed.stdout).toMatch(/OUTCOME_RECORDED -> ACTION_TAKEN/);
    const portal = await example('brand-portal.mjs');
    expect(portal.stdout).toMatch(/1 case\(s\)/);
    expect(portal.stdout).toMatch(/REFERRED .*ACTION_TAKEN \(Agency X\) \| RAID/);
  });
});
