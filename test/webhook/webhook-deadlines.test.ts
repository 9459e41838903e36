import { announceApproachingDeadlines } from '../../src/modules/webhook/webhook-deadlines';
import { decodeGlobalId, toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase } from '../support/cases';
import { useTestServer } from '../support/harness';
import { Receiver, subscribe, testWorker, waitFor } from './support';

const { db, world, server } = useTestServer();
const HOUR = 3_600_000;

describe('referral deadline approaching', () => {
  it('is announced once per referral and deadline, to the agency of the referral only', async () => {
    const receiverX = await new Receiver().start();
    const receiverY = await new Receiver().start();
    await subscribe(server, world.keys.agencyX, receiverX.url, ['REFERRAL_DEADLINE_APPROACHING']);
    await subscribe(server, world.keys.agencyY, receiverY.url, ['REFERRAL_DEADLINE_APPROACHING']);
    const { referralId } = await buildCase(server, world, { referTo: world.gid.agencyX });
    const id = decodeGlobalId(referralId!).rowId;
    // Its acknowledgement is due in an hour; its action deadline is weeks away.
    await db.dataSource.query(`UPDATE referral SET acknowledge_by = now() + interval '1 hour' WHERE id = $1`, [id]);
    const announce = () => announceApproachingDeadlines(server.dataSource, server.config, 24 * HOUR);
    expect(await announce()).toBe(1);
    expect(await announce()).toBe(0);
    const events = await db.dataSource.query(
      `SELECT a.after->>'deadline' AS deadline, w.type, w.record_type, w.record_id::text, w.version
       FROM audit_event a JOIN webhook_event w ON w.seq = a.seq WHERE a.action = 'referral.deadlineApproaching' AND a.entity_id = $1`,
      [id],
    );
    const [{ version }] = await db.dataSource.query('SELECT version FROM referral WHERE id = $1', [id]);
    expect(events).toEqual([
      {
        deadline: 'ACKNOWLEDGEMENT',
        type: 'REFERRAL_DEADLINE_APPROACHING',
        record_type: 'Referral',
        record_id: id,
        version,
      },
    ]);
    const worker = await testWorker(db.url);
    try {
      await waitFor('the notice', () => receiverX.received.length === 1);
      await waitFor('the fan-out', async () => {
        const [{ n }] = await db.dataSource.query(
          'SELECT count(*)::int AS n FROM webhook_event WHERE fanned_out_at IS NULL',
        );
        return n === 0;
      });
    } finally {
      await worker.stop();
      await receiverX.close();
      await receiverY.close();
    }
    expect(receiverX.received[0].event).toMatchObject({
      type: 'REFERRAL_DEADLINE_APPROACHING',
      data: { id: toGlobalId('Referral', id), version },
    });
    expect(receiverY.received).toEqual([]);
    // A deadline moved later is announced again, for its new due time.
    await db.dataSource.query(`UPDATE referral SET acknowledge_by = now() + interval '2 hours' WHERE id = $1`, [id]);
    expect(await announce()).toBe(1);
  });
});
