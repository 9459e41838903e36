// Defence in depth for the tables of the closing-the-loop features: PostgreSQL's own policies hide escalations, feedback,
// premises and repeat-offender matches outside the caller's scope, even from a query the application
// forgot to scope (the API role, eca_app, with a request's scope settings).
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { buildCase, CaseIds, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({
  beforeClose: async () => {
    await app.destroy();
  },
});
let app: DataSource;

async function followUp(caseIds: CaseIds, agencyKey: string, region: string, tag: string) {
  const inv = world.keys.investigator;
  const { premises } = await mutate(
    server,
    inv,
    'registerPremises',
    { kind: 'WAREHOUSE', region, address: `Warehouse ${tag}` },
    'premises { id }',
  );
  await mutate(
    server,
    inv,
    'recordFinding',
    {
      investigationId: caseIds.investigationId,
      kind: 'WAREHOUSE',
      region,
      address: `Warehouse ${tag}`,
      premisesId: premises.id,
    },
    'finding { id }',
  );
  await mutate(server, inv, 'sendReferral', { referralId: caseIds.referralId }, 'referral { id }');
  await mutate(
    server,
    inv,
    'escalateReferral',
    { referralId: caseIds.referralId, escalatedTo: `Director ${tag}`, reason: 'late' },
    'escalation { id }',
  );
  await mutate(
    server,
    agencyKey,
    'addReferralFeedback',
    { referralId: caseIds.referralId, message: `Feedback ${tag}` },
    'feedback { id }',
  );
}

beforeAll(async () => {
  await followUp(
    await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, send: false }),
    world.keys.agencyX,
    'CN-ZJ',
    'X',
  );
  await followUp(
    await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyY, send: false }),
    world.keys.agencyY,
    'CN-GD',
    'Y',
  );
  // An unlinked premises, and a repeat-offender match.
  await mutate(
    server,
    world.keys.investigator,
    'registerPremises',
    { kind: 'ADDRESS', region: 'CN-FJ', address: 'Unlinked' },
    'premises { id }',
  );
  const { seller } = await mutate(
    server,
    world.keys.investigator,
    'createSeller',
    {
      platform: 'TAOBAO',
      externalId: 'rls-closed',
      displayName: 'c',
      region: 'CN-ZJ',
      identifiers: [{ kind: 'EMAIL', value: 'rls@example.com' }],
    },
    'seller { id }',
  );
  await mutate(
    server,
    world.keys.investigator,
    'updateSellerStatus',
    { sellerId: seller.id, status: 'CLOSED', reason: 'closed' },
    'seller { id }',
  );
  await mutate(
    server,
    world.keys.investigator,
    'createSeller',
    {
      platform: 'TAOBAO',
      externalId: 'rls-repeat',
      displayName: 'r',
      region: 'CN-ZJ',
      identifiers: [{ kind: 'EMAIL', value: 'rls@example.com' }],
    },
    'seller { id }',
  );
  app = await createDataSource({ url: db.apiUrl, api: true, poolSize: 2 }).initialize();
});

const COUNTS = `SELECT (SELECT count(*)::int FROM referral_escalation) AS escalations, (SELECT count(*)::int FROM referral_feedback) AS feedback,
  (SELECT count(*)::int FROM premises) AS premises, (SELECT count(*)::int FROM repeat_offender_match) AS matches,
  (SELECT string_agg(escalated_to, ',') FROM referral_escalation) AS "escalatedTo", (SELECT string_agg(address, ',' ORDER BY address) FROM premises) AS addresses`;

async function unscoped(scope: string, brandId: string, agencyId: string) {
  return app.transaction(async (m) => {
    await m.query(
      `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true), set_config('eca.agency_id', $3, true)`,
      [scope, brandId, agencyId],
    );
    return (await m.query(COUNTS))[0];
  });
}

describe('row-level security of the closing-the-loop tables', () => {
  it('shows internal roles everything', async () => {
    expect(await unscoped('ALL', '', '')).toMatchObject({ escalations: 2, feedback: 2, premises: 3, matches: 1 });
  });

  it("shows an agency its own referrals' escalations, feedback and premises, and no match", async () => {
    expect(await unscoped('AGENCY', '', world.ids.agencyX)).toEqual({
      escalations: 1,
      feedback: 1,
      premises: 1,
      matches: 0,
      escalatedTo: 'Director X',
      addresses: 'Warehouse X',
    });
    expect(await unscoped('AGENCY', '', world.ids.agencyY)).toEqual({
      escalations: 1,
      feedback: 1,
      premises: 1,
      matches: 0,
      escalatedTo: 'Director Y',
      addresses: 'Warehouse Y',
    });
  });

  it('shows a brand partner none of them, and a connection without a scope nothing', async () => {
    expect(await unscoped('BRAND', world.ids.brandA, '')).toEqual({
      escalations: 0,
      feedback: 0,
      premises: 0,
      matches: 0,
      escalatedTo: null,
      addresses: null,
    });
    expect((await app.query(COUNTS))[0]).toEqual({
      escalations: 0,
      feedback: 0,
      premises: 0,
      matches: 0,
      escalatedTo: null,
      addresses: null,
    });
  });
});

describe("row-level security of brand_report_stats (the fast track's per-brand counters)", () => {
  const brandsSeen = (scope: string, brandId: string, agencyId: string) =>
    app.transaction(async (m) => {
      await m.query(
        `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true), set_config('eca.agency_id', $3, true)`,
        [scope, brandId, agencyId],
      );
      return (await m.query(`SELECT DISTINCT brand_id::text AS id FROM brand_report_stats ORDER BY 1`)).map(
        (row: { id: string }) => row.id,
      );
    });

  it("shows a brand partner its own brand's rows, an agency those of the brands of its referrals, internal roles all", async () => {
    for (const key of [world.keys.brandA, world.keys.brandB])
      await mutate(server, key, 'reportLead', { description: 'counted in brand_report_stats' }, 'lead { id }');
    const both = [world.ids.brandA, world.ids.brandB].sort();
    // The owner's view, for reference: both brands have counters.
    expect(
      (await db.dataSource.query(`SELECT DISTINCT brand_id::text AS id FROM brand_report_stats ORDER BY 1`)).map(
        (row: { id: string }) => row.id,
      ),
    ).toEqual(both);
    expect(await brandsSeen('ALL', '', '')).toEqual(both);
    expect(await brandsSeen('BRAND', world.ids.brandA, '')).toEqual([world.ids.brandA]);
    expect(await brandsSeen('BRAND', world.ids.brandB, '')).toEqual([world.ids.brandB]);
    expect(await brandsSeen('AGENCY', '', world.ids.agencyX)).toEqual([world.ids.brandA]);
    expect(await brandsSeen('AGENCY', '', world.ids.agencyY)).toEqual([world.ids.brandB]);
    expect(await brandsSeen('', '', '')).toEqual([]);
  });
});

describe('row-level security of seller_sanction (each seller sanction, for the takedown series)', () => {
  /** Under a request's scope: the sellers of seller_sanction's rows, and the sanctioned sellers `seller` admits. */
  const seen = (scope: string, brandId: string, agencyId: string) =>
    app.transaction(async (m) => {
      await m.query(
        `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true), set_config('eca.agency_id', $3, true)`,
        [scope, brandId, agencyId],
      );
      const ids = async (sql: string) => (await m.query(sql)).map((row: { id: string }) => row.id);
      return {
        sanctions: await ids(`SELECT DISTINCT seller_id::text AS id FROM seller_sanction ORDER BY 1`),
        bySellerPolicy: await ids(
          `SELECT id::text FROM seller WHERE id IN (SELECT seller_id FROM seller_sanction) ORDER BY 1`,
        ),
      };
    });

  it('admits exactly the sanctions of the sellers the seller policy admits, whatever the scope', async () => {
    for (const sellerId of [world.gid.sellerA, world.gid.sellerB, world.gid.sellerAB])
      await mutate(
        server,
        world.keys.investigator,
        'updateSellerStatus',
        { sellerId, status: 'SUSPENDED', reason: 'counted in seller_sanction' },
        'seller { id }',
      );
    // The owner's view, for reference (the cases built above sanction sellers too).
    const all = (
      await db.dataSource.query(`SELECT DISTINCT seller_id::text AS id FROM seller_sanction ORDER BY 1`)
    ).map((row: { id: string }) => row.id);
    expect(all).toEqual(expect.arrayContaining([world.ids.sellerA, world.ids.sellerB, world.ids.sellerAB]));
    const scopes: [string, string, string][] = [
      ['ALL', '', ''],
      ['BRAND', world.ids.brandA, ''],
      ['BRAND', world.ids.brandB, ''],
      ['AGENCY', '', world.ids.agencyX],
      ['AGENCY', '', world.ids.agencyY],
      ['', '', ''],
    ];
    const admitted = [];
    for (const scope of scopes) {
      const { sanctions, bySellerPolicy } = await seen(...scope);
      expect(sanctions).toEqual(bySellerPolicy);
      admitted.push(sanctions.length);
    }
    // Not vacuous: every scope but none sees some, and the partners fewer than all.
    expect(admitted[0]).toBe(all.length);
    expect(admitted.slice(1, 5).every((n) => n > 0 && n < all.length)).toBe(true);
    expect(admitted[5]).toBe(0);
  });
});
