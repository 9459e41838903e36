// Repeat offenders across identities: an identifier recorded for a seller that matches
// one of a closed or convicted seller opens a lead (REPEAT_OFFENDER_MATCH) naming both, with the shared
// identifier kinds, in the same transaction; an investigator confirms or rejects the match, and a rejected
// pair is not raised again. Then the sweeps, sanctions, brands and normalisation:
// test/repeat-offender/repeat-offender-sweeps.test.ts and test/seller/identifier-normalisation.test.ts.
import { buildCase, mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();
let prior: string; // closed seller
let repeat: string; // new seller sharing its phone
let matchId: string;
let convictionMatchId: string;

const SELLER = 'seller { id }';
const createSeller = async (externalId: string, identifiers: { kind: string; value: string }[]) =>
  (
    await mutate(
      server,
      world.keys.investigator,
      'createSeller',
      { platform: 'TAOBAO', externalId, displayName: `Shop ${externalId}`, region: 'CN-GD', identifiers },
      SELLER,
    )
  ).seller.id as string;
const MATCHES = `query($sellerIds: [ID!]) { repeatOffenderMatches(first: 50, filter: { sellerIds: $sellerIds }) { totalCount nodes {
  id status identifierKinds priorOffences version decisionNote decidedBy { name }
  seller { id } priorSeller { id } lead { id source status riskScore description closeReason sellers { id } brands { id } repeatOffenderMatch { id } } } } }`;
const matchesOf = async (token: string, sellerId?: string) =>
  dataOf(await server.gql(token, MATCHES, { sellerIds: sellerId ? [sellerId] : null })).repeatOffenderMatches;
const leadCount = async () =>
  (await db.dataSource.query(`SELECT count(*)::int AS n FROM lead WHERE source = 'REPEAT_OFFENDER_MATCH'`))[0].n;

describe('repeat-offender matches', () => {
  it('open a lead naming both sellers when a new seller is known by an identifier of a closed seller', async () => {
    prior = await createSeller('closed-shop', [
      { kind: 'PHONE', value: '+86 137 5555 0001' },
      { kind: 'DEVICE', value: 'IMEI-1' },
    ]);
    await mutate(
      server,
      world.keys.investigator,
      'updateSellerStatus',
      { sellerId: prior, status: 'CLOSED', reason: 'Counterfeits, third strike' },
      'seller { status }',
    );
    expect(await leadCount()).toBe(0);

    repeat = await createSeller('reopened-shop', [
      { kind: 'PHONE', value: '+86-137-5555-0001' },
      { kind: 'EMAIL', value: 'new@example.com' },
    ]);
    const { nodes, totalCount } = await matchesOf(world.keys.investigator, repeat);
    expect(totalCount).toBe(1);
    const [match] = nodes;
    matchId = match.id;
    expect(match).toMatchObject({
      status: 'PENDING',
      identifierKinds: ['PHONE'],
      priorOffences: ['SELLER_CLOSED'],
      seller: { id: repeat },
      priorSeller: { id: prior },
      lead: {
        source: 'REPEAT_OFFENDER_MATCH',
        status: 'NEW',
        riskScore: 80,
        brands: [],
        repeatOffenderMatch: { id: match.id },
      },
    });
    expect(match.lead.sellers.map((s: any) => s.id).sort()).toEqual([repeat, prior].sort());
    expect(match.lead.description).toContain('shares PHONE with TAOBAO/closed-shop');

    // Seller, identifiers, lead and match were written, and audited, by the one createSeller request.
    const events = await db.dataSource.query(
      `SELECT action, request_id FROM audit_event WHERE seq > (SELECT max(seq) FROM audit_event WHERE action = 'seller.statusChanged') ORDER BY seq`,
    );
    expect(events.map((e: any) => e.action)).toEqual([
      'seller.created',
      'sellerIdentifier.added',
      'sellerIdentifier.added',
      'lead.reported',
      'repeatOffenderMatch.raised',
    ]);
    expect(new Set(events.map((e: any) => e.request_id)).size).toBe(1);
  });

  it('add newly shared kinds to a pair already raised, without a second lead', async () => {
    await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: repeat, kind: 'DEVICE', value: 'IMEI-1' },
      'identifier { id }',
    );
    const [match] = (await matchesOf(world.keys.investigator, repeat)).nodes;
    expect(match).toMatchObject({ id: matchId, identifierKinds: ['DEVICE', 'PHONE'], version: 2 });
    expect(await leadCount()).toBe(1);
  });

  it('are not raised for sellers that share identifiers but never offended', async () => {
    const a = await createSeller('honest-1', [{ kind: 'EMAIL', value: 'shared-office@example.com' }]);
    await createSeller('honest-2', [{ kind: 'EMAIL', value: 'shared-office@example.com' }]);
    expect((await matchesOf(world.keys.investigator, a)).totalCount).toBe(0);
    expect(await leadCount()).toBe(1);
  });

  it('are raised against a seller whose case ended in a conviction', async () => {
    const c = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'convicted' });
    const outcome = (kind: string, extra: Record<string, unknown> = {}) =>
      mutate(
        server,
        world.keys.agencyX,
        'recordEnforcementOutcome',
        { referralId: c.referralId, kind, occurredAt: new Date().toISOString(), ...extra },
        'outcome { id }',
      );
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
    await outcome('RAID', { arrests: 2 });
    await outcome('PROSECUTION');
    await outcome('CONVICTION', { convictions: 1 });
    // Seller A of the fixtures is known by a phone it shares with seller B (active, never convicted).
    const m = await createSeller('after-conviction', [{ kind: 'PHONE', value: '+86 138 0000 0001' }]);
    const { nodes } = await matchesOf(world.keys.investigator, m);
    expect(nodes.map((n: any) => [n.priorSeller.id, n.priorOffences])).toEqual([[world.gid.sellerA, ['CONVICTION']]]);
    convictionMatchId = nodes[0].id;
  });

  it('are confirmed or rejected by an investigator, along their lifecycle and with versions', async () => {
    const confirm = await mutate(
      server,
      world.keys.investigator,
      'confirmRepeatOffenderMatch',
      { matchId: convictionMatchId, note: 'Same bank account holder', expectedVersion: 1 },
      'match { status decisionNote decidedAt decidedBy { name } version }',
    );
    expect(confirm.match).toMatchObject({
      status: 'CONFIRMED',
      decisionNote: 'Same bank account holder',
      decidedBy: { name: 'investigator' },
      version: 2,
    });
    expect(
      await refused(server, world.keys.investigator, 'confirmRepeatOffenderMatch', { matchId: convictionMatchId }),
    ).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION' })]);
    expect(
      await refused(server, world.keys.investigator, 'rejectRepeatOffenderMatch', {
        matchId,
        note: 'x',
        expectedVersion: 1,
      }),
    ).toEqual([expect.objectContaining({ code: 'STALE_VERSION' })]);
    for (const key of [world.keys.analyst, world.keys.brandA, world.keys.agencyX]) {
      const response = await server.gql(
        key,
        `mutation($input: RejectRepeatOffenderMatchInput!) { rejectRepeatOffenderMatch(input: $input) { userErrors { code } } }`,
        { input: { matchId, note: 'no' } },
      );
      expect(response.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('once rejected closes its lead and is never raised again for the pair', async () => {
    const { match } = await mutate(
      server,
      world.keys.investigator,
      'rejectRepeatOffenderMatch',
      { matchId, note: 'Phone recycled by the carrier', expectedVersion: 2 },
      'match { status lead { status closeReason closeNote } }',
    );
    expect(match).toMatchObject({
      status: 'REJECTED',
      lead: {
        status: 'CLOSED',
        closeReason: 'OTHER',
        closeNote: 'Repeat-offender match rejected: Phone recycled by the carrier',
      },
    });
    const leads = await leadCount();
    // More shared identifiers, from either side: nothing new.
    await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: repeat, kind: 'BANK_ACCOUNT', value: '6222 1111' },
      'identifier { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: prior, kind: 'BANK_ACCOUNT', value: '6222-1111' },
      'identifier { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: repeat, kind: 'PAYMENT_ACCOUNT', value: 'alipay-77' },
      'identifier { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'addSellerIdentifier',
      { sellerId: prior, kind: 'PAYMENT_ACCOUNT', value: 'alipay-77' },
      'identifier { id }',
    );
    expect(await leadCount()).toBe(leads);
    const [again] = (await matchesOf(world.keys.investigator, repeat)).nodes;
    expect(again).toMatchObject({ id: matchId, status: 'REJECTED', identifierKinds: ['DEVICE', 'PHONE'] });
    expect(await refused(server, world.keys.investigator, 'confirmRepeatOffenderMatch', { matchId })).toEqual([
      expect.objectContaining({ code: 'INVALID_TRANSITION' }),
    ]);
  });

  it("are seen by internal roles only, and their leads by the brands of the earlier seller's cases only", async () => {
    // Three: the closed shop's, and two against seller A once its case (brand A's) ended in a conviction: seller B of
    // the fixtures, already sharing its phone (raised by the conviction), and the shop created after it.
    expect((await matchesOf(world.keys.analyst)).totalCount).toBe(3);
    for (const key of [world.keys.brandA, world.keys.brandB, world.keys.agencyX, world.keys.agencyY]) {
      expect((await matchesOf(key)).totalCount).toBe(0);
      const nodes = dataOf(
        await server.gql(key, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [matchId, convictionMatchId] }),
      ).nodes;
      expect(nodes).toEqual([null, null]);
      const leads = dataOf(
        await server.gql(key, `{ leads(first: 100, filter: { source: [REPEAT_OFFENDER_MATCH] }) { totalCount } }`),
      ).leads;
      expect(leads.totalCount).toBe(key === world.keys.brandA ? 2 : 0);
    }
    // Agency X sees seller A (its convicted case) but not the match lead naming it.
    const sellerA = dataOf(
      await server.gql(
        world.keys.agencyX,
        `query($id: ID!) { node(id: $id) { ... on Seller { leads(first: 50) { nodes { source } } } } }`,
        { id: world.gid.sellerA },
      ),
    ).node;
    expect(sellerA.leads.nodes.map((l: any) => l.source)).not.toContain('REPEAT_OFFENDER_MATCH');
  });
});
