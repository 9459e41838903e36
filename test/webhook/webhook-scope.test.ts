import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate, refused } from '../support/cases';
import { useTestServer } from '../support/harness';
import { Receiver, subscribe, testWorker, waitFor } from './support';

const { db, world, server } = useTestServer();

const CASE_EVENTS = ['LEAD_STATUS_CHANGED', 'CASE_STATUS_CHANGED'];
const AGENCY_EVENTS = ['REFERRAL_SENT', 'REFERRAL_ESCALATED', 'REFERRAL_DEADLINE_APPROACHING', 'REFERRAL_FEEDBACK'];

/** The records a receiver was told about, as `<type>:<row id>`. */
const recordsOf = (receiver: Receiver) =>
  new Set(
    receiver.received.map((r) => {
      const { typeName, rowId } = decodeGlobalId(r.event.data.id);
      return `${typeName}:${rowId}`;
    }),
  );

describe('webhooks and scope', () => {
  it('tells each brand about its own cases only, and each agency about its own referrals only', async () => {
    const receivers = {
      brandA: await new Receiver().start(),
      brandB: await new Receiver().start(),
      agencyX: await new Receiver().start(),
      agencyY: await new Receiver().start(),
      investigator: await new Receiver().start(),
    };
    await subscribe(server, world.keys.brandA, receivers.brandA.url, CASE_EVENTS);
    await subscribe(server, world.keys.brandB, receivers.brandB.url, CASE_EVENTS);
    await subscribe(server, world.keys.agencyX, receivers.agencyX.url, AGENCY_EVENTS);
    await subscribe(server, world.keys.agencyY, receivers.agencyY.url, AGENCY_EVENTS);
    await subscribe(server, world.keys.investigator, receivers.investigator.url, ['REFERRAL_SENT', ...CASE_EVENTS]);
    const worker = await testWorker(db.url);
    let caseA, caseB;
    try {
      caseA = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'A' });
      caseB = await buildCase(server, world, { referTo: world.gid.agencyY, brand: 'B', tag: 'B' });
      await waitFor('every event fanned out and delivered', async () => {
        const [{ pending }] = await db.dataSource.query(
          `SELECT (SELECT count(*) FROM webhook_event WHERE fanned_out_at IS NULL) + (SELECT count(*) FROM webhook_delivery WHERE status <> 'DELIVERED') AS pending`,
        );
        return Number(pending) === 0;
      });
    } finally {
      await worker.stop();
      for (const receiver of Object.values(receivers)) await receiver.close();
    }
    const rowId = (gid: string) => decodeGlobalId(gid).rowId;
    const caseRecords = (c: typeof caseA) => [`Lead:${rowId(c!.leadId)}`, `Investigation:${rowId(c!.investigationId)}`];
    // Each brand: its own lead and investigation, never the other's.
    expect([...recordsOf(receivers.brandA)].sort()).toEqual(caseRecords(caseA).sort());
    expect([...recordsOf(receivers.brandB)].sort()).toEqual(caseRecords(caseB).sort());
    // Each agency: the referral sent to it, nothing of the other's.
    expect([...recordsOf(receivers.agencyX)]).toEqual([`Referral:${rowId(caseA!.referralId!)}`]);
    expect([...recordsOf(receivers.agencyY)]).toEqual([`Referral:${rowId(caseB!.referralId!)}`]);
    expect(receivers.agencyX.received.map((r) => r.event.type)).toEqual(['REFERRAL_SENT']);
    // Internal roles: both.
    expect(recordsOf(receivers.investigator)).toEqual(
      new Set([
        ...caseRecords(caseA),
        ...caseRecords(caseB),
        `Referral:${rowId(caseA!.referralId!)}`,
        `Referral:${rowId(caseB!.referralId!)}`,
      ]),
    );
    // The database agrees: no delivery of brand A's subscription names a record of brand B's case.
    const leaked = await db.dataSource.query(
      `SELECT e.record_type, e.record_id FROM webhook_delivery d JOIN webhook_event e ON e.seq = d.event_seq
       JOIN webhook_subscription s ON s.id = d.subscription_id
       WHERE s.principal_id IN (SELECT id FROM principal WHERE brand_id = $1)
         AND e.record_type || ':' || e.record_id = ANY($2::text[])`,
      [world.ids.brandA, caseRecords(caseB)],
    );
    expect(leaked).toEqual([]);
  });

  it("refuses a subscription to events the caller's role may not receive, and stores nothing", async () => {
    const [{ n: before }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_subscription');
    const errors = await refused(server, world.keys.brandA, 'createWebhookSubscription', {
      url: 'http://127.0.0.1:9/hooks',
      events: ['LEAD_STATUS_CHANGED', 'REFERRAL_SENT'],
      secret: 'a-secret-of-24-characters!',
    });
    expect(errors).toEqual([
      {
        code: 'INVALID',
        field: ['input', 'events'],
        message: expect.stringMatching(
          /may not receive REFERRAL_SENT; it may subscribe to LEAD_STATUS_CHANGED, CASE_STATUS_CHANGED/,
        ),
      },
    ]);
    const [{ n: after }] = await db.dataSource.query('SELECT count(*)::int AS n FROM webhook_subscription');
    expect(after).toBe(before);
  });

  it("lists a principal's own subscriptions only, and treats another's as missing", async () => {
    const mine = await subscribe(server, world.keys.agencyX, 'http://127.0.0.1:9/x', ['REFERRAL_SENT']);
    const theirs = await subscribe(server, world.keys.agencyY, 'http://127.0.0.1:9/y', ['REFERRAL_SENT']);
    const listed = await server.gql(world.keys.agencyX, '{ webhookSubscriptions(first: 50) { nodes { id url } } }');
    const ids = listed.body.data.webhookSubscriptions.nodes.map((n: { id: string }) => n.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_subscription s JOIN principal p ON p.id = s.principal_id WHERE p.agency_id = $1`,
      [world.ids.agencyX],
    );
    expect(ids).toHaveLength(n);
    expect(
      await refused(server, world.keys.agencyX, 'updateWebhookSubscription', {
        subscriptionId: theirs.id,
        paused: true,
      }),
    ).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const [{ paused }] = await db.dataSource.query('SELECT paused FROM webhook_subscription WHERE id = $1', [
      decodeGlobalId(theirs.id).rowId,
    ]);
    expect(paused).toBe(false);
  });

  // Last of the file: it revokes brand B's keys.
  it('tells a principal whose API keys are all revoked nothing more', async () => {
    const brandB = await new Receiver().start();
    const investigator = await new Receiver().start();
    const withdrawn = await subscribe(server, world.keys.brandB, brandB.url, CASE_EVENTS);
    await subscribe(server, world.keys.investigator, investigator.url, CASE_EVENTS);
    await db.dataSource.query(
      `UPDATE api_key SET revoked_at = now() WHERE principal_id IN (SELECT id FROM principal WHERE brand_id = $1)`,
      [world.ids.brandB],
    );
    const worker = await testWorker(db.url);
    try {
      await mutate(
        server,
        world.keys.investigator,
        'reportLead',
        { description: 'after brand B left', brandIds: [world.gid.brandB] },
        'lead { id }',
      );
      await waitFor('the investigator told', () => investigator.received.length === 1);
    } finally {
      await worker.stop();
      await brandB.close();
      await investigator.close();
    }
    expect(brandB.received).toEqual([]);
    const [{ n }] = await db.dataSource.query(
      'SELECT count(*)::int AS n FROM webhook_delivery WHERE subscription_id = $1',
      [decodeGlobalId(withdrawn.id).rowId],
    );
    expect(n).toBe(0);
  });
});
