import { seedDataset } from '../../src/seed/seed';
import { createTestDatabase } from '../support/database';
import { testConfig } from '../support/server';

const FINGERPRINT = `SELECT
  (SELECT md5(string_agg(name || slug, ',' ORDER BY id)) FROM brand) AS brands,
  (SELECT md5(string_agg(region || status || strike_count, ',' ORDER BY id)) FROM seller) AS sellers,
  (SELECT md5(string_agg(title || price_amount || status, ',' ORDER BY id)) FROM listing) AS listings,
  (SELECT md5(string_agg(value_hash, ',' ORDER BY id)) FROM seller_identifier) AS identifiers,
  (SELECT md5(string_agg(concat_ws('|', reference, created_at, source, risk_score, status, close_reason, triaged_at, closed_at, investigation_id, version, description), ',' ORDER BY id)) FROM lead) AS leads,
  (SELECT md5(string_agg(concat_ws('|', lead_id, brand_id), ',' ORDER BY lead_id, brand_id)) FROM lead_brand) AS lead_brands,
  (SELECT md5(string_agg(concat_ws('|', lead_id, seller_id), ',' ORDER BY lead_id, seller_id)) FROM lead_seller) AS lead_sellers,
  (SELECT md5(string_agg(concat_ws('|', lead_id, listing_id), ',' ORDER BY lead_id, listing_id)) FROM lead_listing) AS lead_listings,
  (SELECT md5(string_agg(concat_ws('|', reference, created_at, status, summary, close_reason, closed_at, version), ',' ORDER BY id)) FROM investigation) AS investigations,
  (SELECT md5(string_agg(concat_ws('|', investigation_id, created_at, kind, region, address), ',' ORDER BY id)) FROM finding) AS findings,
  (SELECT md5(string_agg(concat_ws('|', investigation_id, kind, sha256, storage_key, collected_by, collected_at, custodian, version), ',' ORDER BY id)) FROM evidence) AS evidence,
  (SELECT md5(string_agg(concat_ws('|', evidence_id, from_custodian, to_custodian, transferred_at, purpose), ',' ORDER BY id)) FROM custody_transfer) AS custody,
  (SELECT md5(string_agg(concat_ws('|', reference, investigation_id, agency_id, status, agency_case_reference, decline_reason, sent_at, acknowledged_at, first_action_at, concluded_at, closed_at, version), ',' ORDER BY id)) FROM referral) AS referrals,
  (SELECT md5(string_agg(concat_ws('|', referral_id, evidence_id), ',' ORDER BY referral_id, evidence_id)) FROM referral_evidence) AS referral_evidence,
  (SELECT md5(string_agg(concat_ws('|', referral_id, kind, occurred_at, arrests, dens_destroyed, convictions, seized_value_amount, seized_value_currency, fine_amount, fine_currency), ',' ORDER BY id)) FROM enforcement_outcome) AS outcomes,
  (SELECT md5(string_agg(concat_ws('|', seq, at, referral_id, agency_id, kind, status, outcome_id), ',' ORDER BY seq)) FROM referral_change) AS referral_changes,
  (SELECT md5(string_agg(concat_ws('|', seq, at, action, entity_type, entity_id, before, after, hash, signature), ',' ORDER BY seq)) FROM audit_event) AS audit_events,
  (SELECT concat_ws('|', (SELECT last_value FROM reference_ld_seq), (SELECT last_value FROM reference_inv_seq), (SELECT last_value FROM reference_ref_seq), (SELECT last_value FROM reference_op_seq))) AS reference_sequences`;

/** Each query counts the rows that break one rule of the case lifecycles: all must be 0. */
const VIOLATIONS: Record<string, string> = {
  'REFERRED lead without a sent referral on its investigation': `
    SELECT count(*) FROM lead l WHERE l.status = 'REFERRED'
      AND NOT EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = l.investigation_id AND r.sent_at IS NOT NULL)`,
  'lead status and investigation disagree': `
    SELECT count(*) FROM lead l LEFT JOIN investigation i ON i.id = l.investigation_id
    WHERE (l.status IN ('NEW', 'TRIAGED') AND l.investigation_id IS NOT NULL)
       OR (l.status = 'INVESTIGATING' AND i.status IS DISTINCT FROM 'OPEN' AND i.status IS DISTINCT FROM 'EVIDENCE_GATHERING' AND i.status IS DISTINCT FROM 'READY_FOR_REFERRAL')
       OR (l.status = 'REFERRED' AND i.status IS DISTINCT FROM 'REFERRED')
       OR (i.status IN ('OPEN', 'EVIDENCE_GATHERING', 'READY_FOR_REFERRAL') AND l.status <> 'INVESTIGATING')
       OR (i.status = 'REFERRED' AND l.status <> 'REFERRED')
       OR (i.status = 'CLOSED' AND (l.status <> 'CLOSED' OR l.close_reason NOT IN ('INVESTIGATION_CLOSED', 'CASE_CONCLUDED') OR l.closed_at <> i.closed_at))`,
  'lead timestamps out of order or missing': `
    SELECT count(*) FROM lead l LEFT JOIN investigation i ON i.id = l.investigation_id
    WHERE (l.status = 'NEW' AND l.triaged_at IS NOT NULL)
       OR (l.status IN ('TRIAGED', 'INVESTIGATING', 'REFERRED') AND l.triaged_at IS NULL)
       OR (l.investigation_id IS NOT NULL AND (l.triaged_at IS NULL OR i.created_at < l.triaged_at))
       OR ((l.status = 'CLOSED') <> (l.closed_at IS NOT NULL))
       OR l.triaged_at < l.created_at OR l.closed_at < coalesce(l.triaged_at, l.created_at) OR l.created_at > now()`,
  'investigation without leads, or status against its evidence and referrals': `
    SELECT count(*) FROM investigation i
    WHERE NOT EXISTS (SELECT 1 FROM lead l WHERE l.investigation_id = i.id)
       OR (i.status = 'OPEN' AND EXISTS (SELECT 1 FROM evidence e WHERE e.investigation_id = i.id))
       OR (i.status IN ('EVIDENCE_GATHERING', 'READY_FOR_REFERRAL', 'REFERRED') AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.investigation_id = i.id))
       OR (i.status IN ('OPEN', 'EVIDENCE_GATHERING') AND EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = i.id))
       OR (i.status = 'READY_FOR_REFERRAL' AND EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = i.id AND r.status <> 'DRAFT'))
       OR (i.status = 'REFERRED' AND NOT EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = i.id AND r.sent_at IS NOT NULL))
       OR ((i.status = 'CLOSED') <> (i.closed_at IS NOT NULL AND i.close_reason IS NOT NULL))
       OR i.closed_at < i.created_at`,
  "evidence, findings or custody outside the investigation's life": `
    SELECT (SELECT count(*) FROM evidence e JOIN investigation i ON i.id = e.investigation_id
            WHERE e.collected_at < i.created_at OR e.created_at < e.collected_at OR e.created_at > coalesce(i.closed_at, now()))
         + (SELECT count(*) FROM finding f JOIN investigation i ON i.id = f.investigation_id
            WHERE f.created_at < i.created_at OR f.created_at > coalesce(i.closed_at, now()))
         + (SELECT count(*) FROM custody_transfer c JOIN evidence e ON e.id = c.evidence_id WHERE c.transferred_at < e.created_at OR c.transferred_at > now())`,
  'broken chain of custody': `
    SELECT count(*) FROM evidence e
    LEFT JOIN LATERAL (
      SELECT count(*) AS n,
             bool_and(c.from_custodian = coalesce(c.previous_to, e.collected_by) AND c.transferred_at >= coalesce(c.previous_at, e.created_at)) AS chained,
             (array_agg(c.to_custodian ORDER BY c.transferred_at DESC, c.id DESC))[1] AS last_to
      FROM (SELECT t.*, lag(t.to_custodian) OVER w AS previous_to, lag(t.transferred_at) OVER w AS previous_at
            FROM custody_transfer t WHERE t.evidence_id = e.id WINDOW w AS (ORDER BY t.transferred_at, t.id)) c
    ) t ON true
    WHERE e.version <> 1 + t.n OR e.custodian <> coalesce(t.last_to, e.collected_by) OR NOT coalesce(t.chained, true)`,
  'referral timestamps against its status, or out of order': `
    SELECT count(*) FROM referral r JOIN investigation i ON i.id = r.investigation_id
    WHERE ((r.status = 'DRAFT') <> (r.sent_at IS NULL))
       OR ((r.status IN ('ACKNOWLEDGED', 'ACTION_TAKEN', 'PROSECUTION', 'CONVICTED', 'ACQUITTED')) AND r.acknowledged_at IS NULL)
       OR ((r.status IN ('ACTION_TAKEN', 'PROSECUTION', 'CONVICTED', 'ACQUITTED')) <> (r.first_action_at IS NOT NULL) AND r.status <> 'CLOSED')
       OR ((r.status IN ('CONVICTED', 'ACQUITTED', 'DECLINED')) AND r.concluded_at IS NULL)
       OR (r.status IN ('DRAFT', 'SENT', 'ACKNOWLEDGED', 'ACTION_TAKEN', 'PROSECUTION') AND r.concluded_at IS NOT NULL)
       OR ((r.status = 'CLOSED') <> (r.closed_at IS NOT NULL))
       OR (r.status = 'CLOSED' AND r.concluded_at IS NULL)
       OR ((r.decline_reason IS NOT NULL) <> (r.status = 'DECLINED' OR (r.status = 'CLOSED' AND EXISTS (SELECT 1 FROM referral_change d WHERE d.referral_id = r.id AND d.kind = 'DECLINED'))))
       OR r.created_at < i.created_at OR r.sent_at < r.created_at OR r.acknowledged_at < r.sent_at OR r.first_action_at < coalesce(r.acknowledged_at, r.sent_at)
       OR r.concluded_at < coalesce(r.first_action_at, r.acknowledged_at, r.sent_at) OR r.closed_at < r.concluded_at OR r.closed_at > now()`,
  'referral without disclosed evidence, or disclosing evidence of another investigation or made after it': `
    SELECT (SELECT count(*) FROM referral r WHERE NOT EXISTS (SELECT 1 FROM referral_evidence re WHERE re.referral_id = r.id))
         + (SELECT count(*) FROM referral_evidence re JOIN referral r ON r.id = re.referral_id JOIN evidence e ON e.id = re.evidence_id
            WHERE e.investigation_id <> r.investigation_id OR e.created_at > r.created_at)`,
  'outcome before the referral was sent, or recorded before it occurred': `
    SELECT count(*) FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
    WHERE r.sent_at IS NULL OR o.occurred_at <= r.sent_at OR o.created_at < o.occurred_at OR o.created_at > now()
       OR (o.kind = 'CONVICTION' AND o.convictions < 1) OR (o.kind = 'FINE' AND o.fine_amount IS NULL)
       OR (o.kind IN ('RAID', 'ARREST', 'SEIZURE', 'FINE') AND o.occurred_at < r.acknowledged_at)`,
  'referral_change of a draft, before sending, of another agency, or not one per outcome': `
    SELECT (SELECT count(*) FROM referral_change c JOIN referral r ON r.id = c.referral_id
            WHERE r.sent_at IS NULL OR c.at < r.sent_at OR c.agency_id <> r.agency_id
               OR (c.kind = 'OUTCOME_RECORDED') <> (c.outcome_id IS NOT NULL)
               OR (c.outcome_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM enforcement_outcome o WHERE o.id = c.outcome_id AND o.referral_id = r.id AND o.created_at = c.at)))
         + (SELECT count(*) FROM referral r WHERE r.sent_at IS NOT NULL
              AND (SELECT count(*) FROM referral_change c WHERE c.referral_id = r.id AND c.kind = 'SENT' AND c.at = r.sent_at AND c.status = 'SENT') <> 1)
         + (SELECT count(*) FROM enforcement_outcome o WHERE (SELECT count(*) FROM referral_change c WHERE c.outcome_id = o.id) <> 1)`,
  "referral_change feed out of time order, or its last status not the referral's": `
    SELECT (SELECT count(*) FROM (SELECT at < lag(at) OVER (ORDER BY seq) AS back FROM referral_change) f WHERE back)
         + (SELECT count(*) FROM referral r
            WHERE r.sent_at IS NOT NULL AND r.status <> (SELECT c.status FROM referral_change c WHERE c.referral_id = r.id ORDER BY c.seq DESC LIMIT 1))`,
  'funnel not monotone: leads >= triaged >= investigated >= referred >= convicted': `
    SELECT count(*) FROM (
      SELECT count(*) AS leads, count(triaged_at) AS triaged, count(investigation_id) AS investigated,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM referral r WHERE r.investigation_id = l.investigation_id AND r.sent_at IS NOT NULL)) AS referred,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM referral r JOIN enforcement_outcome o ON o.referral_id = r.id
                                       WHERE r.investigation_id = l.investigation_id AND o.kind = 'CONVICTION')) AS convicted
      FROM lead l) f
    WHERE NOT (leads >= triaged AND triaged >= investigated AND investigated >= referred AND referred >= convicted AND convicted >= 1)`,
  'reference not of its year, or a reference sequence below the highest number used': `
    WITH refs AS (
      SELECT reference, created_at FROM lead UNION ALL SELECT reference, created_at FROM investigation UNION ALL SELECT reference, created_at FROM referral
    ), parsed AS (
      SELECT split_part(reference, '-', 1) AS prefix, split_part(reference, '-', 2)::int AS year, split_part(reference, '-', 3)::int AS number,
             extract(year FROM created_at AT TIME ZONE 'UTC')::int AS created_year, reference
      FROM refs
    )
    SELECT (SELECT count(*) FROM parsed WHERE year <> created_year OR reference !~ '^(LD|INV|REF)-[0-9]{4}-[0-9]{6}$')
         + (SELECT count(*) FROM (SELECT prefix, max(number) AS top FROM parsed GROUP BY 1) m
            JOIN (VALUES ('LD', (SELECT last_value FROM reference_ld_seq)), ('INV', (SELECT last_value FROM reference_inv_seq)),
                         ('REF', (SELECT last_value FROM reference_ref_seq))) c(prefix, last_value) USING (prefix)
            WHERE c.last_value < m.top)`,
  'seeded case without its audit events (test/foundation/seed-audit.test.ts checks them in full)': `
    SELECT (SELECT count(*) FROM lead l WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.entity_type = 'Lead' AND a.entity_id = l.id))
         + (SELECT count(*) FROM investigation i WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.entity_type = 'Investigation' AND a.entity_id = i.id))
         + (SELECT count(*) FROM referral r WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.entity_type = 'Referral' AND a.entity_id = r.id))
         + (SELECT count(*) FROM enforcement_outcome o WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.entity_type = 'EnforcementOutcome' AND a.entity_id = o.id))`,
};

describe('seed --scale', () => {
  it('loads a deterministic dataset with seller networks and a consistent case lifecycle', async () => {
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const options = { scale: 0.004, identifierHashKey: testConfig().identifierHashKey, now: new Date() };
      const counts = await seedDataset(first.dataSource, options);
      await seedDataset(second.dataSource, options);
      expect(counts).toMatchObject({ brands: 4, sellers: 200, listings: 800 });
      // The planned cases, and one lead per repeat-offender match (src/seed/features.ts).
      expect(counts.leads - counts.repeatOffenderMatches).toBe(40);
      expect(await first.dataSource.query(FINGERPRINT)).toEqual(await second.dataSource.query(FINGERPRINT));
      const db = first.dataSource;

      const [{ shared }] = await db.query(
        `SELECT count(*)::int AS shared FROM (SELECT kind, value_hash FROM seller_identifier GROUP BY 1, 2 HAVING count(DISTINCT seller_id) > 1) s`,
      );
      expect(shared).toBeGreaterThan(0);
      const [{ regions }] = await db.query(`SELECT count(DISTINCT region)::int AS regions FROM seller`);
      expect(regions).toBeGreaterThan(10);

      // The counts returned are the rows written.
      const [rows] = await db.query(`SELECT
        (SELECT count(*)::int FROM lead) AS leads, (SELECT count(*)::int FROM lead_brand) AS "leadBrands",
        (SELECT count(*)::int FROM lead_seller) AS "leadSellers", (SELECT count(*)::int FROM lead_listing) AS "leadListings",
        (SELECT count(*)::int FROM investigation) AS investigations, (SELECT count(*)::int FROM finding) AS findings,
        (SELECT count(*)::int FROM evidence) AS evidence, (SELECT count(*)::int FROM custody_transfer) AS "custodyTransfers",
        (SELECT count(*)::int FROM referral) AS referrals, (SELECT count(*)::int FROM referral_evidence) AS "referralEvidence",
        (SELECT count(*)::int FROM enforcement_outcome) AS "enforcementOutcomes", (SELECT count(*)::int FROM referral_change) AS "referralChanges"`);
      expect(counts).toMatchObject(rows);

      for (const [rule, sql] of Object.entries(VIOLATIONS)) {
        const [{ count }] = await db.query(`SELECT (${sql})::int AS count`);
        expect({ rule, count }).toEqual({ rule, count: 0 });
      }

      // Even a tiny dataset shows every stage: investigations, referrals to several agencies (the Yiwu
      // PSB among them), drafts, acknowledgements, outcomes and a conviction.
      const [shape] = await db.query(`SELECT
        (SELECT count(*)::int FROM investigation) AS investigations,
        (SELECT count(DISTINCT agency_id)::int FROM referral WHERE sent_at IS NOT NULL) AS agencies,
        (SELECT count(*)::int FROM referral r JOIN agency a ON a.id = r.agency_id WHERE a.code = 'PSB-ZJ-YW' AND r.sent_at IS NOT NULL) AS yiwu,
        (SELECT count(*)::int FROM referral WHERE status = 'DRAFT') AS drafts,
        (SELECT count(*)::int FROM referral WHERE acknowledged_at IS NOT NULL) AS acknowledged,
        (SELECT count(*)::int FROM enforcement_outcome WHERE kind = 'CONVICTION') AS convictions,
        (SELECT count(*)::int FROM lead WHERE status = 'CLOSED') AS closed,
        (SELECT count(*)::int FROM lead WHERE source IN ('BRAND_REPORT', 'PLATFORM_DETECTION')) AS "mainSources",
        (SELECT count(*)::int FROM lead) AS leads`);
      expect(shape.investigations).toBeGreaterThanOrEqual(3);
      expect(shape.agencies).toBeGreaterThanOrEqual(3);
      expect(shape.yiwu).toBeGreaterThanOrEqual(1);
      expect(shape.drafts).toBeGreaterThanOrEqual(1);
      expect(shape.acknowledged).toBeGreaterThanOrEqual(1);
      expect(shape.convictions).toBeGreaterThanOrEqual(1);
      expect(shape.closed).toBeGreaterThan(0);
      expect(shape.mainSources).toBeGreaterThan(shape.leads / 2);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });
});
