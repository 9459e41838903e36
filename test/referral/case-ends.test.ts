// How a case ends. An outcome dated before its referral was sent is refused (the
// agency's time to first action was negative). Closing a referral after its verdict closes the investigation
// and its leads, with the verdict as reason, unless another referral of the investigation is under way. A FINE
// counts as action taken in the funnel. A seizure records what was seized (goods, quantity, unit), not only
// its value.
import { Writable } from 'node:stream';
import { exportRows } from '../../src/export/export';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, CaseIds, mutate, refused } from '../support/cases';
import { dataOf, testConfig } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const rowId = (gid: string) => decodeGlobalId(gid).rowId;
const now = () => new Date().toISOString();
const outcome = (referralId: string, kind: string, extra: Record<string, unknown> = {}, agency = world.keys.agencyX) =>
  mutate(
    server,
    agency,
    'recordEnforcementOutcome',
    { referralId, kind, occurredAt: now(), ...extra },
    'outcome { id }',
  );
const acknowledge = (referralId: string, agency = world.keys.agencyX) =>
  mutate(server, agency, 'acknowledgeReferral', { referralId }, 'referral { id }');
const close = (referralId: string) =>
  mutate(server, world.keys.investigator, 'closeReferral', { referralId }, 'referral { status }');
/** Acknowledged, acted on, prosecuted, and the verdict. */
async function toVerdict(referralId: string, verdict: 'CONVICTION' | 'ACQUITTAL', agency = world.keys.agencyX) {
  await acknowledge(referralId, agency);
  await outcome(referralId, 'RAID', { arrests: 1 }, agency);
  await outcome(referralId, 'PROSECUTION', {}, agency);
  await outcome(referralId, verdict, verdict === 'CONVICTION' ? { convictions: 1 } : {}, agency);
}
const caseState = async (c: CaseIds) =>
  (
    await db.dataSource.query(
      `SELECT i.status AS investigation, i.close_reason AS "investigationReason", l.status AS lead, l.close_reason AS "leadReason", l.close_note AS "leadNote"
   FROM investigation i JOIN lead l ON l.investigation_id = i.id WHERE i.id = $1`,
      [rowId(c.investigationId)],
    )
  )[0];
const referenceOf = async (referralId: string) =>
  (await db.dataSource.query(`SELECT reference FROM referral WHERE id = $1`, [rowId(referralId)]))[0]
    .reference as string;

describe('an outcome dated before its referral was sent', () => {
  it('is refused with a user error naming both dates, and nothing is stored', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'backdated' });
    await acknowledge(c.referralId!);
    const [{ sent_at: sentAt }] = await db.dataSource.query(`SELECT sent_at FROM referral WHERE id = $1`, [
      rowId(c.referralId!),
    ]);
    const backdated = new Date(sentAt.getTime() - 30 * 86_400_000);
    const fingerprint = () =>
      db.dataSource.query(
        `SELECT (SELECT count(*)::int FROM enforcement_outcome) AS outcomes, (SELECT count(*)::int FROM referral_change) AS changes,
      (SELECT count(*)::int FROM audit_event) AS events, (SELECT row_to_json(r)::text FROM referral r WHERE r.id = $1) AS referral`,
        [rowId(c.referralId!)],
      );
    const before = await fingerprint();

    const errors = await refused(server, world.keys.agencyX, 'recordEnforcementOutcome', {
      referralId: c.referralId,
      kind: 'RAID',
      occurredAt: backdated.toISOString(),
      arrests: 3,
    });
    expect(errors).toEqual([
      { code: 'INVALID', field: ['input', 'occurredAt'], message: expect.stringContaining(backdated.toISOString()) },
    ]);
    expect(errors[0].message).toContain(sentAt.toISOString());
    expect(errors[0].message).toContain(await referenceOf(c.referralId!));
    expect(await fingerprint()).toEqual(before);

    // A millisecond before sending is before; from the moment it was sent on, it is accepted.
    expect(
      await refused(server, world.keys.agencyX, 'recordEnforcementOutcome', {
        referralId: c.referralId,
        kind: 'RAID',
        occurredAt: new Date(sentAt.getTime() - 1).toISOString(),
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID' })]);
    await outcome(c.referralId!, 'RAID', { occurredAt: sentAt.toISOString(), arrests: 3 });
    const [referral] = await db.dataSource.query(
      `SELECT status, extract(epoch FROM first_action_at - sent_at)::int AS lag FROM referral WHERE id = $1`,
      [rowId(c.referralId!)],
    );
    expect(referral).toEqual({ status: 'ACTION_TAKEN', lag: 0 });
  });
});

describe('closing a referral after its verdict', () => {
  it('CONVICTED -> CLOSED closes the investigation and its leads with the verdict as reason, in the same transaction', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'convicted' });
    await toVerdict(c.referralId!, 'CONVICTION');
    expect(await caseState(c)).toMatchObject({ investigation: 'REFERRED', lead: 'REFERRED' });
    expect(await close(c.referralId!)).toEqual({ referral: { status: 'CLOSED' }, userErrors: [] });
    const reason = `Verdict: ${await referenceOf(c.referralId!)} CONVICTED`;
    expect(await caseState(c)).toEqual({
      investigation: 'CLOSED',
      investigationReason: reason,
      lead: 'CLOSED',
      leadReason: 'CASE_CONCLUDED',
      leadNote: reason,
    });
    const events = await db.dataSource.query(
      `SELECT action FROM audit_event WHERE request_id = (SELECT request_id FROM audit_event WHERE action = 'referral.closed' ORDER BY seq DESC LIMIT 1) ORDER BY seq`,
    );
    expect(events.map((e: any) => e.action)).toEqual(['referral.closed', 'investigation.closed', 'lead.closed']);
    // The brand's portal shows the case closed.
    const portal = dataOf(
      await server.gql(
        world.keys.brandA,
        `query($id: ID!) { node(id: $id) { ... on Lead { status closeReason investigation { status } } } }`,
        { id: c.leadId },
      ),
    );
    expect(portal.node).toEqual({
      status: 'CLOSED',
      closeReason: 'CASE_CONCLUDED',
      investigation: { status: 'CLOSED' },
    });
  });

  it("leaves the case open while another referral of the investigation is under way, and closes it after that one's verdict", async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'two agencies' });
    const { referral: second } = await mutate(
      server,
      world.keys.investigator,
      'createReferral',
      {
        investigationId: c.investigationId,
        agencyId: world.gid.agencyY,
        evidenceIds: [c.evidenceId],
        summary: 'customs side',
      },
      'referral { id }',
    );
    await mutate(server, world.keys.investigator, 'sendReferral', { referralId: second.id }, 'referral { id }');
    await toVerdict(c.referralId!, 'CONVICTION');
    await close(c.referralId!);
    expect(await caseState(c)).toMatchObject({ investigation: 'REFERRED', lead: 'REFERRED' });

    await toVerdict(second.id, 'ACQUITTAL', world.keys.agencyY);
    await close(second.id);
    const reason = `Verdicts: ${await referenceOf(second.id)} ACQUITTED, ${await referenceOf(c.referralId!)} CONVICTED`;
    expect(await caseState(c)).toEqual({
      investigation: 'CLOSED',
      investigationReason: reason,
      lead: 'CLOSED',
      leadReason: 'CASE_CONCLUDED',
      leadNote: reason,
    });
  });

  it('a declined referral closed ends nothing: the investigation may be referred elsewhere', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'declined' });
    await mutate(
      server,
      world.keys.agencyX,
      'declineReferral',
      { referralId: c.referralId, reason: 'not ours' },
      'referral { id }',
    );
    await close(c.referralId!);
    expect(await caseState(c)).toMatchObject({ investigation: 'REFERRED', lead: 'REFERRED' });
  });
});

describe('the funnel', () => {
  it('counts a lead whose only action is a FINE as actioned, as an independent SQL count does', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyY, tag: 'fined', brand: 'B' });
    await acknowledge(c.referralId!, world.keys.agencyY);
    await outcome(c.referralId!, 'FINE', { fine: { amount: 50_000_00, currency: 'CNY' } }, world.keys.agencyY);
    const actioned = (kinds: string[]) =>
      db.dataSource
        .query(
          `SELECT count(*)::int AS n FROM lead l WHERE EXISTS (SELECT 1 FROM referral r JOIN enforcement_outcome o ON o.referral_id = r.id
         WHERE r.investigation_id = l.investigation_id AND r.sent_at IS NOT NULL AND o.kind = ANY($1))`,
          [kinds],
        )
        .then(([r]: any) => r.n as number);
    const funnel = dataOf(
      await server.gql(world.keys.investigator, '{ analytics { enforcementFunnel { leads referred actioned } } }'),
    ).analytics.enforcementFunnel;
    expect(funnel.actioned).toBe(await actioned(['RAID', 'SEIZURE', 'FINE']));
    expect(funnel.actioned).toBe((await actioned(['RAID', 'SEIZURE'])) + 1);
    // Brand B's own funnel: its one case, fined, is actioned.
    const brandB = dataOf(
      await server.gql(world.keys.brandB, '{ analytics { enforcementFunnel { leads referred actioned } } }'),
    ).analytics.enforcementFunnel;
    expect(brandB).toEqual({ leads: 1, referred: 1, actioned: 1 });
  });
});

describe('a seizure', () => {
  class Sink extends Writable {
    text = '';
    _write(chunk: Buffer, _encoding: string, done: () => void) {
      this.text += chunk.toString();
      done();
    }
  }

  it('records the goods seized with quantity and unit, answers them, audits them and exports them', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'seized goods' });
    await acknowledge(c.referralId!);
    const seizedGoods = [
      { description: 'handbags bearing the ALPHA mark', quantity: 1200, unit: 'PIECE' },
      { description: 'leather offcuts', quantity: 35.5, unit: 'KILOGRAM' },
      { description: 'ribbon with the ALPHA mark', quantity: 1.001, unit: 'METRE' },
    ];
    const { outcome: seizure } = await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      {
        referralId: c.referralId,
        kind: 'SEIZURE',
        occurredAt: now(),
        seizedValue: { amount: 360_000_00, currency: 'CNY' },
        seizedGoods,
      },
      'outcome { id kind seizedGoods { description quantity unit } seizedValue { amount currency } }',
    );
    expect(seizure).toMatchObject({
      kind: 'SEIZURE',
      seizedGoods,
      seizedValue: { amount: 360_000_00, currency: 'CNY' },
    });

    const [row] = await db.dataSource.query(`SELECT seized_goods FROM enforcement_outcome WHERE id = $1`, [
      rowId(seizure.id),
    ]);
    expect(row.seized_goods).toEqual(seizedGoods);
    const [event] = await db.dataSource.query(
      `SELECT after FROM audit_event WHERE action = 'enforcementOutcome.recorded' AND entity_id = $1`,
      [rowId(seizure.id)],
    );
    expect(event.after.seizedGoods).toEqual(seizedGoods);
    // The brand of the case sees what was seized.
    const portal = dataOf(
      await server.gql(
        world.keys.brandA,
        `query($id: ID!) { node(id: $id) { ... on EnforcementOutcome { seizedGoods { description quantity unit } } } }`,
        { id: seizure.id },
      ),
    );
    expect(portal.node.seizedGoods).toEqual(seizedGoods);

    const sink = new Sink();
    await exportRows(db.dataSource, testConfig(), { kind: 'referrals', format: 'jsonl', agencyCode: 'AG-X' }, sink);
    const reference = await referenceOf(c.referralId!);
    const exported = sink.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((r) => r.reference === reference);
    expect(exported.seized_goods).toEqual([
      '1200 PIECE handbags bearing the ALPHA mark',
      '35.5 KILOGRAM leather offcuts',
      '1.001 METRE ribbon with the ALPHA mark',
    ]);
  });

  it('refuses goods on another kind of outcome and quantities that do not fit their unit, storing nothing', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'bad goods' });
    await acknowledge(c.referralId!);
    const count = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM enforcement_outcome`))[0].n;
    const before = await count();
    const attempt = (kind: string, goods: Record<string, unknown>) =>
      refused(server, world.keys.agencyX, 'recordEnforcementOutcome', {
        referralId: c.referralId,
        kind,
        occurredAt: now(),
        seizedGoods: [goods],
      });
    expect(await attempt('RAID', { description: 'bags', quantity: 5, unit: 'PIECE' })).toEqual([
      {
        code: 'INVALID',
        field: ['input', 'seizedGoods'],
        message: 'seizedGoods are recorded on SEIZURE outcomes, not on RAID.',
      },
    ]);
    expect(await attempt('SEIZURE', { description: 'bags', quantity: 2.5, unit: 'PIECE' })).toEqual([
      {
        code: 'INVALID',
        field: ['input', 'seizedGoods', '0', 'quantity'],
        message: 'PIECE is counted: a whole number.',
      },
    ]);
    expect(await attempt('SEIZURE', { description: 'cloth', quantity: 1.2345, unit: 'METRE' })).toEqual([
      expect.objectContaining({ field: ['input', 'seizedGoods', '0', 'quantity'] }),
    ]);
    expect(await attempt('SEIZURE', { description: 'bags', quantity: 0, unit: 'PIECE' })).toEqual([
      expect.objectContaining({ field: ['input', 'seizedGoods', '0', 'quantity'] }),
    ]);
    expect(await attempt('SEIZURE', { description: '  ', quantity: 1, unit: 'BOX' })).toEqual([
      expect.objectContaining({ field: ['input', 'seizedGoods', '0', 'description'] }),
    ]);
    expect(await count()).toBe(before);
  });
});
