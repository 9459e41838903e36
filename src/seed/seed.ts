import { SingleBar, Presets } from 'cli-progress';
import { DataSource } from 'typeorm';
import { AuditConfig, loadConfig } from '../shared/config.js';
import { featureSettings } from '../shared/settings.js';
import { BulkLoad } from './bulk-load.js';
import { caseAuditEvents } from './case-audit.js';
import { CaseCounts } from './case-plan.js';
import { FeatureCounts, seedCaseFeatures } from './features.js';
import { insertCases } from './insert-cases.js';
import { AGENCIES, loadMarketplace } from './marketplace.js';
import { planCases } from './plan-cases.js';
import { Random } from './random.js';
import { appendSeededEvents } from './seed-audit.js';

/**
 * A deterministic, realistic dataset. Scale 1: 1,000 brands, 50,000 sellers, 200,000 listings and
 * two years of cases (about 9,000 leads with their investigations, evidence, referrals and outcomes,
 * see plan-cases.ts); every count grows linearly with the scale (the demo uses 0.01). The seeded history
 * is in the audit log: every case's changes and the sellers' sanctions, chained and signed (case-audit.ts).
 */
export interface SeedOptions {
  scale: number;
  identifierHashKey: string;
  /** The audit log's signing key (default: this process's environment, as `verifyAuditChain`). */
  audit?: AuditConfig;
  showProgress?: boolean;
  seed?: number;
  /** The moment the generated history ends (default: the current time); fix it for identical timestamps. */
  now?: Date;
}

export interface SeedCounts extends CaseCounts, FeatureCounts {
  brands: number;
  trademarks: number;
  agencies: number;
  sellers: number;
  identifiers: number;
  listings: number;
  auditEvents: number;
}

/**
 * The tables the seed fills in bulk (by COPY, and seller_strike by seller_strike_carry_over): their foreign
 * keys and secondary indexes wait for the end of the load.
 */
export const LOADED_TABLES = [
  'brand',
  'trademark',
  'agency',
  'seller',
  'seller_identifier',
  'listing',
  'seller_strike',
  'investigation',
  'lead',
  'lead_brand',
  'lead_seller',
  'lead_listing',
  'finding',
  'evidence',
  'custody_transfer',
  'referral',
  'referral_evidence',
  'enforcement_outcome',
  'referral_change',
  'audit_event',
];

/**
 * Writes the dataset in one transaction: the marketplace and the planned cases by COPY, generated row by row
 * as PostgreSQL takes them (bounded memory: what stays in memory is a few numbers per listing and per seller,
 * for the case planner and the sanctions, the case plan and its history, a few numbers per change), then the
 * history's audit events in time order, the strikes, the indexes and foreign keys, the case features and the
 * derived tables (bulk-load.ts, derived.ts).
 */
export async function seedDataset(dataSource: DataSource, options: SeedOptions): Promise<SeedCounts> {
  const random = new Random(options.seed ?? 20261123);
  const scale = options.scale;
  const counts = {
    brands: Math.max(3, Math.round(1000 * scale)),
    sellers: Math.max(20, Math.round(50_000 * scale)),
    listings: Math.max(60, Math.round(200_000 * scale)),
  };
  const now = options.now?.getTime() ?? Date.now();
  const bar = options.showProgress
    ? new SingleBar({ format: 'seed {bar} {percentage}% | {value}/{total} rows | {stage}' }, Presets.shades_classic)
    : null;
  // Marketplace rows, then roughly 9 case rows per lead; the exact total is known once the cases are planned.
  const marketRows = counts.brands * 3 + counts.sellers * 3 + counts.listings;
  const estimatedRows = marketRows + Math.round(9000 * scale) * 9;
  bar?.start(estimatedRows, 0, { stage: 'brands' });
  const tick = (stage: string) => (n: number) => bar?.increment(n, { stage });

  return dataSource.transaction(async (db) => {
    const load = await BulkLoad.begin(db, LOADED_TABLES);
    const market = await loadMarketplace(db, random, counts, now, options.identifierHashKey, tick);

    // The case lifecycle, from its own random stream so that the marketplace above stays as it was.
    const plan = planCases(new Random((options.seed ?? 20261123) ^ 0x5eed), market, scale, now);
    const caseChanges = plan.history.length;
    market.sanctions.record(plan.history, now);
    bar?.setTotal(market.rows + plan.rows + plan.history.length - caseChanges);
    const { counts: cases, ids } = await insertCases(db, plan, market, tick);
    const audit = options.audit ?? loadConfig().audit;
    const caseEvents = await appendSeededEvents(
      db,
      audit,
      caseAuditEvents(plan, ids, market, market.sanctions),
      plan.history.length,
      tick('audit events'),
    );

    // Each seller's strikes as rows, as the enforcement policy keeps them: as many active strikes as its
    // strike count, on its latest takedowns (migration 1764001300000-EnforcementPolicy, seller_strike_carry_over).
    await db.query(`SELECT seller_strike_carry_over($1, make_interval(days => $2), 'seeded history')`, [
      new Date(now),
      featureSettings().strikes.expiryDays,
    ]);
    bar?.update({ stage: 'indexes and keys' });
    await load.restoreIndexesAndKeys();
    bar?.update({ stage: 'case features' });
    const features = await seedCaseFeatures(db, now, audit);
    bar?.update({ stage: 'derived tables' });
    await load.rebuildDerived();
    bar?.stop();
    return {
      brands: market.brandIds.length,
      trademarks: market.trademarks,
      agencies: AGENCIES.length,
      sellers: market.sellerCount,
      identifiers: market.identifiers,
      listings: market.listingCount,
      ...cases,
      ...features,
      // The cases' and sellers' events, and a lead and a match for each repeat-offender match.
      auditEvents: caseEvents + 2 * features.repeatOffenderMatches,
      // The leads raised by repeat-offender matches, each naming two sellers.
      leads: cases.leads + features.repeatOffenderMatches,
      leadSellers: cases.leadSellers + 2 * features.repeatOffenderMatches,
    };
  });
}
