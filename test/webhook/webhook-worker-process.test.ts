// The worker as a process of its own (`eca webhooks work`), killed with SIGKILL while a receiver holds its
// request: no graceful stop, no unlock, no record of the attempt. The next worker must send the event again.
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { buildServer } from '../operations/support/server-process';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { mutate } from '../support/cases';
import { useTestServer } from '../support/harness';
import { Receiver, subscribe, testWorker, waitFor } from './support';

let cli: string;
const { db, world, server } = useTestServer({
  beforeServer: async () => {
    cli = path.join(path.dirname(buildServer()), 'cli.js');
  },
  timeout: 120_000,
});

/** `eca webhooks work`, resolved once it says it is delivering. */
function workerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'webhooks', 'work'], {
    env: {
      PATH: process.env.PATH ?? '',
      MIGRATION_DATABASE_URL: db.url,
      DATABASE_URL: db.url,
      NODE_ENV: 'test',
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_TIMEOUT_MS: '60000',
    },
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const listen = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('delivering webhooks')) resolve(child);
    };
    child.stdout?.on('data', listen);
    child.stderr?.on('data', listen);
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before delivering: ${output}`)));
  });
}

it('loses nothing when the worker process is killed (SIGKILL) mid-delivery: the next worker sends the event again', async () => {
  const receiver = await new Receiver().start();
  const subscription = await subscribe(server, world.keys.investigator, receiver.url, ['LEAD_STATUS_CHANGED']);
  receiver.mode = 'hang';
  const child = await workerProcess();
  let next;
  try {
    const { lead } = await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description: 'sent while its worker dies', sellerIds: [world.gid.sellerA] },
      'lead { id }',
    );
    await waitFor('the receiver holding the request', () => receiver.held.length === 1);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const deliveries = () =>
      db.dataSource.query(
        `SELECT d.status, d.attempts, d.event_id::text, e.record_id::text FROM webhook_delivery d
         JOIN webhook_event e ON e.seq = d.event_seq WHERE d.subscription_id = $1 ORDER BY d.event_seq`,
        [decodeGlobalId(subscription.id).rowId],
      );
    // Nothing recorded of the cut attempt: still due.
    expect(await deliveries()).toEqual([
      expect.objectContaining({ status: 'PENDING', attempts: 0, record_id: decodeGlobalId(lead.id).rowId }),
    ]);
    // No new event: the next worker finds the due delivery by itself, once the dead one's lock went with its connection.
    receiver.mode = 'ok';
    next = await testWorker(db.url);
    await waitFor('delivered', async () => (await deliveries())[0].status === 'DELIVERED');
    const [delivered] = await deliveries();
    expect(delivered.attempts).toBe(1);
    expect(receiver.received.map((r) => r.event.id)).toEqual([delivered.event_id, delivered.event_id]);
    expect(receiver.received[1].event.data.id).toBe(lead.id);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await next?.stop();
    await receiver.close();
  }
});
