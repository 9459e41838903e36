import { verifyAuditChain } from '../../src/shared/audit/audit.service';
import { dataOf } from '../support/server';
import { buildCase, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const VERIFY = '{ auditChainVerification { ok eventsChecked firstBrokenSeq problem } }';

describe('the audit chain', () => {
  it("detects a row altered behind the API's back, and names it", async () => {
    await buildCase(server, world, { referTo: world.gid.agencyX });
    expect(dataOf(await server.gql(world.keys.admin, VERIFY)).auditChainVerification.ok).toBe(true);
    const [victim] = await db.dataSource.query(
      `SELECT seq FROM audit_event WHERE action = 'lead.triaged' ORDER BY seq DESC LIMIT 1`,
    );
    await db.dataSource.query(`UPDATE audit_event SET after = jsonb_set(after, '{riskScore}', '1') WHERE seq = $1`, [
      victim.seq,
    ]);
    const result = dataOf(await server.gql(world.keys.admin, VERIFY)).auditChainVerification;
    expect(result).toMatchObject({
      ok: false,
      firstBrokenSeq: String(victim.seq),
      problem: expect.stringMatching(/altered/),
    });
    await db.dataSource.query(`UPDATE audit_event SET after = jsonb_set(after, '{riskScore}', '80') WHERE seq = $1`, [
      victim.seq,
    ]);
    expect((await verifyAuditChain(db.dataSource.manager)).ok).toBe(true);
  });

  it('detects a deleted row at the event that follows it', async () => {
    const [victim] = await db.dataSource.query(
      `SELECT seq FROM audit_event WHERE action = 'evidence.added' ORDER BY seq DESC LIMIT 1`,
    );
    const [next] = await db.dataSource.query(`SELECT seq FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT 1`, [
      victim.seq,
    ]);
    await db.dataSource.query(`DELETE FROM audit_event WHERE seq = $1`, [victim.seq]);
    const result = await verifyAuditChain(db.dataSource.manager);
    expect(result).toMatchObject({
      ok: false,
      firstBrokenSeq: String(next.seq),
      problem: expect.stringMatching(/removed/),
    });
  });

  it('is refused to everyone but admins', async () => {
    for (const key of [world.keys.investigator, world.keys.analyst, world.keys.brandA, world.keys.agencyX]) {
      expect((await server.gql(key, VERIFY)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });
});

describe('the agency sync feed', () => {
  const FEED = `query($after: String) { referralChanges(first: 7, after: $after) { edges { cursor node { seq kind referral { id } } } pageInfo { endCursor hasNextPage } } }`;

  async function drain(token: string, after: string | null, seen: string[]): Promise<string | null> {
    for (;;) {
      const page = dataOf(await server.gql(token, FEED, { after })).referralChanges;
      seen.push(...page.edges.map((e: any) => e.node.seq));
      if (page.pageInfo.endCursor) after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) return after;
    }
  }

  it('misses nothing and repeats nothing while changes commit concurrently', async () => {
    const cases = await Promise.all(
      Array.from({ length: 6 }, (_, i) => buildCase(server, world, { referTo: world.gid.agencyY, tag: `feed ${i}` })),
    );
    const seen: string[] = [];
    let cursor = await drain(world.keys.agencyY, null, seen);
    // Agency Y acknowledges and reports outcomes on all its referrals at once while its tool keeps syncing.
    const writes = Promise.all(
      cases.map(async (c, i) => {
        await mutate(
          server,
          world.keys.agencyY,
          'acknowledgeReferral',
          { referralId: c.referralId },
          'referral { id }',
        );
        await mutate(
          server,
          world.keys.agencyY,
          'recordEnforcementOutcome',
          { referralId: c.referralId, kind: 'RAID', occurredAt: new Date().toISOString(), arrests: i },
          'outcome { id }',
        );
        await mutate(
          server,
          world.keys.agencyY,
          'recordEnforcementOutcome',
          {
            referralId: c.referralId,
            kind: 'SEIZURE',
            occurredAt: new Date().toISOString(),
            seizedValue: { amount: 100, currency: 'CNY' },
          },
          'outcome { id }',
        );
      }),
    );
    let done = false;
    void writes.then(() => (done = true));
    while (!done) cursor = await drain(world.keys.agencyY, cursor, seen);
    await writes;
    cursor = await drain(world.keys.agencyY, cursor, seen);

    const all = await db.dataSource.query(
      `SELECT seq::text AS seq FROM referral_change rc WHERE agency_id = $1 ORDER BY rc.seq`,
      [world.ids.agencyY],
    );
    expect(seen).toEqual(all.map((r: any) => r.seq));
    expect(new Set(seen).size).toBe(6 * 4);
    // Agency X's tool never sees agency Y's changes.
    const other: string[] = [];
    await drain(world.keys.agencyX, null, other);
    const theirs = await db.dataSource.query(
      `SELECT seq::text AS seq FROM referral_change rc WHERE agency_id = $1 ORDER BY rc.seq`,
      [world.ids.agencyX],
    );
    expect(other).toEqual(theirs.map((r: any) => r.seq));
  });

  it('never exposes a change before the transactions that precede it have committed', async () => {
    // A transaction that takes the feed's order (the audit lock) and stays open: a later writer waits
    // behind it, so a reader can never see the later change while the earlier one is still invisible.
    const c = await buildCase(server, world, { referTo: world.gid.agencyY, send: false });
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock(72100001)');
    const sending = mutate(
      server,
      world.keys.investigator,
      'sendReferral',
      { referralId: c.referralId },
      'referral { status }',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pending = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM referral_change WHERE referral_id = (SELECT max(id) FROM referral)`,
    );
    expect(pending).toEqual([{ n: 0 }]);
    await runner.commitTransaction();
    await runner.release();
    expect((await sending).referral.status).toBe('SENT');
  });
});
