import { dataOf } from '../support/server';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { NETWORK_MAX_SELLERS } from '../../src/modules/analytics/analytics.types';
import { insertLead } from './fixture';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    // A chain s1 - s2 - s3 - s4 - s5 - s6, each pair through an identifier of its own kind.
    for (let i = 1; i <= 6; i += 1) await seller(`s${i}`);
    const kinds = ['PAYMENT_ACCOUNT', 'PHONE', 'ADDRESS', 'DEVICE', 'BUSINESS_LICENSE'];
    for (let i = 1; i <= 5; i += 1) await share(kinds[i - 1], 100 + i, `s${i}`, `s${i + 1}`);
    // A cycle c1 - c2 - c3 - c1, and c1 and c2 also share an email.
    for (const name of ['c1', 'c2', 'c3']) await seller(name, 'CN-GD');
    await share('PHONE', 201, 'c1', 'c2');
    await share('PHONE', 202, 'c2', 'c3');
    await share('PHONE', 203, 'c3', 'c1');
    await share('EMAIL', 204, 'c1', 'c2');
    // A hub sharing one device with 250 shops.
    await seller('hub');
    const spokes: string[] = [];
    for (let i = 1; i <= 250; i += 1) spokes.push(await seller(`spoke${i}`));
    await db.dataSource.query(
      `INSERT INTO seller_identifier (seller_id, kind, value_hash) SELECT unnest($1::bigint[]), 'DEVICE', $2`,
      [[ids.hub, ...spokes], hash(300)],
    );
    // Brand A's cases reach s2 and s4 (listings), s3 on a lead naming brand B only; agency X's case names s2.
    await listing('s2', 'brandA', true);
    await listing('s4', 'brandA');
    await listing('s3', 'brandB', true);
    world.ids.s2 = ids.s2;
    world.ids.s3 = ids.s3;
    await insertLead(db.dataSource, world, {
      name: 'N1',
      brands: ['brandA'],
      sellers: ['s2'],
      source: 'BRAND_REPORT',
      status: 'REFERRED',
      createdAt: '2026-01-01T00:00:00Z',
      triagedAt: '2026-01-02T00:00:00Z',
      investigation: {
        createdAt: '2026-01-03T00:00:00Z',
        status: 'REFERRED',
        referrals: [
          { agency: 'agencyX', status: 'SENT', createdAt: '2026-01-04T00:00:00Z', sentAt: '2026-01-05T00:00:00Z' },
        ],
      },
    });
    await insertLead(db.dataSource, world, {
      name: 'N2',
      brands: ['brandB'],
      sellers: ['s3'],
      source: 'BRAND_REPORT',
      status: 'NEW',
      createdAt: '2026-01-06T00:00:00Z',
    });
  },
});
const ids: Record<string, string> = {};
const gid = (name: string) => toGlobalId('Seller', ids[name]);
const hash = (n: number) => n.toString(16).padStart(64, '0');

async function seller(name: string, region = 'CN-ZJ'): Promise<string> {
  const [row] = await db.dataSource.query(
    `INSERT INTO seller (platform, external_id, display_name, region, status, strike_count) VALUES ('TAOBAO', $1, $1, $2, 'ACTIVE', 0) RETURNING id`,
    [name, region],
  );
  ids[name] = String(row.id);
  return ids[name];
}
async function share(kind: string, value: number, ...names: string[]) {
  for (const name of names)
    await db.dataSource.query('INSERT INTO seller_identifier (seller_id, kind, value_hash) VALUES ($1, $2, $3)', [
      ids[name],
      kind,
      hash(value),
    ]);
}
async function listing(name: string, brand: string, takenDown = false) {
  await db.dataSource.query(
    `INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status, taken_down_at) VALUES ($1, $2, 't', 'https://x', 100, 'CNY', $3, $4)`,
    [ids[name], world.ids[brand], takenDown ? 'TAKEN_DOWN' : 'LIVE', takenDown ? '2026-02-01T00:00:00Z' : null],
  );
}

const NETWORK = `query($id: ID!, $depth: Int) { sellerNetwork(sellerId: $id, maxDepth: $depth) {
  seller { displayName } maxDepth truncated members { seller { displayName } depth }
  links { from { displayName } to { displayName } kind valueHash } totals { sellers leads takedowns referrals } } }`;

async function network(token: string, id: string, depth?: number) {
  return dataOf(await server.gql(token, NETWORK, { id, depth })).sellerNetwork;
}
const members = (n: any) => n.members.map((m: any) => `${m.seller.displayName}@${m.depth}`);

describe('sellerNetwork', () => {
  it('follows shared identifiers breadth first, up to maxDepth (default 2)', async () => {
    expect(members(await network(world.keys.admin, gid('s1')))).toEqual(['s1@0', 's2@1', 's3@2']);
    expect(members(await network(world.keys.admin, gid('s3'), 1))).toEqual(['s3@0', 's2@1', 's4@1']);
    const deepest = await network(world.keys.admin, gid('s1'), 4);
    expect(members(deepest)).toEqual(['s1@0', 's2@1', 's3@2', 's4@3', 's5@4']);
    expect(deepest.truncated).toBe(false);
    expect(deepest.links.map((l: any) => `${l.from.displayName}-${l.to.displayName}:${l.kind}`)).toEqual([
      's1-s2:PAYMENT_ACCOUNT',
      's2-s3:PHONE',
      's3-s4:ADDRESS',
      's4-s5:DEVICE',
    ]);
  });

  it('refuses a depth beyond 4 or below 1', async () => {
    for (const depth of [0, 5]) {
      const response = await server.gql(world.keys.admin, NETWORK, { id: gid('s1'), depth });
      expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('ends on cycles, each seller once at its nearest depth, every shared identifier a link', async () => {
    const cycle = await network(world.keys.investigator, gid('c1'), 4);
    expect(members(cycle)).toEqual(['c1@0', 'c2@1', 'c3@1']);
    expect(cycle.links.map((l: any) => `${l.from.displayName}-${l.to.displayName}:${l.kind}`).sort()).toEqual([
      'c1-c2:EMAIL',
      'c1-c2:PHONE',
      'c1-c3:PHONE',
      'c2-c3:PHONE',
    ]);
    expect(cycle.totals).toEqual({ sellers: 3, leads: 0, takedowns: 0, referrals: 0 });
  });

  it('stops at 200 sellers, the nearest first, and says it was truncated', async () => {
    const star = await network(world.keys.admin, gid('hub'), 1);
    expect(star.truncated).toBe(true);
    expect(star.members).toHaveLength(NETWORK_MAX_SELLERS);
    expect(star.members[0]).toEqual({ seller: { displayName: 'hub' }, depth: 0 });
    const fromSpoke = await network(world.keys.admin, toGlobalId('Seller', ids.spoke1), 4);
    expect(fromSpoke.truncated).toBe(true);
    expect(fromSpoke.members).toHaveLength(NETWORK_MAX_SELLERS);
    expect(fromSpoke.links.length).toBeLessThanOrEqual(1000);
  });

  it('shows identifier hashes to administrators and investigators only, kinds to internal roles only', async () => {
    const admin = await network(world.keys.admin, gid('s1'), 1);
    expect(admin.links).toEqual([
      { from: { displayName: 's1' }, to: { displayName: 's2' }, kind: 'PAYMENT_ACCOUNT', valueHash: hash(101) },
    ]);
    const analyst = await network(world.keys.analyst, gid('s1'), 1);
    expect(analyst.links).toEqual([
      { from: { displayName: 's1' }, to: { displayName: 's2' }, kind: 'PAYMENT_ACCOUNT', valueHash: null },
    ]);
  });

  it('shows a brand partner only the sellers of its own cases, with no identifier data', async () => {
    // From s2 (brand A's listing) at depth 4: s1..s6 are linked, brand A sees s2 and s4 only; no direct link between them.
    const brandA = await network(world.keys.brandA, gid('s2'), 4);
    expect(members(brandA)).toEqual(['s2@0', 's4@2']);
    expect(brandA.links).toEqual([]);
    expect(brandA.totals).toEqual({ sellers: 2, leads: 1, takedowns: 1, referrals: 1 });
    // A seller out of its scope: null, as if it did not exist.
    expect(await network(world.keys.brandA, gid('s1'), 4)).toBeNull();
    expect(await network(world.keys.brandA, gid('s3'), 4)).toBeNull();
    // Brand B: s3 (its listing and lead); s2 and s4 are brand A's.
    const brandB = await network(world.keys.brandB, gid('s3'), 4);
    expect(members(brandB)).toEqual(['s3@0']);
    expect(brandB.totals).toEqual({ sellers: 1, leads: 1, takedowns: 1, referrals: 0 });
  });

  it('shows a partner the links between two of its sellers, without what they share', async () => {
    // Make s3 visible to brand A too: then s2 - s3 - s4 are linked directly.
    await db.dataSource.query(
      `INSERT INTO listing (seller_id, brand_id, title, url, price_amount, price_currency, status) VALUES ($1, $2, 't', 'https://x', 1, 'CNY', 'LIVE')`,
      [ids.s3, world.ids.brandA],
    );
    try {
      const brandA = await network(world.keys.brandA, gid('s2'), 2);
      expect(members(brandA)).toEqual(['s2@0', 's3@1', 's4@2']);
      expect(brandA.links).toEqual([
        { from: { displayName: 's2' }, to: { displayName: 's3' }, kind: null, valueHash: null },
        { from: { displayName: 's3' }, to: { displayName: 's4' }, kind: null, valueHash: null },
      ]);
    } finally {
      await db.dataSource.query(`DELETE FROM listing WHERE seller_id = $1 AND brand_id = $2`, [
        ids.s3,
        world.ids.brandA,
      ]);
    }
  });

  it('shows an agency only the sellers of its referrals', async () => {
    const agencyX = await network(world.keys.agencyX, gid('s2'), 4);
    expect(members(agencyX)).toEqual(['s2@0']);
    expect(agencyX.links).toEqual([]);
    expect(agencyX.totals).toEqual({ sellers: 1, leads: 1, takedowns: 0, referrals: 1 });
    expect(await network(world.keys.agencyY, gid('s2'), 4)).toBeNull();
  });

  it('adds up the leads, takedowns and sent referrals of the whole network for internal roles', async () => {
    const all = await network(world.keys.admin, gid('s3'), 4);
    expect(all.totals).toEqual({ sellers: 6, leads: 2, takedowns: 2, referrals: 1 });
  });
});
