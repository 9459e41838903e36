/**
 * The tables (and columns) that triggers keep from the base tables, each with the statement that rebuilds
 * it from scratch exactly as its triggers would have left it. The seed loads with these triggers off (a
 * trigger per COPY is a join per row, or per batch) and runs every rebuild once the data is in, then turns
 * the triggers back on. A trigger on a loaded table that no entry names stays on during the load (correct,
 * only slower); test/foundation/seed-load.test.ts says which ones those are.
 *
 * A new trigger-kept table or rollup: one line here, naming its trigger functions and its rebuild (a
 * statement, or a call of its refresh function). A rollup refreshed by a job rather than by triggers can
 * be added with no trigger functions, to be filled fresh by the seed.
 */
export interface DerivedData {
  /** What is kept: a table, or table.column. */
  name: string;
  /** The trigger functions that keep it (every trigger calling one of them is off during the load). */
  triggerFunctions: string[];
  /** Rebuilds it from the base tables, whatever it holds before. */
  rebuild: string;
}

/** An audit event `e` that sanctions a seller: its status changed to RESTRICTED, SUSPENDED or CLOSED. */
const SANCTION_EVENT = `e.entity_type = 'Seller' AND e.action IN ('seller.statusChanged', 'seller.struck')
  AND e.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED') AND (e.before ->> 'status') IS DISTINCT FROM (e.after ->> 'status')`;

export const DERIVED: DerivedData[] = [
  {
    // migrations/1763915000000-BrandCaseListIndex.ts: a copy of lead.created_at on each lead_brand row.
    name: 'lead_brand.lead_created_at',
    triggerFunctions: ['eca_copy_lead_created_at', 'eca_recopy_lead_created_at'],
    rebuild: `UPDATE lead_brand lb SET lead_created_at = l.created_at FROM lead l
              WHERE l.id = lb.lead_id AND lb.lead_created_at IS DISTINCT FROM l.created_at`,
  },
  {
    // migrations/1764300200000-InvestigationCreatedAtCopies.ts: the investigation's created_at on its leads and referrals.
    name: 'lead.investigation_created_at',
    triggerFunctions: ['eca_copy_investigation_created_at', 'eca_recopy_investigation_created_at'],
    rebuild: `UPDATE lead l SET investigation_created_at = i.created_at FROM investigation i
              WHERE i.id = l.investigation_id AND l.investigation_created_at IS DISTINCT FROM i.created_at`,
  },
  {
    name: 'referral.investigation_created_at',
    triggerFunctions: ['eca_copy_investigation_created_at', 'eca_recopy_investigation_created_at'],
    rebuild: `UPDATE referral r SET investigation_created_at = i.created_at FROM investigation i
              WHERE i.id = r.investigation_id AND r.investigation_created_at IS DISTINCT FROM i.created_at`,
  },
  {
    // migrations/1763911000000-TakedownRollup.ts: takedowns per seller region and UTC day.
    name: 'listing_takedown_day',
    triggerFunctions: ['listing_takedown_day_listing', 'listing_takedown_day_seller'],
    rebuild: `DELETE FROM listing_takedown_day;
              INSERT INTO listing_takedown_day (region, day, listings)
                SELECT v.region, (x.taken_down_at AT TIME ZONE 'UTC')::date, count(*)
                FROM listing x JOIN seller v ON v.id = x.seller_id WHERE x.taken_down_at IS NOT NULL GROUP BY 1, 2`,
  },
  {
    // migrations/1764600000000-SanctionRollup.ts: seller sanctions per seller region, UTC day and status.
    name: 'seller_sanction_day',
    triggerFunctions: ['seller_sanction_day_event', 'seller_sanction_day_seller'],
    rebuild: `DELETE FROM seller_sanction_day;
              INSERT INTO seller_sanction_day (region, day, status, sanctions)
                SELECT v.region, (e.at AT TIME ZONE 'UTC')::date, e.after ->> 'status', count(*)
                FROM audit_event e JOIN seller v ON v.id = e.entity_id
                WHERE ${SANCTION_EVENT} GROUP BY 1, 2, 3`,
  },
  {
    // migrations/1764700000000-SellerSanction.ts: each seller sanction, one row per audit event.
    name: 'seller_sanction',
    triggerFunctions: ['seller_sanction_event'],
    rebuild: `DELETE FROM seller_sanction;
              INSERT INTO seller_sanction (audit_seq, seller_id, at, status)
                SELECT e.seq, e.entity_id, e.at, e.after ->> 'status' FROM audit_event e WHERE ${SANCTION_EVENT}`,
  },
  {
    // migrations/1764001300000-EnforcementPolicy.ts: brand reports per brand and UTC day, as decided now.
    name: 'brand_report_stats',
    triggerFunctions: ['brand_report_stats_lead_brand', 'brand_report_stats_lead'],
    rebuild: `DELETE FROM brand_report_stats;
              INSERT INTO brand_report_stats (brand_id, day, reported, confirmed, rejected)
                SELECT lb.brand_id, (l.created_at AT TIME ZONE 'UTC')::date, count(*),
                       count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'CONFIRMED'),
                       count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'REJECTED')
                FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id WHERE l.source = 'BRAND_REPORT' GROUP BY 1, 2`,
  },
  {
    // migrations/1764200100000-LeadRegionRollup.ts and 1764200000000-ScopedOffenceRollups.ts: the regions of
    // each lead's sellers (kept by triggers) and the scheduled rollups (repeat offenders; reporter accuracy,
    // 1764300100000), refreshed now so that a seeded database answers from them before the servers' first
    // scheduled refresh. Last: it reads what the entries above rebuild.
    name: 'lead_region',
    triggerFunctions: ['lead_region_lead_seller', 'lead_region_seller'],
    rebuild: 'SELECT rebuild_analytics_rollups()',
  },
];
