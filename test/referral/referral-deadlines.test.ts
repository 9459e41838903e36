// Agency deadlines and escalation: deadlines fixed when a referral is sent, from the
// settings of the agency's kind; `overdue` as a field, a WHERE filter and an analytics figure; escalations
// and the agency's feedback, recorded with audit events and shown in the investigation's history.
import { loadFeatureSettings } from '../../src/shared/settings';
import { buildCase, CaseIds, mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const previous = process.env.DEADLINE_ACK_DAYS_MARKET_REGULATION;
const { db, world, server } = useTestServer({
  beforeServer: async () => {
    // Read when the schema is first built (once per test file): market regulators get 10 days to acknowledge.
    process.env.DEADLINE_ACK_DAYS_MARKET_REGULATION = '10';
  },
});
afterAll(() => {
  if (previous === undefined) delete process.env.DEADLINE_ACK_DAYS_MARKET_REGULATION;
  else process.env.DEADLINE_ACK_DAYS_MARKET_REGULATION = previous;
});
let caseA: CaseIds; // brand A, referred to agency X (PUBLIC_SECURITY), sent
let caseB: CaseIds; // brand B, referred to agency Y (MARKET_REGULATION), sent
let draftA: CaseIds; // brand A, a draft referral to agency X

const DAY = 86_400_000;

beforeAll(async () => {
  caseA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'deadline A' });
  caseB = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyY, tag: 'deadline B' });
  draftA = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, send: false, tag: 'draft A' });
});

const rowId = (gid: string) => Buffer.from(gid, 'base64url').toString('utf8').split(':')[1];

/** Moves a referral's deadlines into the past, as if it had been sent long ago. */
async function backdate(referralGid: string, { acknowledge, action }: { acknowledge?: number; action?: number }) {
  const sets = [
    ...(acknowledge !== undefined ? [`acknowledge_by = now() - make_interval(days => ${acknowledge})`] : []),
    ...(action !== undefined ? [`action_by = now() - make_interval(days => ${action})`] : []),
  ];
  await db.dataSource.query(`UPDATE referral SET ${sets.join(', ')} WHERE id = $1`, [rowId(referralGid)]);
}

const REFERRAL = `query($id: ID!) { node(id: $id) { ... on Referral { id status sentAt acknowledgeBy actionBy overdue missedDeadline } } }`;
const referral = async (token: string, id: string) => dataOf(await server.gql(token, REFERRAL, { id })).node;
const overdueIds = async (token: string, overdue: boolean) => {
  const data = dataOf(
    await server.gql(
      token,
      `query($overdue: Boolean) { referrals(first: 100, filter: { overdue: $overdue }) { totalCount nodes { id } } }`,
      { overdue },
    ),
  );
  expect(data.referrals.totalCount).toBe(data.referrals.nodes.length);
  return data.referrals.nodes.map((n: { id: string }) => n.id).sort();
};

describe('referral deadlines', () => {
  it('are fixed when the referral is sent, from the deadlines of the agency kind (defaults 5 and 60 days, configurable per kind)', async () => {
    const x = await referral(world.keys.investigator, caseA.referralId!);
    const sent = new Date(x.sentAt).getTime();
    expect(new Date(x.acknowledgeBy).getTime() - sent).toBe(5 * DAY);
    expect(new Date(x.actionBy).getTime() - sent).toBe(60 * DAY);
    expect(x).toMatchObject({ overdue: false, missedDeadline: null });
    const y = await referral(world.keys.investigator, caseB.referralId!);
    expect(new Date(y.acknowledgeBy).getTime() - new Date(y.sentAt).getTime()).toBe(10 * DAY);
    const draft = await referral(world.keys.investigator, draftA.referralId!);
    expect(draft).toMatchObject({ acknowledgeBy: null, actionBy: null, overdue: false });
  });

  it('make a referral overdue once passed, acknowledgement first and action after, and the filter is the same rule in SQL', async () => {
    expect(await overdueIds(world.keys.investigator, true)).toEqual([]);
    await backdate(caseA.referralId!, { acknowledge: 1 });
    expect(await referral(world.keys.agencyX, caseA.referralId!)).toMatchObject({
      overdue: true,
      missedDeadline: 'ACKNOWLEDGEMENT',
    });
    expect(await overdueIds(world.keys.investigator, true)).toEqual([caseA.referralId]);
    expect(await overdueIds(world.keys.investigator, false)).toEqual([caseB.referralId, draftA.referralId].sort());

    // Acknowledging meets the first deadline; the action deadline still runs.
    await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeReferral',
      { referralId: caseA.referralId },
      'referral { id }',
    );
    expect(await referral(world.keys.agencyX, caseA.referralId!)).toMatchObject({
      status: 'ACKNOWLEDGED',
      overdue: false,
      missedDeadline: null,
    });
    await backdate(caseA.referralId!, { action: 2 });
    expect(await referral(world.keys.agencyX, caseA.referralId!)).toMatchObject({
      overdue: true,
      missedDeadline: 'ACTION',
    });
    expect(await overdueIds(world.keys.investigator, true)).toEqual([caseA.referralId]);
  });

  it("filter within each caller's scope: an agency and a brand see only their own overdue referrals", async () => {
    await backdate(caseB.referralId!, { acknowledge: 3 });
    expect(await overdueIds(world.keys.investigator, true)).toEqual([caseA.referralId, caseB.referralId].sort());
    expect(await overdueIds(world.keys.agencyX, true)).toEqual([caseA.referralId]);
    expect(await overdueIds(world.keys.agencyY, true)).toEqual([caseB.referralId]);
    expect(await overdueIds(world.keys.brandA, true)).toEqual([caseA.referralId]);
    expect(await overdueIds(world.keys.brandB, true)).toEqual([caseB.referralId]);
    expect(await overdueIds(world.keys.agencyX, false)).toEqual([]);
  });

  it('are counted per agency in analytics, over the referrals the caller may see', async () => {
    const FIGURES = `{ analytics { overdueReferrals { agency { code } waiting overdue acknowledgementOverdue actionOverdue longestOverdueDays } } }`;
    const all = dataOf(await server.gql(world.keys.analyst, FIGURES)).analytics.overdueReferrals;
    expect(all).toEqual([
      {
        agency: { code: 'AG-X' },
        waiting: 1,
        overdue: 1,
        acknowledgementOverdue: 0,
        actionOverdue: 1,
        longestOverdueDays: expect.any(Number),
      },
      {
        agency: { code: 'AG-Y' },
        waiting: 1,
        overdue: 1,
        acknowledgementOverdue: 1,
        actionOverdue: 0,
        longestOverdueDays: expect.any(Number),
      },
    ]);
    expect(all[1].longestOverdueDays).toBeGreaterThan(2.9);
    expect(all[1].longestOverdueDays).toBeLessThan(3.1);
    const x = dataOf(await server.gql(world.keys.agencyX, FIGURES)).analytics.overdueReferrals;
    expect(x.map((f: any) => f.agency.code)).toEqual(['AG-X']);
    const b = dataOf(await server.gql(world.keys.brandB, FIGURES)).analytics.overdueReferrals;
    expect(b.map((f: any) => f.agency.code)).toEqual(['AG-Y']);
  });
});

describe('escalation and feedback', () => {
  const ESCALATE = {
    escalatedTo: 'Director Wang, Economic Crimes Unit, +86 579 0000 0000',
    reason: 'No raid 60 days after sending',
  };

  it('an investigator escalates a late referral: who escalated to whom and why, with the missed deadline, audited', async () => {
    const { escalation } = await mutate(
      server,
      world.keys.investigator,
      'escalateReferral',
      { referralId: caseA.referralId, ...ESCALATE, idempotencyKey: 'esc-1' },
      'escalation { id escalatedTo reason missedDeadline escalatedBy { name } referral { id } }',
    );
    expect(escalation).toMatchObject({
      ...ESCALATE,
      missedDeadline: 'ACTION',
      escalatedBy: { name: 'investigator' },
      referral: { id: caseA.referralId },
    });
    const again = await mutate(
      server,
      world.keys.investigator,
      'escalateReferral',
      { referralId: caseA.referralId, ...ESCALATE, idempotencyKey: 'esc-1' },
      'escalation { id }',
    );
    expect(again.escalation.id).toBe(escalation.id);
    const trail = dataOf(
      await server.gql(
        world.keys.admin,
        `query($id: ID!) { auditTrail(entityId: $id) { nodes { action actorLabel after } } }`,
        { id: escalation.id },
      ),
    );
    expect(trail.auditTrail.nodes).toEqual([
      {
        action: 'referral.escalated',
        actorLabel: 'investigator (INVESTIGATOR)',
        after: expect.objectContaining({ escalatedTo: ESCALATE.escalatedTo, missedDeadline: 'ACTION' }),
      },
    ]);
  });

  it('is refused to other roles, and on a draft', async () => {
    for (const key of [world.keys.agencyX, world.keys.brandA, world.keys.analyst]) {
      const response = await server.gql(
        key,
        `mutation($input: EscalateReferralInput!) { escalateReferral(input: $input) { userErrors { code } } }`,
        { input: { referralId: caseA.referralId, ...ESCALATE } },
      );
      expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const errors = await refused(server, world.keys.investigator, 'escalateReferral', {
      referralId: draftA.referralId,
      ...ESCALATE,
    });
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION', field: ['input', 'referralId'] })]);
  });

  it('the agency writes feedback on its own referral only; brand partners may not', async () => {
    const { feedback } = await mutate(
      server,
      world.keys.agencyX,
      'addReferralFeedback',
      { referralId: caseA.referralId, message: 'Warehouse under surveillance, raid planned next week' },
      'feedback { id message author { name } referral { id } }',
    );
    expect(feedback).toMatchObject({
      message: 'Warehouse under surveillance, raid planned next week',
      author: { name: 'agency X tool' },
      referral: { id: caseA.referralId },
    });
    expect(
      await refused(server, world.keys.agencyY, 'addReferralFeedback', {
        referralId: caseA.referralId,
        message: 'not mine',
      }),
    ).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect(
      await refused(server, world.keys.agencyX, 'addReferralFeedback', {
        referralId: draftA.referralId,
        message: 'a draft',
      }),
    ).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const response = await server.gql(
      world.keys.brandA,
      `mutation($input: AddReferralFeedbackInput!) { addReferralFeedback(input: $input) { userErrors { code } } }`,
      { input: { referralId: caseA.referralId, message: 'x' } },
    );
    expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  const CASE = `query($id: ID!) { node(id: $id) { ... on Investigation {
    feedback { message } escalations { escalatedTo }
    referrals { escalations { escalatedTo } feedback { message } }
    history(first: 100) { totalCount nodes { action entityType entityId } } } } }`;

  it('shows escalations and feedback to internal roles and to the agency of the referral, and both in the investigation history', async () => {
    const inv = dataOf(await server.gql(world.keys.investigator, CASE, { id: caseA.investigationId })).node;
    expect(inv.feedback).toEqual([{ message: 'Warehouse under surveillance, raid planned next week' }]);
    expect(inv.escalations).toEqual([{ escalatedTo: ESCALATE.escalatedTo }]);
    const actions = inv.history.nodes.map((n: any) => n.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'lead.reported',
        'investigation.opened',
        'evidence.added',
        'referral.sent',
        'referral.acknowledged',
        'referral.escalated',
        'referral.feedbackAdded',
      ]),
    );
    expect(actions.indexOf('referral.escalated')).toBeLessThan(actions.indexOf('referral.feedbackAdded'));
    expect(inv.history.totalCount).toBe(inv.history.nodes.length);

    const agency = dataOf(await server.gql(world.keys.agencyX, CASE, { id: caseA.investigationId })).node;
    expect(agency.feedback).toHaveLength(1);
    expect(agency.referrals[0].escalations).toEqual([{ escalatedTo: ESCALATE.escalatedTo }]);
    expect(agency.history.nodes.map((n: any) => n.action)).toEqual(
      expect.arrayContaining(['referral.escalated', 'referral.feedbackAdded', 'referral.sent']),
    );
  });

  it('hides them from the brand partner, whose history of its case shows only records it may see', async () => {
    const brand = dataOf(await server.gql(world.keys.brandA, CASE, { id: caseA.investigationId })).node;
    expect(brand.feedback).toEqual([]);
    expect(brand.escalations).toEqual([]);
    expect(brand.referrals[0]).toEqual({ escalations: [], feedback: [] });
    const types = new Set(brand.history.nodes.map((n: any) => n.entityType));
    expect([...types].sort()).toEqual(['Investigation', 'Lead', 'Referral']);
    expect(brand.history.nodes.map((n: any) => n.action)).not.toContain('referral.feedbackAdded');
    // The other brand and the other agency see nothing of it.
    expect(dataOf(await server.gql(world.keys.brandB, CASE, { id: caseA.investigationId })).node).toBeNull();
    expect(dataOf(await server.gql(world.keys.agencyY, CASE, { id: caseA.investigationId })).node).toBeNull();
    const ids = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($id: ID!) { node(id: $id) { ... on Investigation { escalations { id } feedback { id } } } }`,
        { id: caseA.investigationId },
      ),
    ).node;
    const nodes = dataOf(
      await server.gql(world.keys.agencyY, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: [ids.escalations[0].id, ids.feedback[0].id],
      }),
    ).nodes;
    expect(nodes).toEqual([null, null]);
    const brandNodes = dataOf(
      await server.gql(world.keys.brandA, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: [ids.escalations[0].id, ids.feedback[0].id],
      }),
    ).nodes;
    expect(brandNodes).toEqual([null, null]);
  });
});

describe('deadline settings', () => {
  it('default to 5 and 60 days, take per-kind values, and name every bad value', () => {
    const settings = loadFeatureSettings({ NODE_ENV: 'test', DEADLINE_ACTION_DAYS_CUSTOMS: '30' });
    expect(settings.deadlines.acknowledgeDays.PUBLIC_SECURITY).toBe(5);
    expect(settings.deadlines.actionDays.PUBLIC_SECURITY).toBe(60);
    expect(settings.deadlines.actionDays.CUSTOMS).toBe(30);
    expect(() => loadFeatureSettings({ DEADLINE_ACK_DAYS: 'soon', DEADLINE_ACTION_DAYS_PROSECUTOR: '0' })).toThrow(
      /DEADLINE_ACK_DAYS must be a whole number[\s\S]*DEADLINE_ACTION_DAYS_PROSECUTOR must be a whole number/,
    );
    expect(() => loadFeatureSettings({ DEADLINE_ACK_DAYS_OTHER: '90' })).toThrow(
      /action deadline of OTHER agencies \(60 days\) is shorter/,
    );
  });
});
