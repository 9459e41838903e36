// The seed's bulk load (src/seed/bulk-load.ts): it drops foreign keys and indexes and turns off the triggers
// that keep derived tables while it copies; afterwards the schema must be exactly as the migrations left it,
// every index and constraint valid, and every trigger-kept table what its triggers would hold.
import { DataSource } from 'typeorm';
import { DERIVED } from '../../src/seed/derived';
import { LOADED_TABLES, seedDataset } from '../../src/seed/seed';
import { createTestDatabase, TestDatabase } from '../support/database';
import { testConfig } from '../support/server';

/** The schema's indexes, constraints and triggers with their definitions and states. */
const SCHEMA = `
  SELECT 'index ' || i.indexrelid::regclass::text || ': ' || pg_get_indexdef(i.indexrelid) AS item FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || '.' || tgname || ': ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
  ORDER BY 1`;

/**
 * Each trigger-kept table recomputed from the base tables as its migration defines it, written here apart
 * from the seed's own rebuild (derived.ts). Rows of the table that its recomputation lacks, or the reverse.
 */
const RECOMPUTED: Record<string, string> = {
  'lead_brand.lead_created_at': `
    SELECT count(*)::int AS n FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id WHERE lb.lead_created_at IS DISTINCT FROM l.created_at`,
  'lead.investigation_created_at': `
    SELECT count(*)::int AS n FROM lead l LEFT JOIN investigation i ON i.id = l.investigation_id WHERE l.investigation_created_at IS DISTINCT FROM i.created_at`,
  'referral.investigation_created_at': `
    SELECT count(*)::int AS n FROM referral r LEFT JOIN investigation i ON i.id = r.investigation_id WHERE r.investigation_created_at IS DISTINCT FROM i.created_at`,
  listing_takedown_day: `
    WITH expected AS (
      SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS listings
      FROM listing x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2)
    SELECT count(*)::int AS n FROM (
      (SELECT region, day, listings FROM listing_takedown_day EXCEPT ALL SELECT * FROM expected)
      UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT region, day, listings FROM listing_takedown_day)) d`,
  seller_sanction_day: `
    WITH expected AS (
      SELECT v.region, (e.at AT TIME ZONE 'UTC')::date AS day, e.after ->> 'status' AS status, count(*)::int AS sanctions
      FROM audit_event e JOIN seller v ON v.id = e.entity_id
      WHERE e.entity_type = 'Seller' AND e.action IN ('seller.statusChanged', 'seller.struck')
        AND e.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED') AND (e.before ->> 'status') IS DISTINCT FROM (e.after ->> 'status')
      GROUP BY 1, 2, 3)
    SELECT count(*)::int AS n FROM (
      (SELECT region, day, status, sanctions FROM seller_sanction_day EXCEPT ALL SELECT * FROM expected)
      UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT region, day, status, sanctions FROM seller_sanction_day)) d`,
  seller_sanction: `
    WITH expected AS (
      SELECT e.seq AS audit_seq, e.entity_id AS seller_id, e.at, e.after ->> 'status' AS status FROM audit_event e
      WHERE e.entity_type = 'Seller' AND e.action IN ('seller.statusChanged', 'seller.struck')
        AND e.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED') AND (e.before ->> 'status') IS DISTINCT FROM (e.after ->> 'status'))
    SELECT count(*)::int AS n FROM (
      (SELECT audit_seq, seller_id, at, status FROM seller_sanction EXCEPT ALL SELECT * FROM expected)
      UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT audit_seq, seller_id, at, status FROM seller_sanction)) d`,
  brand_report_stats: `
    WITH decided AS (
      SELECT lb.brand_id, (l.created_at AT TIME ZONE 'UTC')::date AS day,
             CASE WHEN l.close_reason IN ('RESOLVED_BY_TAKEDOWN', 'CASE_CONCLUDED') THEN 'CONFIRMED'
                  WHEN l.close_reason IN ('NOT_COUNTERFEIT', 'INSUFFICIENT_EVIDENCE') THEN 'REJECTED'
                  WHEN l.close_reason IS NULL AND l.status = 'REFERRED' THEN 'CONFIRMED' ELSE 'UNDECIDED' END AS decision
      FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id WHERE l.source = 'BRAND_REPORT'),
    expected AS (
      SELECT brand_id, day, count(*)::int AS reported, count(*) FILTER (WHERE decision = 'CONFIRMED')::int AS confirmed,
             count(*) FILTER (WHERE decision = 'REJECTED')::int AS rejected FROM decided GROUP BY 1, 2)
    SELECT count(*)::int AS n FROM (
      (SELECT brand_id, day, reported, confirmed, rejected FROM brand_report_stats EXCEPT ALL SELECT * FROM expected)
      UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT brand_id, day, reported, confirmed, rejected FROM brand_report_stats)) d`,
};

/** Rows that differ between what is kept and its recomputation, per derived table (0 when right). */
async function derivedDifferences(db: DataSource): Promise<Record<string, number>> {
  const differences: Record<string, number> = {};
  for (const derived of DERIVED) {
    const recomputed = RECOMPUTED[derived.name];
    if (recomputed) {
      [{ n: differences[derived.name] }] = await db.query(recomputed);
      continue;
    }
    // A rollup without a recomputation here: what the seed left against a fresh rebuild, rolled back.
    const table = derived.name.split('.')[0];
    const runner = db.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query(`CREATE TEMP TABLE kept ON COMMIT DROP AS SELECT * FROM ${table}`);
      await runner.query(derived.rebuild);
      [{ n: differences[derived.name] }] = await runner.query(
        `SELECT count(*)::int AS n FROM ((TABLE kept EXCEPT ALL TABLE ${table}) UNION ALL (TABLE ${table} EXCEPT ALL TABLE kept)) d`,
      );
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }
  return differences;
}

describe('seed: bulk load', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test.drop();
  });

  it('leaves every index, constraint and trigger as the migrations made it, valid, and every trigger-kept table exact', async () => {
    const db = test.dataSource;
    const schemaBefore = (await db.query(SCHEMA)).map((row: { item: string }) => row.item);
    const counts = await seedDataset(db, { scale: 0.02, identifierHashKey: testConfig().identifierHashKey });
    expect(counts.listings).toBe(4000);

    const schemaAfter = (await db.query(SCHEMA)).map((row: { item: string }) => row.item);
    expect(schemaAfter).toEqual(schemaBefore);
    const [invalid] = await db.query(`SELECT
      (SELECT count(*)::int FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT (i.indisvalid AND i.indisready AND i.indislive)) AS indexes,
      (SELECT count(*)::int FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND NOT convalidated) AS constraints,
      (SELECT count(*)::int FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D') AS "disabledTriggers"`);
    expect(invalid).toEqual({ indexes: 0, constraints: 0, disabledTriggers: 0 });

    // The derived tables hold data (the check below is not vacuous) and equal their recomputation.
    const [filled] = await db.query(`SELECT (SELECT count(*)::int FROM listing_takedown_day) AS takedown_days,
      (SELECT count(*)::int FROM brand_report_stats) AS report_days, (SELECT count(*)::int FROM lead_brand) AS lead_brands`);
    expect(Math.min(filled.takedown_days, filled.report_days, filled.lead_brands)).toBeGreaterThan(0);
    expect(await derivedDifferences(db)).toEqual(Object.fromEntries(DERIVED.map((d) => [d.name, 0])));

    // The triggers are on again and carry on from the rebuilt state: a takedown, a brand's report decided,
    // a lead's creation time moved.
    await db.query(
      `UPDATE listing SET taken_down_at = now(), status = 'TAKEN_DOWN' WHERE id = (SELECT min(id) FROM listing WHERE taken_down_at IS NULL)`,
    );
    await db.query(`UPDATE lead SET status = 'CLOSED', close_reason = 'NOT_COUNTERFEIT', closed_at = now(), triaged_at = coalesce(triaged_at, created_at)
      WHERE id = (SELECT min(l.id) FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.source = 'BRAND_REPORT' AND l.status = 'TRIAGED')`);
    await db.query(
      `UPDATE lead SET created_at = created_at - interval '1 day' WHERE id = (SELECT min(lead_id) FROM lead_brand)`,
    );
    expect(await derivedDifferences(db)).toEqual(Object.fromEntries(DERIVED.map((d) => [d.name, 0])));
  });

  it('fails whole on a filled database: no row written, every index, constraint and trigger as it was', async () => {
    const db = test.dataSource;
    const schemaBefore = (await db.query(SCHEMA)).map((row: { item: string }) => row.item);
    const rows = `SELECT (SELECT count(*)::int FROM brand) AS brands, (SELECT count(*)::int FROM listing) AS listings,
      (SELECT count(*)::int FROM seller_strike) AS strikes, (SELECT count(*)::int FROM listing_takedown_day) AS takedown_days`;
    const [before] = await db.query(rows);
    // The second dataset's agency codes (and slugs) collide with the first's when its unique constraints come back.
    await expect(seedDataset(db, { scale: 0.02, identifierHashKey: testConfig().identifierHashKey })).rejects.toThrow(
      /could not create unique index|duplicate key/,
    );
    expect(await db.query(rows)).toEqual([before]);
    expect((await db.query(SCHEMA)).map((row: { item: string }) => row.item)).toEqual(schemaBefore);
  });

  it('has a rebuild for every insert trigger on the tables it loads (derived.ts: one line per trigger-kept table)', async () => {
    // Only a trigger that fires on INSERT (tgtype bit 2) runs during the load: guards on UPDATE or DELETE do not.
    const triggers: { trigger: string; fn: string }[] = await test.dataSource.query(
      `SELECT tgrelid::regclass::text || '.' || tgname AS trigger, tgfoid::regproc::text AS fn
       FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY($1::regclass[]) AND tgtype & 4 <> 0 ORDER BY 1`,
      [LOADED_TABLES],
    );
    expect(triggers.length).toBeGreaterThan(0);
    const covered = new Set(DERIVED.flatMap((d) => d.triggerFunctions));
    // A trigger listed here runs row by row (or batch by batch) during the load: add its table's rebuild to DERIVED.
    expect(triggers.filter((t) => !covered.has(t.fn))).toEqual([]);
  });
});
