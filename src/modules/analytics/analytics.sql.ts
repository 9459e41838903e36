import { SelectQueryBuilder } from 'typeorm';
import { badInput } from '../../shared/errors.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { Brand } from '../brand/brand.entity.js';
import { Lead } from '../lead/lead.entity.js';
import { Listing } from '../listing/listing.entity.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { Referral } from '../referral/referral.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { AnalyticsFilter } from './analytics.types.js';

const list = <T>(values: T[] | null | undefined, name: string): T[] | null => {
  if (values === null || values === undefined) return null;
  if (values.length > 100) throw badInput(`A filter takes at most 100 values, got ${values.length}.`, `filter.${name}`);
  return values;
};

export function resolveFilter(filter: AnalyticsFilter | null | undefined): ResolvedFilter {
  const from = filter?.from ?? null;
  const to = filter?.to ?? null;
  if (from && to && from.getTime() >= to.getTime())
    throw badInput('filter.from must be before filter.to.', 'filter.from');
  return {
    from,
    to,
    brandIds: list(filter?.brandIds, 'brandIds')?.map((id) => decodeIdOf('Brand', id, 'filter.brandIds')) ?? null,
    regions: list(filter?.regions, 'regions'),
    platforms: list(filter?.platforms, 'platforms'),
    agencyIds: list(filter?.agencyIds, 'agencyIds')?.map((id) => decodeIdOf('Agency', id, 'filter.agencyIds')) ?? null,
    leadSources: list(filter?.leadSources, 'leadSources'),
  };
}

const inList = (s: Statement, column: string, values: readonly unknown[]) =>
  values.length ? `${column} IN (${s.bind(values)})` : 'FALSE';
const and = (conditions: string[]) => (conditions.length ? conditions.join(' AND ') : 'TRUE');

/** A time column within the filter's period. */
export function inPeriod(s: Statement, column: string): string[] {
  const conditions: string[] = [];
  if (s.filter.from) conditions.push(`${column} >= ${s.bind(s.filter.from)}`);
  if (s.filter.to) conditions.push(`${column} < ${s.bind(s.filter.to)}`);
  return conditions;
}

/** A visible referral of the investigation `investigationId` that was sent (to one of the filter's agencies). */
export function sentReferralOf(s: Statement, investigationId: string, extra?: (alias: string) => string): string {
  return s.exists(Referral, 'fr', (sub, r) => {
    sub.andWhere(`${r}.investigation_id = ${investigationId} AND ${r}.sent_at IS NOT NULL`);
    if (s.filter.agencyIds) sub.andWhere(inList(s, `${r}.agency_id`, s.filter.agencyIds));
    if (extra) sub.andWhere(extra(r));
  });
}

/** A visible outcome of one of `kinds` on a referral of the investigation (of the filter's agencies). */
export function outcomeOf(s: Statement, investigationId: string, kinds: string[]): string {
  return s.exists(EnforcementOutcome, 'fo', (sub, o) => {
    const r = `${o}_ref`;
    sub
      .innerJoin('referral', r, `${r}.id = ${o}.referral_id`)
      .andWhere(`${r}.investigation_id = ${investigationId} AND ${inList(s, `${o}.kind`, kinds)}`);
    if (s.filter.agencyIds) sub.andWhere(inList(s, `${r}.agency_id`, s.filter.agencyIds));
  });
}

/** The lead `l` names one of the brands, read through the brand's own scope: a brand partner naming another brand finds nothing. */
function leadNamesBrands(s: Statement, l: string, brandIds: string[]): string {
  return s.exists(Brand, 'fb', (sub, b) => {
    sub
      .innerJoin('lead_brand', `${b}_lb`, `${b}_lb.brand_id = ${b}.id`)
      .andWhere(`${b}_lb.lead_id = ${l}.id AND ${inList(s, `${b}.id`, brandIds)}`);
  });
}

/**
 * Conditions on a lead row `l` for the filter's case lists: brands it names, regions and platforms of its
 * sellers, its source, the agencies its investigation was referred to. `period` adds its creation time;
 * `regions: false` leaves the regions out (the region breakdown lists a case's regions itself).
 */
export function leadConditions(
  s: Statement,
  l: string,
  { period, agencies = true, regions = true }: { period: boolean; agencies?: boolean; regions?: boolean },
): string {
  const f = s.filter;
  const sellerRegions = regions ? f.regions : null;
  const conditions: string[] = period ? inPeriod(s, `${l}.created_at`) : [];
  if (f.leadSources) conditions.push(inList(s, `${l}.source`, f.leadSources));
  if (f.brandIds) conditions.push(leadNamesBrands(s, l, f.brandIds));
  if (sellerRegions || f.platforms) {
    conditions.push(
      s.exists(Seller, 'fs', (sub, x) => {
        sub.innerJoin('lead_seller', `${x}_ls`, `${x}_ls.seller_id = ${x}.id`).andWhere(`${x}_ls.lead_id = ${l}.id`);
        if (sellerRegions) sub.andWhere(inList(s, `${x}.region`, sellerRegions));
        if (f.platforms) sub.andWhere(inList(s, `${x}.platform`, f.platforms));
      }),
    );
  }
  if (agencies && f.agencyIds)
    conditions.push(`${l}.investigation_id IS NOT NULL AND ${sentReferralOf(s, `${l}.investigation_id`)}`);
  return and(conditions);
}

const caseFilters = (f: ResolvedFilter) =>
  Boolean(f.brandIds || f.regions || f.platforms || f.leadSources || f.agencyIds);
const leadOnlyFilters = (f: ResolvedFilter) => Boolean(f.leadSources || f.agencyIds);

/** Conditions on a referral row `r`: its agency, and the case filters through the leads behind it. */
export function referralConditions(s: Statement, r: string): string {
  const conditions: string[] = [];
  if (s.filter.agencyIds) conditions.push(inList(s, `${r}.agency_id`, s.filter.agencyIds));
  if (s.filter.brandIds || s.filter.regions || s.filter.platforms || s.filter.leadSources) {
    conditions.push(
      s.exists(Lead, 'fl', (sub, l) => {
        sub.andWhere(
          `${l}.investigation_id = ${r}.investigation_id AND ${leadConditions(s, l, { period: false, agencies: false })}`,
        );
      }),
    );
  }
  return and(conditions);
}

/**
 * Conditions on a listing row `x`: the brand it claims, its seller's region and platform, and, for the
 * filters that only leads have (source, agency), that it is on such a lead.
 */
export function listingConditions(s: Statement, x: string): string {
  const f = s.filter;
  const conditions: string[] = [];
  if (f.brandIds) conditions.push(inList(s, `${x}.brand_id`, f.brandIds));
  if (f.regions || f.platforms) {
    const ofSeller = (sub: SelectQueryBuilder<Seller>, v: string) => {
      if (f.regions) sub.andWhere(inList(s, `${v}.region`, f.regions));
      if (f.platforms) sub.andWhere(inList(s, `${v}.platform`, f.platforms));
    };
    // An internal caller's listings are many (a region's takedowns of a year: 44,000 at scale 10): the
    // region's sellers are read once and hashed. A brand's or an agency's are few: probed per listing.
    conditions.push(
      s.internal
        ? s.inSet(`${x}.seller_id`, Seller, 'fs', ofSeller)
        : s.exists(Seller, 'fs', (sub, v) => {
            sub.andWhere(`${v}.id = ${x}.seller_id`);
            ofSeller(sub, v);
          }),
    );
  }
  if (leadOnlyFilters(f)) {
    conditions.push(
      s.exists(Lead, 'fl', (sub, l) => {
        sub
          .innerJoin('lead_listing', `${l}_ll`, `${l}_ll.lead_id = ${l}.id`)
          .andWhere(`${l}_ll.listing_id = ${x}.id AND ${leadConditions(s, l, { period: false })}`);
      }),
    );
  }
  return and(conditions);
}

/**
 * Conditions on a seller row `v`: its region and platform; for brands, that it sells the brand or is on a
 * lead naming it; for the lead-only filters, that it is on such a lead.
 */
export function sellerConditions(s: Statement, v: string): string {
  const f = s.filter;
  const conditions: string[] = [];
  if (f.regions) conditions.push(inList(s, `${v}.region`, f.regions));
  if (f.platforms) conditions.push(inList(s, `${v}.platform`, f.platforms));
  if (f.brandIds) {
    const brandIds = f.brandIds;
    const sells = s.exists(Listing, 'fx', (sub, x) =>
      sub.andWhere(`${x}.seller_id = ${v}.id AND ${inList(s, `${x}.brand_id`, brandIds)}`),
    );
    const named = s.exists(Lead, 'fl', (sub, l) => {
      sub
        .innerJoin('lead_seller', `${l}_ls`, `${l}_ls.lead_id = ${l}.id`)
        .andWhere(`${l}_ls.seller_id = ${v}.id AND ${leadNamesBrands(s, l, brandIds)}`);
    });
    conditions.push(`(${sells} OR ${named})`);
  }
  if (leadOnlyFilters(f)) {
    conditions.push(
      s.exists(Lead, 'fl', (sub, l) => {
        sub
          .innerJoin('lead_seller', `${l}_ls`, `${l}_ls.lead_id = ${l}.id`)
          .andWhere(`${l}_ls.seller_id = ${v}.id AND ${leadConditions(s, l, { period: false })}`);
      }),
    );
  }
  return and(conditions);
}

/** With a regions filter, a breakdown or rollup shows those regions only (a lead's other sellers may be elsewhere). */
export const onlyRegions = (s: Statement, column: string) =>
  s.filter.regions ? (s.filter.regions.length ? `${column} IN (${s.bind(s.filter.regions)})` : 'FALSE') : 'TRUE';

export { caseFilters };
