// A repeat offender is caught whichever comes first, the shared identifier or the offence.
// A conviction matches the sellers already sharing an identifier with the convicted case's sellers, in the
// recording transaction; the sweep (server timer, `eca repeat-offenders sweep`) matches those of any offender,
// a closed seller included, never twice for a pair. Confirming a match applies REPEAT_OFFENDER_SANCTION
// (default inherit: the earlier seller's status, at least SUSPENDED) and moves its lead to TRIAGED. The lead
// names the brands of the earlier seller's cases, so that those brands see the seller is back, and no other
// brand does; it names no identifier value.
import {
  RepeatOffenderSanction,
  loadRepeatOffenderSettings,
} from '../../src/modules/repeat-offender/repeat-offender.settings';
import { sanctionFor } from '../../src/modules/repeat-offender/repeat-offender-match-decision.service';
import { sweepRepeatOffenders } from '../../src/modules/repeat-offender/repeat-offender-sweep';
import { SellerStatus } from '../../src/modules/seller/seller.entity';
import { decodeGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const rowId = (gid: string) => decodeGlobalId(gid).rowId;
const createSeller = async (externalId: string, identifiers: { kind: string; value: string }[], region = 'CN-ZJ') =>
  (
    await mutate(
      server,
      world.keys.investigator,
      'createSeller',
      { platform: 'TAOBAO', externalId, displayName: `Shop ${externalId}`, region, identifiers },
      'seller { id }',
    )
  ).seller.id as string;
const closeSeller = (sellerId: string) =>
  mutate(
    server,
    world.keys.investigator,
    'updateSellerStatus',
    { sellerId, status: 'CLOSED', reason: 'counterfeits, again' },
    'seller { status }',
  );
/** Matches in the database, by the sellers' external ids: [seller, prior seller, status]. */
const matchRows = async () =>
  (
    await db.dataSource.query(
      `SELECT s.external_id AS seller, p.external_id AS prior, m.status FROM repeat_offender_match m
   JOIN seller s ON s.id = m.seller_id JOIN seller p ON p.id = m.prior_seller_id ORDER BY m.id`,
    )
  ).map((r: any) => [r.seller, r.prior, r.status]);
// As a server runs it: on the API's connections (role eca_app, under row-level security).
const sweep = () => sweepRepeatOffenders(server.dataSource, server.config);

describe('the sweep', () => {
  it('matches the sellers already sharing an identifier with a seller once it is closed, each pair once, a rejected pair never again', async () => {
    const earlier = await createSeller('sweep-earlier', [{ kind: 'PHONE', value: '+86 137 0000 1111' }]);
    await createSeller('sweep-sharing', [{ kind: 'PHONE', value: '137 0000 1111' }]);
    await createSeller('sweep-other', [{ kind: 'PHONE', value: '+86 137 0000 2222' }]);
    expect(await matchRows()).toEqual([]);
    // Closing the seller matches the sellers already sharing an identifier with it, in the same change.
    await closeSeller(earlier);
    expect(await matchRows()).toEqual([['sweep-sharing', 'sweep-earlier', 'PENDING']]);
    expect(await sweep()).toEqual({ raised: 0, complete: true });
    const [lead] = await db.dataSource
      .query(`SELECT l.source, l.status, l.reported_by_id, (SELECT array_agg(s.external_id ORDER BY s.external_id) FROM lead_seller ls JOIN seller s ON s.id = ls.seller_id WHERE ls.lead_id = l.id) AS sellers
      FROM lead l JOIN repeat_offender_match m ON m.lead_id = l.id`);
    expect(lead).toEqual({
      source: 'REPEAT_OFFENDER_MATCH',
      status: 'NEW',
      reported_by_id: expect.any(String),
      sellers: ['sweep-earlier', 'sweep-sharing'],
    });
    const [event] = await db.dataSource.query(
      `SELECT actor_label FROM audit_event WHERE action = 'repeatOffenderMatch.raised'`,
    );
    expect(event.actor_label).toContain('INVESTIGATOR');

    // Again: nothing new. Rejected: never raised again.
    expect(await sweep()).toEqual({ raised: 0, complete: true });
    const [{ id }] = await db.dataSource.query(`SELECT id FROM repeat_offender_match`);
    const matchId = dataOf(
      await server.gql(world.keys.investigator, '{ repeatOffenderMatches(first: 5) { nodes { id } } }'),
    ).repeatOffenderMatches.nodes[0].id;
    expect(rowId(matchId)).toBe(String(id));
    await mutate(
      server,
      world.keys.investigator,
      'rejectRepeatOffenderMatch',
      { matchId, note: 'a shared shop phone' },
      'match { status }',
    );
    expect(await sweep()).toEqual({ raised: 0, complete: true });
    expect(await matchRows()).toEqual([['sweep-sharing', 'sweep-earlier', 'REJECTED']]);
  });

  it('works through the pairs in transactions of its own, up to a limit per run', async () => {
    const earlier = await createSeller('batch-earlier', [{ kind: 'DEVICE', value: 'IMEI-BATCH' }]);
    for (const n of [1, 2, 3]) await createSeller(`batch-${n}`, [{ kind: 'DEVICE', value: 'imei-batch' }]);
    // Closed outside the API (data carried over from an earlier system): only the sweep can find its pairs.
    await db.dataSource.query(`UPDATE seller SET status = 'CLOSED' WHERE id = $1`, [rowId(earlier)]);
    expect(await sweepRepeatOffenders(db.dataSource, server.config, { maxMatches: 2, perTransaction: 1 })).toEqual({
      raised: 2,
      complete: false,
    });
    expect(await sweepRepeatOffenders(db.dataSource, server.config, { maxMatches: 2, perTransaction: 1 })).toEqual({
      raised: 1,
      complete: true,
    });
    expect(
      (await matchRows())
        .filter(([, prior]: string[]) => prior === 'batch-earlier')
        .map(([seller]: string[]) => seller),
    ).toEqual(['batch-1', 'batch-2', 'batch-3']);
  });
});

describe('a conviction', () => {
  it("matches, in its own transaction, the sellers already sharing an identifier with the convicted case's sellers, as the system", async () => {
    // Seller A of the fixtures shares a phone with seller B; brand A's case against A ends in a conviction.
    const c = await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'conviction sweep' });
    const outcome = (kind: string, extra: Record<string, unknown> = {}) =>
      mutate(
        server,
        world.keys.agencyX,
        'recordEnforcementOutcome',
        { referralId: c.referralId, kind, occurredAt: new Date().toISOString(), ...extra },
        'outcome { id kind referral { status } }',
      );
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
    await outcome('RAID', { arrests: 1 });
    await outcome('PROSECUTION');
    const { outcome: conviction } = await outcome('CONVICTION', { convictions: 1 });
    // The agency's answer is read in its own scope again after the system's part.
    expect(conviction).toMatchObject({ kind: 'CONVICTION', referral: { status: 'CONVICTED' } });

    expect((await matchRows()).filter(([, prior]: string[]) => prior === 'sa')).toEqual([['sb', 'sa', 'PENDING']]);
    const events = await db.dataSource.query(
      `SELECT action, actor_label, request_id FROM audit_event WHERE request_id = (SELECT request_id FROM audit_event WHERE action = 'enforcementOutcome.recorded' ORDER BY seq DESC LIMIT 1) ORDER BY seq`,
    );
    expect(events.map((e: any) => e.action)).toEqual(
      expect.arrayContaining([
        'enforcementOutcome.recorded',
        'referral.convicted',
        'lead.reported',
        'repeatOffenderMatch.raised',
      ]),
    );
    expect(events.find((e: any) => e.action === 'repeatOffenderMatch.raised').actor_label).toBe(
      'repeat-offender sweep (ADMIN)',
    );
    // The agency sees neither the match nor its lead.
    const agency = dataOf(
      await server.gql(
        world.keys.agencyX,
        '{ repeatOffenderMatches(first: 5) { totalCount } leads(first: 50, filter: { source: [REPEAT_OFFENDER_MATCH] }) { totalCount } }',
      ),
    );
    expect(agency).toEqual({ repeatOffenderMatches: { totalCount: 0 }, leads: { totalCount: 0 } });
  });
});

describe('the match lead', () => {
  it("names the brands of the earlier seller's cases: brand A sees it with the new seller, brand B does not, and no identifier value shows", async () => {
    const earlier = await createSeller('brand-earlier', [
      { kind: 'EMAIL', value: 'Fake.Goods+a@gmail.com' },
      { kind: 'PHONE', value: '+86 139 1234 0000' },
    ]);
    // Brand A's case against it (and one of brand B closed as not counterfeit: no case against it).
    const { lead } = await mutate(
      server,
      world.keys.investigator,
      'reportLead',
      { brandIds: [world.gid.brandA], description: 'fake ALPHA bags', sellerIds: [earlier] },
      'lead { id }',
    );
    const { lead: dismissed } = await mutate(
      server,
      world.keys.investigator,
      'reportLead',
      { brandIds: [world.gid.brandB], description: 'BETA?', sellerIds: [earlier] },
      'lead { id }',
    );
    await mutate(
      server,
      world.keys.investigator,
      'closeLead',
      { leadId: dismissed.id, reason: 'NOT_COUNTERFEIT' },
      'lead { id }',
    );
    await closeSeller(earlier);
    const back = await createSeller('brand-back', [{ kind: 'EMAIL', value: 'fakegoods@gmail.com' }]);

    const [row] = await db.dataSource.query(
      `SELECT array_agg(b.slug ORDER BY b.slug) AS brands FROM repeat_offender_match m JOIN lead_brand lb ON lb.lead_id = m.lead_id
      JOIN brand b ON b.id = lb.brand_id WHERE m.seller_id = $1`,
      [rowId(back)],
    );
    expect(row.brands).toEqual(['alpha']);

    const query = `{ leads(first: 20, filter: { source: [REPEAT_OFFENDER_MATCH] }) { nodes { id source description brands { name } sellers { id displayName identifiers { kind } } repeatOffenderMatch { id } } } }`;
    const seenByA = dataOf(await server.gql(world.keys.brandA, query)).leads.nodes.filter((l: any) =>
      l.sellers.some((s: any) => s.id === back),
    );
    expect(seenByA).toHaveLength(1);
    expect(seenByA[0]).toMatchObject({
      source: 'REPEAT_OFFENDER_MATCH',
      brands: [{ name: 'Alpha' }],
      repeatOffenderMatch: null,
    });
    expect(seenByA[0].sellers.map((s: any) => s.id).sort()).toEqual([earlier, back].sort());
    expect(seenByA[0].description).toContain('shares EMAIL with TAOBAO/brand-earlier');
    const text = JSON.stringify(seenByA);
    for (const value of ['fake.goods', 'fakegoods', 'gmail', '139', '1234'])
      expect(text.toLowerCase()).not.toContain(value);
    expect(seenByA[0].sellers.map((s: any) => s.identifiers)).toEqual([[], []]);
    // Brand A's own case is still its own; brand B sees no match lead.
    expect(
      dataOf(await server.gql(world.keys.brandA, `query($id: ID!) { node(id: $id) { id } }`, { id: lead.id })).node,
    ).toEqual({ id: lead.id });
    const seenByB = dataOf(await server.gql(world.keys.brandB, query)).leads.nodes;
    expect(seenByB.filter((l: any) => l.sellers.some((s: any) => s.id === back))).toEqual([]);
  });
});

describe('confirming a match', () => {
  it("gives the new seller the earlier seller's status (inherit: CLOSED for a closed one) and moves the lead to TRIAGED with the match noted", async () => {
    const earlier = await createSeller('confirm-earlier', [{ kind: 'BANK_ACCOUNT', value: '6222 0000 7777' }]);
    await closeSeller(earlier);
    const back = await createSeller('confirm-back', [{ kind: 'BANK_ACCOUNT', value: '6222-0000-7777' }]);
    const before = (
      await db.dataSource.query(`SELECT status, strike_count FROM seller WHERE id = $1`, [rowId(back)])
    )[0];
    expect(before).toEqual({ status: 'ACTIVE', strike_count: 0 });
    const matchId = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($ids: [ID!]) { repeatOffenderMatches(first: 5, filter: { sellerIds: $ids }) { nodes { id } } }`,
        { ids: [back] },
      ),
    ).repeatOffenderMatches.nodes[0].id;

    const { match } = await mutate(
      server,
      world.keys.investigator,
      'confirmRepeatOffenderMatch',
      { matchId, note: 'same bank account', idempotencyKey: 'confirm-1' },
      'match { status sanctionApplied seller { status } lead { status internalNotes } }',
    );
    expect(match).toMatchObject({
      status: 'CONFIRMED',
      sanctionApplied: 'CLOSED',
      seller: { status: 'CLOSED' },
      lead: { status: 'TRIAGED' },
    });
    expect(match.lead.internalNotes).toContain('TAOBAO/confirm-earlier (CLOSED)');
    expect(match.lead.internalNotes).toContain('same bank account');

    // In the database, with the sanction audited as the investigator's direct action, in the confirming request.
    const [seller] = await db.dataSource.query(`SELECT status FROM seller WHERE id = $1`, [rowId(back)]);
    expect(seller.status).toBe('CLOSED');
    const [lead] = await db.dataSource.query(
      `SELECT l.status, l.triaged_at IS NOT NULL AS triaged FROM lead l JOIN repeat_offender_match m ON m.lead_id = l.id WHERE m.id = $1`,
      [rowId(matchId)],
    );
    expect(lead).toEqual({ status: 'TRIAGED', triaged: true });
    const events = await db.dataSource.query(
      `SELECT action, entity_type FROM audit_event WHERE request_id = (SELECT request_id FROM audit_event WHERE action = 'repeatOffenderMatch.confirmed' ORDER BY seq DESC LIMIT 1) ORDER BY seq`,
    );
    expect(events.map((e: any) => e.action)).toEqual([
      'seller.statusChanged',
      'repeatOffenderMatch.confirmed',
      'lead.triaged',
    ]);

    // A retry with the same key answers the same, and sanctions nothing twice.
    const again = await mutate(
      server,
      world.keys.investigator,
      'confirmRepeatOffenderMatch',
      { matchId, note: 'same bank account', idempotencyKey: 'confirm-1' },
      'match { status sanctionApplied }',
    );
    expect(again.match).toEqual({ status: 'CONFIRMED', sanctionApplied: 'CLOSED' });
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'seller.statusChanged' AND entity_id = $1`,
      [rowId(back)],
    );
    expect(n).toBe(1);
  });

  it('follows REPEAT_OFFENDER_SANCTION: inherit is at least SUSPENDED, suspend is SUSPENDED, none is nothing, and never lowers a status', () => {
    const { ACTIVE, WARNED, SUSPENDED, CLOSED } = SellerStatus;
    expect(sanctionFor(RepeatOffenderSanction.INHERIT, CLOSED, ACTIVE)).toBe(CLOSED);
    expect(sanctionFor(RepeatOffenderSanction.INHERIT, WARNED, ACTIVE)).toBe(SUSPENDED);
    expect(sanctionFor(RepeatOffenderSanction.INHERIT, ACTIVE, WARNED)).toBe(SUSPENDED);
    expect(sanctionFor(RepeatOffenderSanction.SUSPEND, CLOSED, ACTIVE)).toBe(SUSPENDED);
    expect(sanctionFor(RepeatOffenderSanction.NONE, CLOSED, ACTIVE)).toBeNull();
    expect(sanctionFor(RepeatOffenderSanction.SUSPEND, CLOSED, SUSPENDED)).toBeNull();
    expect(sanctionFor(RepeatOffenderSanction.INHERIT, SUSPENDED, CLOSED)).toBeNull();
    expect(loadRepeatOffenderSettings({})).toEqual({ sanction: 'inherit', sweepIntervalMs: 300_000 });
    expect(
      loadRepeatOffenderSettings({ REPEAT_OFFENDER_SANCTION: 'none', REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS: '0' }),
    ).toEqual({ sanction: 'none', sweepIntervalMs: 0 });
    expect(() =>
      loadRepeatOffenderSettings({ REPEAT_OFFENDER_SANCTION: 'ban', REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS: '-1' }),
    ).toThrow(
      /REPEAT_OFFENDER_SANCTION must be one of inherit, suspend, none, got "ban"[\s\S]*REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS/,
    );
  });
});
