// The enforcement policy through the API (docs/enforcement-policy.md): who is
// fast-tracked as an accurate reporter, who sets the risk score, and how strikes are given, counted, expire,
// are removed and lifted. Every check reads the database back through the owner connection, or compares
// with a figure computed independently in SQL. Default settings: fast track at 0.9 over 10 decided reports
// of the last 365 days; strikes 1/3/5, the same listing within 30 days counting once, expiring after 365 days.
import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { decodeIdOf, toGlobalId } from '../../src/shared/relay/global-id';
import { mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(text, params);
const rowId = (gid: string) => decodeIdOf(Buffer.from(gid, 'base64url').toString().split(':')[0], gid);
const inv = () => world.keys.investigator;

const report = async (token: string, input: Record<string, unknown>) =>
  (
    await mutate(
      server,
      token,
      'reportLead',
      { description: 'suspected counterfeit', ...input },
      'lead { id fastTrack riskScore reporterPriority }',
    )
  ).lead as { id: string; fastTrack: boolean; riskScore: number; reporterPriority: number | null };

async function insertRow(table: string, values: Record<string, unknown>): Promise<string> {
  const columns = Object.keys(values);
  const [row] = await sql(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
    Object.values(values),
  );
  return String(row.id);
}
let sellerCounter = 0;
async function newSeller(status = 'ACTIVE'): Promise<string> {
  sellerCounter += 1;
  return toGlobalId(
    'Seller',
    await insertRow('seller', {
      platform: 'TAOBAO',
      external_id: `ep-${sellerCounter}`,
      display_name: `Policy shop ${sellerCounter}`,
      region: 'CN-ZJ',
      status,
      strike_count: 0,
    }),
  );
}
async function newListings(sellerGid: string, n: number, brandId = world.ids.brandA): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < n; i += 1) {
    ids.push(
      toGlobalId(
        'Listing',
        await insertRow('listing', {
          seller_id: rowId(sellerGid),
          brand_id: brandId,
          title: `Copy ${i}`,
          url: `https://x/ep-${sellerGid}-${i}`,
          price_amount: 100,
          price_currency: 'CNY',
          status: 'LIVE',
        }),
      ),
    );
  }
  return ids;
}
const takeDown = (listingIds: string[], reason = 'counterfeit') =>
  mutate(server, inv(), 'takeDownListings', { listingIds, reason }, 'listings { id status }');
const reinstate = (listingId: string, extra: Record<string, unknown> = {}) =>
  mutate(server, inv(), 'reinstateListing', { listingId, reason: 'counter-notice', ...extra }, 'listing { id status }');
async function sellerRow(gid: string) {
  const [row] = await sql(`SELECT status, strike_count FROM seller WHERE id = $1`, [rowId(gid)]);
  return row as { status: string; strike_count: number };
}
/** Active strikes of a seller, counted in SQL from the rows (not from strike_count). */
async function activeStrikeRows(gid: string): Promise<number> {
  const [{ n }] = await sql(
    `SELECT count(*)::int AS n FROM seller_strike WHERE seller_id = $1 AND removed_at IS NULL AND expires_at > now()`,
    [rowId(gid)],
  );
  return n;
}
const lastEvent = async (gid: string, action: string) =>
  (
    await sql(
      `SELECT before, after FROM audit_event WHERE entity_type = 'Seller' AND entity_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1`,
      [rowId(gid), action],
    )
  )[0];

/** brand_report_stats must equal the same counts computed from the leads in SQL, per brand and day. */
async function expectStatsMatchLeads() {
  const independent = await sql(`
    SELECT lb.brand_id::text, to_char((l.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*)::int AS reported,
      count(*) FILTER (WHERE l.close_reason IN ('RESOLVED_BY_TAKEDOWN', 'CASE_CONCLUDED') OR (l.close_reason IS NULL AND l.status = 'REFERRED'))::int AS confirmed,
      count(*) FILTER (WHERE l.close_reason IN ('NOT_COUNTERFEIT', 'INSUFFICIENT_EVIDENCE'))::int AS rejected
    FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.source = 'BRAND_REPORT' GROUP BY 1, 2 ORDER BY 1, 2`);
  // A (brand, day) may have several rows (concurrent writers never wait for each other's row): their sum counts.
  const kept =
    await sql(`SELECT brand_id::text, to_char(day, 'YYYY-MM-DD') AS day, sum(reported)::int AS reported, sum(confirmed)::int AS confirmed, sum(rejected)::int AS rejected
    FROM brand_report_stats GROUP BY 1, 2 HAVING sum(reported) <> 0 OR sum(confirmed) <> 0 OR sum(rejected) <> 0 ORDER BY 1, 2`);
  expect(kept).toEqual(independent);
}

describe('reporter accuracy and the fast track (rule 6)', () => {
  it('does not fast-track a brand whose 10 reports were all investigated and closed NOT_COUNTERFEIT', async () => {
    const leads = [];
    for (let i = 0; i < 10; i += 1)
      leads.push((await report(world.keys.brandA, { description: `false report ${i}` })).id);
    for (const leadId of leads) await mutate(server, inv(), 'triageLead', { leadId }, 'lead { id }');
    await mutate(
      server,
      inv(),
      'openInvestigation',
      { leadIds: leads, summary: 'check the reports' },
      'investigation { id }',
    );
    for (const leadId of leads)
      await mutate(server, inv(), 'closeLead', { leadId, reason: 'NOT_COUNTERFEIT' }, 'lead { id }');

    const next = await report(world.keys.brandA, { description: 'after ten false reports' });
    expect(next.fastTrack).toBe(false);
    const [row] = await sql(`SELECT fast_track FROM lead WHERE id = $1`, [rowId(next.id)]);
    expect(row.fast_track).toBe(false);
    const [stats] = await sql(
      `SELECT sum(reported)::int AS reported, sum(confirmed)::int AS confirmed, sum(rejected)::int AS rejected FROM brand_report_stats WHERE brand_id = $1`,
      [world.ids.brandA],
    );
    expect(stats).toEqual({ reported: 11, confirmed: 0, rejected: 10 });
    // allTime (no period) is read from the scheduled rollup: refreshed here as the servers' schedule would.
    await refreshAnalyticsRollups(db.dataSource);
    const accuracy = dataOf(
      await server.gql(
        world.keys.brandA,
        `{ analytics { reporterAccuracy { fastTrack fastTrackWindow { days reportsConfirmed reportsRejected accuracy rule }
      allTime { leadsReported leadsConfirmed leadsRejected accuracy } } } }`,
      ),
    ).analytics.reporterAccuracy;
    expect(accuracy).toEqual([
      {
        fastTrack: false,
        fastTrackWindow: {
          days: 365,
          reportsConfirmed: 0,
          reportsRejected: 10,
          accuracy: 0,
          rule: 'accuracy < 0.9 (reports of the last 365 days) -> not fast-tracked',
        },
        allTime: { leadsReported: 11, leadsConfirmed: 0, leadsRejected: 10, accuracy: 0 },
      },
    ]);
    await expectStatsMatchLeads();
  });

  it('does not fast-track a brand for one undecided report naming 10 listings later taken down; 10 confirmed reports do', async () => {
    const seller = await newSeller();
    const listings = await newListings(seller, 10, world.ids.brandB);
    const one = await report(world.keys.brandB, { description: 'ten listings', listingIds: listings });
    await takeDown(listings);
    expect((await report(world.keys.brandB, { description: 'after the takedowns' })).fastTrack).toBe(false);
    const [{ listings_taken_down }] = await sql(
      `SELECT count(*)::int AS listings_taken_down FROM lead_listing ll JOIN listing x ON x.id = ll.listing_id WHERE ll.lead_id = $1 AND x.status = 'TAKEN_DOWN'`,
      [rowId(one.id)],
    );
    expect(listings_taken_down).toBe(10);

    // Counted per report: ten reports confirmed by takedown make the brand accurate.
    for (let i = 0; i < 10; i += 1) {
      const { id } = await report(world.keys.brandB, { description: `true report ${i}` });
      await mutate(server, inv(), 'closeLead', { leadId: id, reason: 'RESOLVED_BY_TAKEDOWN' }, 'lead { id }');
    }
    expect((await report(world.keys.brandB, { description: 'now accurate' })).fastTrack).toBe(true);
    await expectStatsMatchLeads();
  });

  it('counts only the reports of the rolling window', async () => {
    const brandC = await insertRow('brand', { name: 'Gamma', slug: 'gamma', status: 'ACTIVE' });
    const old = [];
    for (let i = 0; i < 10; i += 1) {
      const lead = await insertRow('lead', {
        reference: `LD-2024-9000${i}`,
        source: 'BRAND_REPORT',
        description: 'old report',
        risk_score: 50,
        status: 'CLOSED',
        close_reason: 'RESOLVED_BY_TAKEDOWN',
        created_at: new Date(Date.now() - 400 * 86_400_000),
        closed_at: new Date(Date.now() - 390 * 86_400_000),
      });
      await sql(`INSERT INTO lead_brand (lead_id, brand_id) VALUES ($1, $2)`, [lead, brandC]);
      old.push(lead);
    }
    const byInvestigator = { brandIds: [toGlobalId('Brand', brandC)], source: 'BRAND_REPORT' };
    expect((await report(inv(), byInvestigator)).fastTrack).toBe(false);
    // The same ten reports made 20 days ago: inside the window.
    await sql(
      `UPDATE lead SET created_at = now() - interval '20 days', closed_at = now() - interval '10 days' WHERE id = ANY($1::bigint[])`,
      [old],
    );
    expect((await report(inv(), byInvestigator)).fastTrack).toBe(true);
    await expectStatsMatchLeads();
  });

  it("counts exactly while reports and decisions of one brand commit concurrently (no writer waits for another's counter row)", async () => {
    const earlier = [];
    for (let i = 0; i < 8; i += 1)
      earlier.push((await report(world.keys.brandA, { description: `to decide ${i}` })).id);
    // 24 reports of brand A and 8 decisions of its reports, all at once, on the same day's counters.
    await Promise.all([
      ...Array.from({ length: 24 }, (_, i) => report(world.keys.brandA, { description: `concurrent report ${i}` })),
      ...earlier.map((leadId, i) =>
        mutate(
          server,
          inv(),
          'closeLead',
          { leadId, reason: i % 2 ? 'NOT_COUNTERFEIT' : 'RESOLVED_BY_TAKEDOWN' },
          'lead { id }',
        ),
      ),
    ]);
    await expectStatsMatchLeads();
    // The sum over the window (what the fast track reads) equals a direct count of the brand's reports.
    const [direct] = await sql(
      `SELECT count(*)::int AS reported FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1 AND l.source = 'BRAND_REPORT'`,
      [world.ids.brandA],
    );
    const [kept] = await sql(`SELECT sum(reported)::int AS reported FROM brand_report_stats WHERE brand_id = $1`, [
      world.ids.brandA,
    ]);
    expect(kept).toEqual(direct);
  });

  it('never lets a brand set the triage risk score: its riskScore is kept as reporterPriority', async () => {
    const fromBrand = await report(world.keys.brandA, { description: 'urgent!!', riskScore: 100 });
    expect(fromBrand).toMatchObject({ riskScore: 50, reporterPriority: 100, fastTrack: false });
    const withPriority = await report(world.keys.brandA, { description: 'new field', reporterPriority: 90 });
    expect(withPriority).toMatchObject({ riskScore: 50, reporterPriority: 90 });
    const fromInvestigator = await report(inv(), {
      description: 'platform detection',
      brandIds: [world.gid.brandA],
      riskScore: 60,
      source: 'PLATFORM_DETECTION',
    });
    expect(fromInvestigator).toMatchObject({ riskScore: 60, reporterPriority: null });
    const rows = await sql(
      `SELECT id::text, risk_score, reporter_priority, triage_priority FROM lead WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [[fromBrand.id, withPriority.id, fromInvestigator.id].map(rowId)],
    );
    expect(rows.map((r) => [r.risk_score, r.reporter_priority, r.triage_priority])).toEqual([
      [50, 100, 50],
      [50, 90, 50],
      [60, null, 60],
    ]);
    // The queue: the investigator's 60 before the brand's "100".
    const queue = dataOf(
      await server.gql(
        inv(),
        `{ leads(first: 100, filter: { status: [NEW] }, orderBy: { field: TRIAGE_PRIORITY, direction: DESC }) { nodes { id } } }`,
      ),
    ).leads.nodes.map((n: any) => n.id);
    expect(queue.indexOf(fromInvestigator.id)).toBeLessThan(queue.indexOf(fromBrand.id));
    // Both spellings with different values: refused, nothing written.
    const [{ before }] = await sql(`SELECT count(*)::int AS before FROM lead`);
    expect(
      await refused(server, world.keys.brandA, 'reportLead', {
        description: 'both',
        riskScore: 100,
        reporterPriority: 10,
      }),
    ).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'riskScore'] })]);
    expect((await sql(`SELECT count(*)::int AS n FROM lead`))[0].n).toBe(before);
    // Triage sets the risk score; the brand's priority stays as it was.
    await mutate(server, inv(), 'triageLead', { leadId: fromBrand.id, riskScore: 20 }, 'lead { id }');
    expect(
      (await sql(`SELECT risk_score, reporter_priority FROM lead WHERE id = $1`, [rowId(fromBrand.id)]))[0],
    ).toEqual({ risk_score: 20, reporter_priority: 100 });
  });
});

describe('strikes (rule 7)', () => {
  it('gives five strikes for five listings of one seller taken down in one call: SUSPENDED, audited with the rule', async () => {
    const seller = await newSeller();
    await takeDown(await newListings(seller, 5));
    expect(await sellerRow(seller)).toEqual({ status: 'SUSPENDED', strike_count: 5 });
    expect(await activeStrikeRows(seller)).toBe(5);
    const event = await lastEvent(seller, 'seller.struck');
    expect(event.before).toMatchObject({ status: 'ACTIVE', strikeCount: 0 });
    expect(event.after).toMatchObject({
      status: 'SUSPENDED',
      strikeCount: 5,
      strikes: 5,
      rule: 'strikes>=5 -> SUSPENDED',
    });
    expect(event.after.listingIds).toHaveLength(5);
  });

  it("takes down a batch of 300 listings (the marketplace's batch size) in one call, and refuses 301 naming the problem, changing nothing", async () => {
    const sellers = [await newSeller(), await newSeller(), await newSeller()];
    const listings = (await Promise.all(sellers.map((seller) => newListings(seller, 101)))).flat();
    const tooMany = await server.gql(
      inv(),
      `mutation($input: TakeDownListingsInput!) { takeDownListings(input: $input) { listings { id } userErrors { code } } }`,
      { input: { listingIds: listings.slice(0, 301), reason: 'counterfeit' } },
    );
    expect(tooMany.status).toBe(200);
    expect(tooMany.body.data.takeDownListings).toBeNull();
    expect(tooMany.body.errors?.map((e: any) => [e.extensions.code, e.message])).toEqual([
      [
        'BAD_USER_INPUT',
        expect.stringContaining(
          "listingIds takes 1 to 300 listing ids (the marketplace's batch size); 301 given: split the batch.",
        ),
      ],
    ]);
    const ids = listings.map(rowId);
    const [untouched] = await sql(
      `SELECT count(*) FILTER (WHERE status = 'LIVE')::int AS live, (SELECT count(*)::int FROM seller_strike WHERE listing_id = ANY($1::bigint[])) AS strikes FROM listing WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    expect(untouched).toEqual({ live: 303, strikes: 0 });

    const batch = listings.slice(0, 300);
    const { listings: taken } = await takeDown(batch);
    expect(taken).toHaveLength(300);
    expect(new Set(taken.map((l: { status: string }) => l.status))).toEqual(new Set(['TAKEN_DOWN']));
    const rows = await sql(
      `SELECT status, version, count(*)::int AS n FROM listing WHERE id = ANY($1::bigint[]) GROUP BY 1, 2 ORDER BY 1`,
      [ids],
    );
    expect(rows).toEqual([
      { status: 'LIVE', version: 1, n: 3 },
      { status: 'TAKEN_DOWN', version: 2, n: 300 },
    ]);
    const [{ events }] = await sql(
      `SELECT count(*)::int AS events FROM audit_event WHERE action = 'listing.takenDown' AND entity_id = ANY($1::bigint[])`,
      [batch.map(rowId)],
    );
    expect(events).toBe(300);
    for (const seller of sellers) expect(await activeStrikeRows(seller)).toBe(seller === sellers[2] ? 98 : 101);
  });

  it('counts the same listing taken down twice within the window once, and again after it', async () => {
    const seller = await newSeller();
    const [listing] = await newListings(seller, 1);
    await takeDown([listing]);
    // The seller corrected the listing: back up, the takedown (and its strike) stands; down again.
    await reinstate(listing, { basis: 'LISTING_CORRECTED', reason: 'infringing photos removed' });
    expect(await sellerRow(seller)).toEqual({ status: 'WARNED', strike_count: 1 });
    await takeDown([listing], 'same photos again');
    expect(await sellerRow(seller)).toEqual({ status: 'WARNED', strike_count: 1 });
    expect(
      (await sql(`SELECT count(*)::int AS n FROM seller_strike WHERE listing_id = $1`, [rowId(listing)]))[0].n,
    ).toBe(1);
    // Its strike 40 days old: outside the 30-day window, a new takedown is a new strike.
    await sql(`UPDATE seller_strike SET takedown_at = takedown_at - interval '40 days' WHERE listing_id = $1`, [
      rowId(listing),
    ]);
    await reinstate(listing, { basis: 'LISTING_CORRECTED' });
    await takeDown([listing], 'third time');
    expect(await sellerRow(seller)).toEqual({ status: 'WARNED', strike_count: 2 });
    expect(await activeStrikeRows(seller)).toBe(2);
  });

  it('lets strikes expire: only active strikes count towards the thresholds', async () => {
    const seller = await newSeller();
    const sellerId = rowId(seller);
    // Four strikes of two years ago, expired a year ago.
    for (let i = 0; i < 4; i += 1) {
      await sql(
        `INSERT INTO seller_strike (seller_id, takedown_at, expires_at, reason) VALUES ($1, now() - interval '730 days', now() - interval '365 days', 'old')`,
        [sellerId],
      );
    }
    await takeDown(await newListings(seller, 1));
    // 4 + 1 would be SUSPENDED; 1 active strike is WARNED.
    expect(await sellerRow(seller)).toEqual({ status: 'WARNED', strike_count: 1 });
    expect(await activeStrikeRows(seller)).toBe(1);
    // A strike given now expires STRIKE_EXPIRY_DAYS (365) after its takedown.
    const [{ days }] = await sql(
      `SELECT extract(day FROM expires_at - takedown_at)::int AS days FROM seller_strike WHERE seller_id = $1 AND reason <> 'old'`,
      [sellerId],
    );
    expect(days).toBe(365);
  });

  it('removes the strike of a reversed takedown, and the status follows the strikes down when it rested on them', async () => {
    const seller = await newSeller();
    const listings = await newListings(seller, 3);
    await takeDown(listings);
    expect(await sellerRow(seller)).toEqual({ status: 'RESTRICTED', strike_count: 3 });
    await reinstate(listings[0]); // default basis: COUNTER_NOTICE_UPHELD
    expect(await sellerRow(seller)).toEqual({ status: 'WARNED', strike_count: 2 });
    expect(await activeStrikeRows(seller)).toBe(2);
    const [strike] = await sql(
      `SELECT removed_at IS NOT NULL AS removed, removed_reason FROM seller_strike WHERE listing_id = $1`,
      [rowId(listings[0])],
    );
    expect(strike).toEqual({
      removed: true,
      removed_reason: 'takedown reversed (COUNTER_NOTICE_UPHELD): counter-notice',
    });
    const event = await lastEvent(seller, 'seller.strikeRemoved');
    expect(event.before).toMatchObject({ status: 'RESTRICTED', strikeCount: 3 });
    expect(event.after).toMatchObject({
      status: 'WARNED',
      strikeCount: 2,
      strikes: 2,
      rule: 'strike removed: strikes>=1 -> WARNED (the status rested on the strikes)',
    });

    // A sanction an investigator set above the strikes stays.
    const other = await newSeller();
    const [one] = await newListings(other, 1);
    await mutate(
      server,
      inv(),
      'updateSellerStatus',
      { sellerId: other, status: 'SUSPENDED', reason: 'known network' },
      'seller { id }',
    );
    await takeDown([one]);
    await reinstate(one, { basis: 'TAKEDOWN_IN_ERROR' });
    expect(await sellerRow(other)).toEqual({ status: 'SUSPENDED', strike_count: 0 });
    expect((await lastEvent(other, 'seller.strikeRemoved')).after.rule).toBe(
      'strike removed: strikes<1 -> ACTIVE; SUSPENDED stays (not the status the strikes called for)',
    );
  });

  it('lets an investigator lift RESTRICTED -> WARNED (audited with its rule); brand partners cannot', async () => {
    const seller = await newSeller();
    await takeDown(await newListings(seller, 3));
    expect(await sellerRow(seller)).toEqual({ status: 'RESTRICTED', strike_count: 3 });

    const forbidden = await server.gql(
      world.keys.brandA,
      `mutation($input: UpdateSellerStatusInput!) { updateSellerStatus(input: $input) { seller { id } userErrors { code } } }`,
      { input: { sellerId: seller, status: 'WARNED', reason: 'please' } },
    );
    expect(forbidden.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await sellerRow(seller)).toEqual({ status: 'RESTRICTED', strike_count: 3 });

    const { seller: lifted } = await mutate(
      server,
      inv(),
      'updateSellerStatus',
      { sellerId: seller, status: 'WARNED', reason: 'partial appeal upheld' },
      'seller { status strikeCount }',
    );
    expect(lifted).toEqual({ status: 'WARNED', strikeCount: 3 });
    expect(await sellerRow(seller)).toEqual({ status: 'WARNED', strike_count: 3 });
    const event = await lastEvent(seller, 'seller.lifted');
    expect(event.before).toMatchObject({ status: 'RESTRICTED' });
    expect(event.after).toMatchObject({
      status: 'WARNED',
      rule: 'investigator lift RESTRICTED -> WARNED',
      reason: 'partial appeal upheld',
    });
    // The strikes stay: the next one counts them all again.
    await takeDown(await newListings(seller, 1));
    expect(await sellerRow(seller)).toEqual({ status: 'RESTRICTED', strike_count: 4 });
    expect((await lastEvent(seller, 'seller.struck')).after.rule).toBe('strikes>=3 -> RESTRICTED');
  });
});
