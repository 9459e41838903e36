import { LeadCloseReason, LeadSource, LeadStatus } from '../modules/lead/lead.states.js';
import { Changed, Marketplace } from './case-plan.js';
import { CasePlanner, normal } from './case-planner.js';
import {
  BASE_RISK,
  DAY,
  HOUR,
  LEADS_PER_YEAR,
  MIN_LEADS,
  SOURCES,
  SPAN_DAYS,
  TRIAGE_CLOSE_NOTES,
  TRIAGE_CLOSE_REASONS,
  Weighted,
} from './case-tables.js';

/** Leads over the last two years, in creation order (reportLead), each NEW. */
export function planLeads(planner: CasePlanner, scale: number): void {
  const { random, market, now, plan } = planner;
  const brandListings = listingsByBrand(market);
  const leadCount = Math.max(MIN_LEADS, Math.round(LEADS_PER_YEAR * (SPAN_DAYS / 365) * scale));
  const createdAts = Array.from(
    { length: leadCount },
    () => now - Math.floor(random.next() * SPAN_DAYS * DAY) - HOUR,
  ).sort((a, b) => a - b);
  for (const createdAt of createdAts) {
    const source = planner.weighted(SOURCES);
    // Big brands report more: brand reports lean harder on the large brands than detections do.
    const brand = random.skewed(market.brandIds.length, source === LeadSource.BRAND_REPORT ? 1.3 : 1.1);
    const brands = [brand];
    if (market.brandIds.length > 1 && random.chance(0.06)) {
      const other = random.skewed(market.brandIds.length);
      if (other !== brand) brands.push(other);
    }
    const listings: number[] = [];
    for (const b of brands) {
      const pool = brandListings[b];
      const existing = upperBound(pool, createdAt, (i) => market.listingCreatedAt[i]);
      if (existing === 0 || ([LeadSource.TIP, LeadSource.AGENCY].includes(source) && random.chance(0.3))) continue;
      const wanted = b === brand ? planner.weighted(LISTINGS_PER_LEAD) : 1;
      const window = Math.min(existing, 300);
      for (let k = 0; k < wanted; k += 1) {
        const listing = pool[existing - 1 - random.int(0, window - 1)];
        if (!listings.includes(listing)) listings.push(listing);
      }
    }
    const sellers = [...new Set(listings.map((l) => market.listingSeller[l]))];
    if (sellers.length === 0) sellers.push(random.int(0, market.sellerCount - 1));
    const riskScore = clamp(Math.round(BASE_RISK[source] + normal(random) * 17), 0, 100);
    const product = random.pick(market.products);
    plan.leads.push({
      createdAt,
      reference: '',
      source,
      description: leadDescription(source, market.brandNames[brand], product, listings.length, sellers.length),
      riskScore,
      statuses: [LeadStatus.NEW],
      closeReason: null,
      closeNote: null,
      internalNotes: null,
      triagedAt: null,
      closedAt: null,
      investigation: null,
      brands,
      sellers,
      listings,
      product,
      openAt: null,
    });
    planner.record(createdAt, Changed.LEAD, plan.leads.length - 1, 1);
  }
}

const LISTINGS_PER_LEAD: Weighted<number> = [
  [1, 50],
  [2, 25],
  [3, 12],
  [4, 8],
  [6, 5],
];

/**
 * Triage: most leads are triaged within days (triageLead); a few are closed straight away as duplicates.
 * A triaged lead is either due for an investigation (`openAt`) or closed later with a reason (closeLead).
 */
export function planTriage(planner: CasePlanner): void {
  const { random, plan } = planner;
  plan.leads.forEach((lead, index) => {
    if (random.chance(0.04)) {
      const closedAt = planner.afterSkewed(lead.createdAt, 0.05, 3);
      if (planner.upTo(closedAt))
        planner.closeLead(index, closedAt, LeadCloseReason.DUPLICATE, 'Same sellers as an open lead.');
      return;
    }
    const triagedAt = planner.afterSkewed(lead.createdAt, 0.1, 12);
    if (!planner.upTo(triagedAt)) return;
    if (random.chance(0.25))
      lead.internalNotes = random.pick([
        'Priority brand.',
        'Seller network suspected.',
        'High volume; check warehouse leads.',
        'Price far below retail.',
      ]);
    planner.moveLead(index, LeadStatus.TRIAGED, triagedAt);
    lead.triagedAt = triagedAt;
    const pInvestigate = lead.riskScore < 35 ? 0.04 : lead.riskScore < 55 ? 0.2 : lead.riskScore < 70 ? 0.4 : 0.6;
    if (random.chance(pInvestigate)) {
      const openAt = planner.after(triagedAt, 1, 30);
      if (planner.upTo(openAt)) lead.openAt = openAt;
      return;
    }
    const closedAt = planner.afterSkewed(triagedAt, 0.5, 90);
    if (planner.upTo(closedAt)) {
      const reason = planner.weighted(TRIAGE_CLOSE_REASONS);
      const note = random.chance(0.7) ? random.pick(TRIAGE_CLOSE_NOTES[reason] ?? ['']) : null;
      planner.closeLead(index, closedAt, reason, note);
    }
  });
}

/** Each brand's listings in creation order, so that a lead points at listings that existed when it was made. */
function listingsByBrand(market: Marketplace): number[][] {
  const brandListings: number[][] = market.brandIds.map(() => []);
  market.listingBrand.forEach((brand, i) => {
    brandListings[brand].push(i);
  });
  for (const pool of brandListings)
    pool.sort((a, b) => market.listingCreatedAt[a] - market.listingCreatedAt[b] || a - b);
  return brandListings;
}

function upperBound(pool: number[], t: number, key: (i: number) => number): number {
  let lo = 0;
  let hi = pool.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(pool[mid]) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function leadDescription(source: LeadSource, brand: string, product: string, listings: number, sellers: number) {
  const on = listings
    ? ` on ${listings} listing${listings > 1 ? 's' : ''} of ${sellers} shop${sellers > 1 ? 's' : ''}`
    : '';
  switch (source) {
    case LeadSource.BRAND_REPORT:
      return `${brand} reports counterfeit ${product}${on}.`;
    case LeadSource.PLATFORM_DETECTION:
      return `Automated detection: ${brand} ${product} far below retail price${on}.`;
    case LeadSource.TEST_PURCHASE:
      return `Test purchase of ${brand} ${product} confirmed counterfeit${on}.`;
    case LeadSource.TIP:
      return `Tip-off: a workshop supplying counterfeit ${brand} ${product}${on}.`;
    case LeadSource.AGENCY:
      return `Agency request about counterfeit ${brand} ${product}${on}.`;
    default:
      return `Shop linked to a sanctioned seller offers ${brand} ${product}${on}.`;
  }
}
