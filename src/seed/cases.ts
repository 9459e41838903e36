import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { copyRows, reserveIds } from './copy.js';
import { Random } from './random.js';
import { ReferencePrefix, referenceSequence } from '../shared/reference.js';

/**
 * The case lifecycle of the generated dataset: leads, investigations (findings, evidence and custody),
 * referrals (disclosed evidence, outcomes, the agencies' change feed) and the reference counters.
 *
 * Every case is simulated forwards in time from its lead's creation, through the same lifecycles the
 * API enforces (`*.states.ts`), with delays drawn per step; a step that would fall after "now" does not
 * happen, so recent cases are still open and old ones have run their course, as in a live system.
 * Statuses, timestamps, versions and the feed are therefore what the API would have written had the
 * cases been driven through it.
 *
 * No audit_event rows are written: the seeded history predates the audit trail, whose hash chain starts
 * empty and covers only changes made through the API afterwards.
 *
 * Shape, at scale 1 (linear in the scale, with a floor so that tiny demo datasets have one of each):
 * about 4,500 leads a year over two years, 95 % triaged, 28 % investigated, 10 % referred; in the last
 * year about 550 referrals sent, some 35 cases ending in conviction, 400 arrests, 45 dens destroyed and
 * $115-125 million of goods seized (DESIGN.md section 1: 4,495 leads, 33 convictions, 46 dens, 300+
 * arrests, $125 million). The first year ramps up, since older cases have had no time to start.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SPAN_DAYS = 730;
const LEADS_PER_YEAR = 4500;
const MIN_LEADS = 40;
/** CNY per USD, for seized values and fines drawn in dollars and recorded in yuan. */
const CNY_PER_USD = 7.2;
/** Median seized value of a seizing outcome, in US dollars; values are log-normal around it. */
const SEIZURE_MEDIAN_USD = 260_000;

/** The marketplace as the planner sees it: sellers and listings by index (id = first id + index). */
export interface Marketplace {
  brandIds: number[];
  brandNames: string[];
  sellerCount: number;
  firstSellerId: number;
  listingCount: number;
  firstListingId: number;
  /** Per listing: its brand's and seller's index, its creation time (ms). */
  listingBrand: Int32Array;
  listingSeller: Int32Array;
  listingCreatedAt: Float64Array;
  agencies: readonly { code: string; name: string; kind: string; jurisdiction: string }[];
  agencyIds: number[];
  products: readonly string[];
}

export interface CaseCounts {
  leads: number;
  leadBrands: number;
  leadSellers: number;
  leadListings: number;
  investigations: number;
  findings: number;
  evidence: number;
  custodyTransfers: number;
  referrals: number;
  referralEvidence: number;
  enforcementOutcomes: number;
  referralChanges: number;
}

type LeadStatus = 'NEW' | 'TRIAGED' | 'INVESTIGATING' | 'REFERRED' | 'CLOSED';
type InvestigationStatus = 'OPEN' | 'EVIDENCE_GATHERING' | 'READY_FOR_REFERRAL' | 'REFERRED' | 'CLOSED';
type ReferralStatus =
  | 'DRAFT'
  | 'SENT'
  | 'ACKNOWLEDGED'
  | 'ACTION_TAKEN'
  | 'PROSECUTION'
  | 'CONVICTED'
  | 'ACQUITTED'
  | 'DECLINED'
  | 'CLOSED';
type OutcomeKind = 'RAID' | 'ARREST' | 'SEIZURE' | 'PROSECUTION' | 'CONVICTION' | 'ACQUITTAL' | 'FINE';
type ChangeKind = 'SENT' | 'ACKNOWLEDGED' | 'DECLINED' | 'OUTCOME_RECORDED' | 'CLOSED';

interface LeadPlan {
  createdAt: number;
  reference: string;
  source: string;
  description: string;
  riskScore: number;
  status: LeadStatus;
  closeReason: string | null;
  closeNote: string | null;
  internalNotes: string | null;
  triagedAt: number | null;
  closedAt: number | null;
  investigation: number | null;
  version: number;
  brands: number[];
  sellers: number[];
  listings: number[];
  product: string;
  /** When an investigation on it would be opened (planning only). */
  openAt: number | null;
}

interface InvestigationPlan {
  createdAt: number;
  reference: string;
  status: InvestigationStatus;
  summary: string;
  internalNotes: string | null;
  closeReason: string | null;
  closedAt: number | null;
  version: number;
  leads: number[];
}

interface FindingPlan {
  createdAt: number;
  investigation: number;
  kind: string;
  region: string;
  address: string;
  notes: string | null;
}

interface EvidencePlan {
  createdAt: number;
  investigation: number;
  kind: string;
  description: string;
  sha256: string;
  extension: string;
  collectedBy: string;
  collectedAt: number;
  custodian: string;
  version: number;
  lastMovedAt: number;
}

interface CustodyPlan {
  evidence: number;
  from: string;
  to: string;
  transferredAt: number;
  purpose: string;
}

interface ReferralPlan {
  createdAt: number;
  reference: string;
  investigation: number;
  agency: number;
  status: ReferralStatus;
  summary: string;
  agencyCaseReference: string | null;
  declineReason: string | null;
  sentAt: number | null;
  acknowledgedAt: number | null;
  firstActionAt: number | null;
  concludedAt: number | null;
  closedAt: number | null;
  version: number;
  evidence: number[];
}

interface OutcomePlan {
  createdAt: number;
  referral: number;
  kind: OutcomeKind;
  occurredAt: number;
  arrests: number;
  densDestroyed: number;
  convictions: number;
  seizedAmount: number | null;
  seizedCurrency: string | null;
  fineAmount: number | null;
  fineCurrency: string | null;
  notes: string | null;
}

interface ChangePlan {
  at: number;
  referral: number;
  order: number;
  kind: ChangeKind;
  status: ReferralStatus;
  outcome: number | null;
}

/** A case path imposed on a few investigations so that even the smallest dataset shows every stage. */
type ForcedPath = 'CONVICT' | 'ACTION' | 'DECLINE' | 'ACK' | 'SENT' | 'DRAFT';
interface Forced {
  agency: string;
  path: ForcedPath;
}

export interface CasePlan {
  leads: LeadPlan[];
  investigations: InvestigationPlan[];
  findings: FindingPlan[];
  evidence: EvidencePlan[];
  custody: CustodyPlan[];
  referrals: ReferralPlan[];
  outcomes: OutcomePlan[];
  changes: ChangePlan[];
  counters: [string, number, number][];
  /** Rows to insert, for the progress bar. */
  rows: number;
}

const SOURCES: [string, number][] = [
  ['BRAND_REPORT', 44],
  ['PLATFORM_DETECTION', 36],
  ['REPEAT_OFFENDER_MATCH', 7],
  ['TEST_PURCHASE', 5],
  ['TIP', 5],
  ['AGENCY', 3],
];
const TRIAGE_CLOSE_REASONS: [string, number][] = [
  ['RESOLVED_BY_TAKEDOWN', 45],
  ['INSUFFICIENT_EVIDENCE', 25],
  ['NOT_COUNTERFEIT', 15],
  ['DUPLICATE', 8],
  ['OTHER', 7],
];
const TRIAGE_CLOSE_NOTES: Record<string, string[]> = {
  RESOLVED_BY_TAKEDOWN: [
    'Listings removed; seller warned.',
    'Listings removed and seller restricted.',
    'Takedown sufficient: small reseller.',
  ],
  INSUFFICIENT_EVIDENCE: ['Photos inconclusive; no test purchase possible.', 'Seller closed before verification.'],
  NOT_COUNTERFEIT: ['Genuine parallel import.', 'Brand confirmed authentic stock.'],
  DUPLICATE: ['Same sellers as an earlier lead.'],
  OTHER: ['Out of programme scope.', 'Brand withdrew the report.'],
};
const INVESTIGATION_CLOSE_REASONS = [
  'No offline source identified.',
  'Sellers closed their shops; no further trace.',
  'Insufficient evidence for a referral.',
  "Source abroad, outside partner agencies' reach.",
  'Merged into another investigation.',
];
const FINDING_REGIONS: [string, number][] = [
  ['CN-ZJ', 30],
  ['CN-GD', 30],
  ['CN-FJ', 14],
  ['CN-JS', 7],
  ['CN-SH', 6],
  ['CN-SD', 3],
  ['CN-HE', 2],
  ['US', 3],
  ['VN', 5],
];
const CITIES: Record<string, string[]> = {
  'CN-ZJ': ['Yiwu', 'Hangzhou', 'Wenzhou', 'Ningbo'],
  'CN-GD': ['Guangzhou Baiyun', 'Shenzhen Longgang', 'Dongguan', 'Foshan'],
  'CN-FJ': ['Putian', 'Jinjiang', 'Quanzhou'],
  'CN-JS': ['Suzhou', 'Wuxi', 'Changshu'],
  'CN-SH': ['Shanghai Pudong', 'Shanghai Songjiang'],
  'CN-SD': ['Linyi', 'Qingdao'],
  'CN-HE': ['Baigou', 'Shijiazhuang'],
  US: ['Los Angeles, CA', 'New York, NY'],
  VN: ['Ho Chi Minh City', 'Hanoi'],
};
const STREETS = [
  'Industrial',
  'Futian',
  'Huangyuan',
  'Xingfu',
  'Jiangbin',
  'Minsheng',
  'Chaoyang',
  'Xinhua',
  'Harbour',
  'Market',
];
/** Which agencies act where, and how often each is chosen for a source found there. */
const REGION_AGENCIES: Record<string, [string, number][]> = {
  'CN-ZJ': [
    ['PSB-ZJ-YW', 60],
    ['AMR-ZJ', 30],
    ['PROC-ZJ', 10],
  ],
  'CN-GD': [
    ['PSB-GD-GZ', 35],
    ['PSB-GD-SZ', 25],
    ['AMR-GD', 25],
    ['GACC-GD', 10],
    ['PROC-GD', 5],
  ],
  'CN-FJ': [
    ['PSB-FJ-PT', 90],
    ['CNIPA', 10],
  ],
  'CN-JS': [
    ['AMR-JS', 90],
    ['CNIPA', 10],
  ],
  'CN-SH': [
    ['GACC-SH', 85],
    ['CNIPA', 15],
  ],
  US: [['HSI-US', 100]],
  VN: [['VN-MS', 100]],
};
const NATIONAL_AGENCIES: [string, number][] = [['CNIPA', 100]];

/** How each kind of agency tends to respond: probabilities at each step, and its first action. */
interface AgencyProfile {
  ack: number;
  declineAfterAck: number;
  action: number;
  prosecute: number;
  convict: number;
  firstAction: [OutcomeKind, number][];
  furtherAction: [OutcomeKind, number][];
}
const PROFILES: Record<string, AgencyProfile> = {
  PUBLIC_SECURITY: {
    ack: 0.9,
    declineAfterAck: 0.1,
    action: 0.7,
    prosecute: 0.22,
    convict: 0.85,
    firstAction: [
      ['RAID', 85],
      ['ARREST', 15],
    ],
    furtherAction: [
      ['ARREST', 55],
      ['SEIZURE', 30],
      ['RAID', 15],
    ],
  },
  MARKET_REGULATION: {
    ack: 0.92,
    declineAfterAck: 0.08,
    action: 0.75,
    prosecute: 0.03,
    convict: 0.8,
    firstAction: [
      ['SEIZURE', 45],
      ['FINE', 35],
      ['RAID', 20],
    ],
    furtherAction: [
      ['FINE', 60],
      ['SEIZURE', 40],
    ],
  },
  CUSTOMS: {
    ack: 0.9,
    declineAfterAck: 0.08,
    action: 0.75,
    prosecute: 0.06,
    convict: 0.8,
    firstAction: [
      ['SEIZURE', 90],
      ['FINE', 10],
    ],
    furtherAction: [['SEIZURE', 100]],
  },
  PROSECUTOR: {
    ack: 0.85,
    declineAfterAck: 0.15,
    action: 0.6,
    prosecute: 0.5,
    convict: 0.9,
    firstAction: [['ARREST', 100]],
    furtherAction: [['ARREST', 100]],
  },
  IP_OFFICE: {
    ack: 0.8,
    declineAfterAck: 0.2,
    action: 0.5,
    prosecute: 0,
    convict: 0,
    firstAction: [
      ['FINE', 70],
      ['SEIZURE', 30],
    ],
    furtherAction: [['FINE', 100]],
  },
  OTHER: {
    ack: 0.7,
    declineAfterAck: 0.2,
    action: 0.4,
    prosecute: 0,
    convict: 0,
    firstAction: [['SEIZURE', 100]],
    furtherAction: [['SEIZURE', 100]],
  },
};
const DECLINE_REASONS = [
  'Outside our jurisdiction.',
  'Insufficient evidence of offline production.',
  'Already under investigation by another bureau.',
  'Value below the prosecution threshold.',
  'No actionable address.',
];
const COLLECTORS = [
  'Test purchase unit, Hangzhou',
  'Test purchase unit, Guangzhou',
  'Investigator Chen Wei',
  'Investigator Li Na',
  'Investigator Zhang Min',
  'Investigator Wang Fang',
  'Data forensics team',
];
const EVIDENCE_KINDS: [string, number][] = [
  ['SCREENSHOT', 30],
  ['TEST_PURCHASE', 20],
  ['TRANSACTION_RECORD', 18],
  ['PHOTO', 15],
  ['LAB_REPORT', 10],
  ['DOCUMENT', 7],
];
const EXTENSIONS: Record<string, string> = {
  SCREENSHOT: 'png',
  TEST_PURCHASE: 'json',
  TRANSACTION_RECORD: 'csv',
  PHOTO: 'jpg',
  LAB_REPORT: 'pdf',
  DOCUMENT: 'pdf',
};
const EVIDENCE_DESCRIPTIONS: Record<string, string> = {
  SCREENSHOT: 'Screenshots of the listings and shop pages',
  TEST_PURCHASE: 'Goods bought in a test purchase',
  TRANSACTION_RECORD: 'Order and payment records',
  PHOTO: 'Photos of goods and packaging',
  LAB_REPORT: 'Brand authentication report',
  DOCUMENT: 'Shipping documents',
};
/** Where a lead's risk score starts, by source: test purchases and repeat offenders are surer bets. */
const BASE_RISK: Record<string, number> = {
  BRAND_REPORT: 52,
  PLATFORM_DETECTION: 48,
  REPEAT_OFFENDER_MATCH: 66,
  TEST_PURCHASE: 68,
  TIP: 55,
  AGENCY: 62,
};
const EVIDENCE_ROOMS = ['Evidence room, Hangzhou', 'Evidence room, Guangzhou'];

/** Plans the whole case history in memory; `insertCases` writes it. Deterministic for a given seed and now. */
export function planCases(random: Random, market: Marketplace, scale: number, now: number): CasePlan {
  const plan: CasePlan = {
    leads: [],
    investigations: [],
    findings: [],
    evidence: [],
    custody: [],
    referrals: [],
    outcomes: [],
    changes: [],
    counters: [],
    rows: 0,
  };
  const agencyIndex = new Map(market.agencies.map((a, i) => [a.code, i]));
  const upTo = (t: number) => t <= now;
  const after = (t: number, minDays: number, maxDays: number) =>
    t + Math.floor((minDays + random.next() * (maxDays - minDays)) * DAY);
  /** A delay mostly short with a long tail (u^2 of the range). */
  const afterSkewed = (t: number, minDays: number, maxDays: number) =>
    t + Math.floor((minDays + random.next() ** 2 * (maxDays - minDays)) * DAY);

  // Listings of each brand in creation order, so that a lead points at listings that existed when it was made.
  const brandListings: number[][] = market.brandIds.map(() => []);
  market.listingBrand.forEach((brand, i) => {
    brandListings[brand].push(i);
  });
  for (const pool of brandListings)
    pool.sort((a, b) => market.listingCreatedAt[a] - market.listingCreatedAt[b] || a - b);

  // ---- Leads, in creation order.
  const leadCount = Math.max(MIN_LEADS, Math.round(LEADS_PER_YEAR * (SPAN_DAYS / 365) * scale));
  const createdAts = Array.from(
    { length: leadCount },
    () => now - Math.floor(random.next() * SPAN_DAYS * DAY) - HOUR,
  ).sort((a, b) => a - b);
  for (const createdAt of createdAts) {
    const source = weighted(random, SOURCES);
    // Big brands report more: brand reports lean harder on the large brands than detections do.
    const brand = random.skewed(market.brandIds.length, source === 'BRAND_REPORT' ? 1.3 : 1.1);
    const brands = [brand];
    if (market.brandIds.length > 1 && random.chance(0.06)) {
      const other = random.skewed(market.brandIds.length);
      if (other !== brand) brands.push(other);
    }
    const listings: number[] = [];
    for (const b of brands) {
      const pool = brandListings[b];
      const existing = upperBound(pool, createdAt, (i) => market.listingCreatedAt[i]);
      if (existing === 0 || (['TIP', 'AGENCY'].includes(source) && random.chance(0.3))) continue;
      const wanted =
        b === brand
          ? weighted(random, [
              [1, 50],
              [2, 25],
              [3, 12],
              [4, 8],
              [6, 5],
            ] as [number, number][])
          : 1;
      const window = Math.min(existing, 300);
      for (let k = 0; k < wanted; k += 1) {
        const listing = pool[existing - 1 - random.int(0, window - 1)];
        if (!listings.includes(listing)) listings.push(listing);
      }
    }
    const sellers = [...new Set(listings.map((l) => market.listingSeller[l]))];
    if (sellers.length === 0) sellers.push(random.int(0, market.sellerCount - 1));
    const base = BASE_RISK[source] ?? 50;
    const riskScore = clamp(Math.round(base + normal(random) * 17), 0, 100);
    const product = random.pick(market.products);
    plan.leads.push({
      createdAt,
      reference: '',
      source,
      description: leadDescription(source, market.brandNames[brand], product, listings.length, sellers.length),
      riskScore,
      status: 'NEW',
      closeReason: null,
      closeNote: null,
      internalNotes: null,
      triagedAt: null,
      closedAt: null,
      investigation: null,
      version: 1,
      brands,
      sellers,
      listings,
      product,
      openAt: null,
    });
  }

  // ---- Triage: most leads are triaged within days; a few are closed straight away as duplicates.
  for (const lead of plan.leads) {
    if (random.chance(0.04)) {
      const closedAt = afterSkewed(lead.createdAt, 0.05, 3);
      if (upTo(closedAt)) closeLead(lead, closedAt, 'DUPLICATE', 'Same sellers as an open lead.');
      continue;
    }
    const triagedAt = afterSkewed(lead.createdAt, 0.1, 12);
    if (!upTo(triagedAt)) continue;
    lead.status = 'TRIAGED';
    lead.triagedAt = triagedAt;
    lead.version += 1;
    if (random.chance(0.25))
      lead.internalNotes = random.pick([
        'Priority brand.',
        'Seller network suspected.',
        'High volume; check warehouse leads.',
        'Price far below retail.',
      ]);
    const pInvestigate = lead.riskScore < 35 ? 0.04 : lead.riskScore < 55 ? 0.2 : lead.riskScore < 70 ? 0.4 : 0.6;
    if (random.chance(pInvestigate)) {
      const openAt = after(triagedAt, 1, 30);
      if (upTo(openAt)) lead.openAt = openAt;
      continue;
    }
    const closedAt = afterSkewed(triagedAt, 0.5, 90);
    if (upTo(closedAt)) {
      const reason = weighted(random, TRIAGE_CLOSE_REASONS);
      closeLead(lead, closedAt, reason, random.chance(0.7) ? random.pick(TRIAGE_CLOSE_NOTES[reason]) : null);
    }
  }

  // ---- Investigations: one or a few leads of the same brand whose investigations would open close together.
  const candidates: number[][] = market.brandIds.map(() => []);
  plan.leads.forEach((lead, i) => {
    if (lead.openAt !== null) candidates[lead.brands[0]].push(i);
  });
  const groups: number[][] = [];
  for (const list of candidates) {
    list.sort((a, b) => plan.leads[a].openAt! - plan.leads[b].openAt! || a - b);
    for (let i = 0; i < list.length;) {
      const size = weighted(random, [
        [1, 72],
        [2, 18],
        [3, 6],
        [5, 4],
      ] as [number, number][]);
      const group = [list[i]];
      const first = plan.leads[list[i]].openAt!;
      i += 1;
      while (group.length < size && i < list.length && plan.leads[list[i]].openAt! <= first + 30 * DAY)
        group.push(list[i++]);
      groups.push(group);
    }
  }
  const opened = groups.map((group) => Math.max(...group.map((l) => plan.leads[l].openAt!)));
  const order = groups.map((_, i) => i).sort((a, b) => opened[a] - opened[b] || groups[a][0] - groups[b][0]);

  // A few cases follow a set path, so that even the demo dataset has one of each: the oldest ones run to
  // their end (one to a conviction by the Yiwu PSB), two recent ones wait for the agency or for sending.
  const forced = new Map<number, Forced>();
  [
    { agency: 'PSB-ZJ-YW', path: 'CONVICT' },
    { agency: 'AMR-GD', path: 'ACTION' },
    { agency: 'GACC-SH', path: 'DECLINE' },
    { agency: 'PSB-FJ-PT', path: 'ACK' },
  ].forEach((f, k) => {
    if (k < order.length) forced.set(k, f as Forced);
  });
  const recent = order.map((_, k) => k).filter((k) => opened[order[k]] <= now - 40 * DAY && !forced.has(k));
  if (recent.length > 0) forced.set(recent[recent.length - 1], { agency: 'PSB-ZJ-YW', path: 'SENT' });
  if (recent.length > 1) forced.set(recent[recent.length - 2], { agency: 'PSB-GD-SZ', path: 'DRAFT' });

  order.forEach((g, k) => {
    const group = groups[g].sort((a, b) => a - b);
    const index = plan.investigations.length;
    const createdAt = opened[g];
    const lead0 = plan.leads[group[0]];
    const investigation: InvestigationPlan = {
      createdAt,
      reference: '',
      status: 'OPEN',
      leads: group,
      closeReason: null,
      closedAt: null,
      version: 1,
      summary: `Counterfeit ${market.brandNames[lead0.brands[0]]} ${lead0.product}: ${group.length} lead${group.length > 1 ? 's' : ''}, ${new Set(group.flatMap((l) => plan.leads[l].sellers)).size} shop(s)`,
      internalNotes: random.chance(0.4)
        ? random.pick([
            'Coordinate with brand legal.',
            'Suspected supplier to several shops.',
            'Check logistics records.',
            'Sensitive: large network.',
          ])
        : null,
    };
    plan.investigations.push(investigation);
    for (const l of group) {
      const lead = plan.leads[l];
      lead.status = 'INVESTIGATING';
      lead.investigation = index;
      lead.version += 1;
    }
    simulateInvestigation(index, forced.get(k) ?? null, Math.max(...group.map((l) => plan.leads[l].riskScore)));
  });

  function closeLead(lead: LeadPlan, at: number, reason: string, note: string | null) {
    lead.status = 'CLOSED';
    lead.closeReason = reason;
    lead.closeNote = note;
    lead.closedAt = at;
    lead.version += 1;
  }

  function moveInvestigation(investigation: InvestigationPlan, status: InvestigationStatus) {
    investigation.status = status;
    investigation.version += 1;
  }

  function simulateInvestigation(index: number, forcedPath: Forced | null, risk: number) {
    const investigation = plan.investigations[index];
    const t0 = investigation.createdAt;
    const fast = forcedPath !== null;
    const refer = forcedPath ? true : random.chance(risk >= 70 ? 0.5 : 0.33);
    const firstEvidenceAt = fast ? t0 + DAY : after(t0, 1, 20);
    const withEvidence = refer || random.chance(0.9);
    // The end of internal work: ready for referral, or closed without one.
    const endAt = refer
      ? fast
        ? firstEvidenceAt + 8 * DAY
        : after(firstEvidenceAt, 20, 120)
      : afterSkewed(withEvidence ? firstEvidenceAt : t0, 20, 240);
    const region = forcedPath
      ? market.agencies[agencyIndex.get(forcedPath.agency)!].jurisdiction
      : weighted(random, FINDING_REGIONS);

    // Findings: where the goods come from; the first one decides which agency gets the case.
    const findingCount = refer ? random.int(1, 3) : random.chance(0.4) ? 1 : 0;
    for (let k = 0; k < findingCount; k += 1) {
      const at = t0 + Math.floor(random.next() * (endAt - t0));
      if (!upTo(at)) continue;
      const findingRegion = k === 0 ? region : random.chance(0.7) ? region : weighted(random, FINDING_REGIONS);
      plan.findings.push({
        createdAt: at,
        investigation: index,
        kind: weighted(random, [
          ['WORKSHOP', 35],
          ['WAREHOUSE', 30],
          ['FACTORY', 25],
          ['RETAIL', 10],
        ] as [string, number][]),
        region: findingRegion,
        address: `${random.int(1, 999)} ${random.pick(STREETS)} Road, ${random.pick(CITIES[findingRegion] ?? ['unknown'])}`,
        notes: random.chance(0.5)
          ? random.pick([
              'Roughly 40 workers on two sewing lines.',
              'Stock for several online shops.',
              'Labels and packaging printed on site.',
              'Ships by courier nightly.',
            ])
          : null,
      });
    }

    // Evidence, collected between the first item and the end of internal work.
    const evidence: number[] = [];
    if (withEvidence) {
      const count = refer ? random.int(3, 9) : random.int(1, 5);
      const span = Math.max(HOUR, endAt - firstEvidenceAt - 3 * DAY);
      for (let k = 0; k < count; k += 1) {
        const collectedAt = k === 0 ? firstEvidenceAt : firstEvidenceAt + Math.floor(random.next() * span);
        const createdAt = collectedAt + Math.floor(random.next() * 2 * DAY);
        if (!upTo(createdAt)) continue;
        evidence.push(addEvidence(index, k, collectedAt, createdAt));
      }
    }
    evidence.sort((a, b) => plan.evidence[a].createdAt - plan.evidence[b].createdAt);
    if (evidence.length > 0) moveInvestigation(investigation, 'EVIDENCE_GATHERING');

    if (!refer) {
      if (upTo(endAt)) {
        const reason = withEvidence ? random.pick(INVESTIGATION_CLOSE_REASONS) : 'No offline source identified.';
        closeInvestigation(investigation, endAt, reason, 'INVESTIGATION_CLOSED');
      }
      return;
    }
    if (!upTo(endAt)) return;
    moveInvestigation(investigation, 'READY_FOR_REFERRAL');

    const agencyCode = forcedPath?.agency ?? weighted(random, REGION_AGENCIES[region] ?? NATIONAL_AGENCIES);
    const createdAt = fast ? endAt + HOUR : after(endAt, 0, 5);
    if (!upTo(createdAt)) return;
    const disclosed = evidence.filter(
      (e) => plan.evidence[e].createdAt < createdAt && (plan.evidence[e].kind !== 'SCREENSHOT' || random.chance(0.8)),
    );
    if (disclosed.length === 0) disclosed.push(evidence[0]);
    const first = addReferral(index, agencyIndex.get(agencyCode)!, createdAt, disclosed);
    const sentAt =
      forcedPath?.path === 'DRAFT'
        ? Infinity
        : fast
          ? createdAt + HOUR
          : createdAt + Math.floor(random.next() * 7 * DAY);
    if (!upTo(sentAt)) return;
    sendReferral(first, sentAt);
    moveInvestigation(investigation, 'REFERRED');
    for (const l of investigation.leads) {
      plan.leads[l].status = 'REFERRED';
      plan.leads[l].version += 1;
    }
    const referrals = [first];
    simulateReferral(first, forcedPath?.path ?? null);

    // Sometimes a second agency gets the case too (a bureau and the market regulator, or customs).
    if (!fast && random.chance(0.15)) {
      const options = (REGION_AGENCIES[region] ?? NATIONAL_AGENCIES).filter(([code]) => code !== agencyCode);
      const secondCode = options.length ? weighted(random, options) : agencyCode === 'CNIPA' ? null : 'CNIPA';
      const secondAt = after(sentAt, 2, 60);
      if (secondCode && upTo(secondAt)) {
        const second = addReferral(
          index,
          agencyIndex.get(secondCode)!,
          secondAt,
          evidence.filter((e) => plan.evidence[e].createdAt < secondAt),
        );
        const secondSentAt = secondAt + Math.floor(random.next() * 5 * DAY);
        if (upTo(secondSentAt)) {
          sendReferral(second, secondSentAt);
          simulateReferral(second, null);
        }
        referrals.push(second);
      }
    }

    // When every referral has been closed, the investigation is closed and its leads concluded.
    if (referrals.every((r) => plan.referrals[r].status === 'CLOSED')) {
      const closedAt = after(Math.max(...referrals.map((r) => plan.referrals[r].closedAt!)), 1, 14);
      if (upTo(closedAt)) closeInvestigation(investigation, closedAt, 'Referrals concluded.', 'CASE_CONCLUDED');
    }
  }

  function closeInvestigation(investigation: InvestigationPlan, at: number, reason: string, leadReason: string) {
    moveInvestigation(investigation, 'CLOSED');
    investigation.closeReason = reason;
    investigation.closedAt = at;
    for (const l of investigation.leads) closeLead(plan.leads[l], at, leadReason, reason);
  }

  function addEvidence(investigation: number, k: number, collectedAt: number, createdAt: number): number {
    const kind = k === 0 ? 'SCREENSHOT' : weighted(random, EVIDENCE_KINDS);
    const collectedBy =
      kind === 'SCREENSHOT' || kind === 'TRANSACTION_RECORD' ? 'Data forensics team' : random.pick(COLLECTORS);
    const index = plan.evidence.length;
    const item: EvidencePlan = {
      createdAt,
      investigation,
      kind,
      collectedBy,
      collectedAt,
      custodian: collectedBy,
      version: 1,
      lastMovedAt: createdAt,
      // Stands for the hash of the stored file: deterministic, and unique within the investigation.
      sha256: createHash('sha256').update(`seed-evidence:${investigation}:${k}:${collectedAt}`).digest('hex'),
      extension: EXTENSIONS[kind],
      description: EVIDENCE_DESCRIPTIONS[kind],
    };
    plan.evidence.push(item);
    if (kind === 'TEST_PURCHASE') {
      // Physical goods go to the brand's lab for authentication and back to the evidence room.
      const room = random.pick(EVIDENCE_ROOMS);
      transfer(index, 'Brand authentication lab', after(createdAt, 0.1, 3), 'Authentication');
      transfer(index, room, after(item.lastMovedAt, 2, 15), 'Storage after authentication');
    } else if (kind !== 'SCREENSHOT' && kind !== 'TRANSACTION_RECORD' && random.chance(0.3)) {
      transfer(index, random.pick(EVIDENCE_ROOMS), after(createdAt, 0.1, 5), 'Archiving');
    }
    return index;
  }

  function transfer(evidence: number, to: string, at: number, purpose: string) {
    const item = plan.evidence[evidence];
    if (!upTo(at) || to === item.custodian) return;
    plan.custody.push({ evidence, from: item.custodian, to, transferredAt: at, purpose });
    item.custodian = to;
    item.version += 1;
    item.lastMovedAt = at;
  }

  function addReferral(investigation: number, agency: number, createdAt: number, evidence: number[]): number {
    const a = market.agencies[agency];
    const inv = plan.investigations[investigation];
    plan.referrals.push({
      createdAt,
      reference: '',
      investigation,
      agency,
      status: 'DRAFT',
      evidence,
      summary: `${inv.summary}. Offline source in ${a.jurisdiction}; ${evidence.length} evidence item(s) disclosed.`,
      agencyCaseReference: null,
      declineReason: null,
      sentAt: null,
      acknowledgedAt: null,
      firstActionAt: null,
      concludedAt: null,
      closedAt: null,
      version: 1,
    });
    return plan.referrals.length - 1;
  }

  function change(referral: number, at: number, kind: ChangeKind, outcome: number | null = null) {
    const r = plan.referrals[referral];
    plan.changes.push({ at, referral, order: plan.changes.length, kind, status: r.status, outcome });
  }

  function moveReferral(referral: number, status: ReferralStatus) {
    plan.referrals[referral].status = status;
    plan.referrals[referral].version += 1;
  }

  function sendReferral(referral: number, at: number) {
    moveReferral(referral, 'SENT');
    plan.referrals[referral].sentAt = at;
    change(referral, at, 'SENT');
    // Physical items disclosed on the referral are handed to the agency.
    const agencyName = market.agencies[plan.referrals[referral].agency].name;
    for (const e of plan.referrals[referral].evidence) {
      if (plan.evidence[e].kind === 'TEST_PURCHASE')
        transfer(
          e,
          agencyName,
          Math.max(at, plan.evidence[e].lastMovedAt) + random.int(1, 72) * HOUR,
          `Handed over with the referral`,
        );
    }
  }

  /** Runs a sent referral forwards: acknowledgement, action, prosecution, verdict, closing; or a refusal. */
  function simulateReferral(referral: number, path: ForcedPath | null) {
    const r = plan.referrals[referral];
    const agency = market.agencies[r.agency];
    const profile = PROFILES[agency.kind] ?? PROFILES.OTHER;
    const fast = path !== null;
    if (path === 'SENT' || path === 'DRAFT') return;
    let t = r.sentAt!;
    const decline = (at: number) => {
      if (!upTo(at)) return;
      moveReferral(referral, 'DECLINED');
      r.declineReason = random.pick(DECLINE_REASONS);
      r.concludedAt = at;
      change(referral, at, 'DECLINED');
      close(after(at, 3, 30));
    };
    const close = (at: number) => {
      if (!upTo(at)) return;
      moveReferral(referral, 'CLOSED');
      r.closedAt = at;
      change(referral, at, 'CLOSED');
    };
    const acknowledged = path ? path !== 'DECLINE' : random.chance(profile.ack);
    if (!acknowledged) return decline(fast ? t + 2 * DAY : after(t, 3, 40));
    t = fast ? t + DAY : afterSkewed(t, 0.2, 20);
    if (!upTo(t)) return;
    moveReferral(referral, 'ACKNOWLEDGED');
    r.acknowledgedAt = t;
    r.agencyCaseReference = `${agency.code}-${new Date(t).getUTCFullYear()}-${String(random.int(1, 9999)).padStart(4, '0')}`;
    change(referral, t, 'ACKNOWLEDGED');
    if (path === 'ACK') return;
    if (!path && random.chance(profile.declineAfterAck)) return decline(after(t, 10, 90));
    // No action: the agency eventually answers that it will not act.
    if (!path && !random.chance(profile.action)) return decline(after(t, 60, 240));

    // Action: a first raid, arrest, seizure or fine, then sometimes more.
    let occurredAt = fast ? t + 7 * DAY : after(t, 7, 120);
    let recorded = outcome(referral, weighted(random, profile.firstAction), occurredAt, agency);
    if (recorded === null) return;
    r.firstActionAt = occurredAt;
    t = plan.outcomes[recorded].createdAt;
    const further = fast
      ? 1
      : weighted(random, [
          [0, 50],
          [1, 30],
          [2, 20],
        ] as [number, number][]);
    const prosecute = path ? path === 'CONVICT' : random.chance(profile.prosecute);
    for (let k = 0; k < further; k += 1) {
      occurredAt = fast ? t + 5 * DAY : after(t, 5, 60);
      recorded = outcome(referral, weighted(random, profile.furtherAction), occurredAt, agency, false);
      if (recorded === null) return;
      t = plan.outcomes[recorded].createdAt;
    }
    if (!prosecute) return;
    occurredAt = fast ? t + 30 * DAY : after(t, 20, 120);
    recorded = outcome(referral, 'PROSECUTION', occurredAt, agency);
    if (recorded === null) return;
    t = plan.outcomes[recorded].createdAt;
    occurredAt = fast ? t + 60 * DAY : after(t, 30, 180);
    const convicted = path === 'CONVICT' || random.chance(profile.convict);
    recorded = outcome(referral, convicted ? 'CONVICTION' : 'ACQUITTAL', occurredAt, agency);
    if (recorded === null) return;
    r.concludedAt = occurredAt;
    close(fast ? plan.outcomes[recorded].createdAt + 3 * DAY : after(plan.outcomes[recorded].createdAt, 3, 45));
  }

  /**
   * Records an outcome that occurred at `occurredAt` (reported a few days later) and moves the referral
   * as recordEnforcementOutcome does; null when it lies in the future.
   */
  function outcome(
    referral: number,
    kind: OutcomeKind,
    occurredAt: number,
    agency: Marketplace['agencies'][number],
    moves = true,
  ): number | null {
    const createdAt = occurredAt + Math.floor(random.next() * 3 * DAY);
    if (!upTo(createdAt)) return null;
    const currency = agency.jurisdiction.startsWith('CN') ? 'CNY' : 'USD';
    const money = (usd: number) => {
      const amount = currency === 'CNY' ? Math.round((usd * CNY_PER_USD) / 100) * 100 : Math.round(usd / 100) * 100;
      return Math.max(100, amount) * 100;
    };
    const seized = (weight: number) => money(weight * SEIZURE_MEDIAN_USD * Math.exp(normal(random)));
    const o: OutcomePlan = {
      createdAt,
      referral,
      kind,
      occurredAt,
      arrests: 0,
      densDestroyed: 0,
      convictions: 0,
      seizedAmount: null,
      seizedCurrency: null,
      fineAmount: null,
      fineCurrency: null,
      notes: null,
    };
    switch (kind) {
      case 'RAID':
        o.densDestroyed = weighted(random, [
          [0, 77],
          [1, 19],
          [2, 3],
          [3, 1],
        ] as [number, number][]);
        o.arrests = weighted(random, [
          [0, 35],
          [1, 30],
          [2, 18],
          [3, 10],
          [5, 5],
          [9, 2],
        ] as [number, number][]);
        o.seizedAmount = seized(1);
        o.notes = `Raid on ${o.densDestroyed || 'no'} production site${o.densDestroyed === 1 ? '' : 's'}; ${o.arrests} arrested.`;
        break;
      case 'ARREST':
        o.arrests = random.int(1, 3);
        break;
      case 'SEIZURE':
        o.seizedAmount = seized(0.8);
        o.notes = random.pick(['Goods seized at the warehouse.', 'Shipment held at the border.', 'Stock confiscated.']);
        break;
      case 'FINE':
        o.fineAmount = money(random.int(5, 300) * 1000);
        break;
      case 'PROSECUTION':
        o.notes = 'Case transferred for prosecution.';
        break;
      case 'CONVICTION':
        o.convictions = weighted(random, [
          [1, 45],
          [2, 25],
          [3, 15],
          [5, 10],
          [8, 5],
        ] as [number, number][]);
        if (random.chance(0.6)) o.fineAmount = money(random.int(10, 500) * 1000);
        o.notes = `${o.convictions} defendant${o.convictions > 1 ? 's' : ''} convicted.`;
        break;
      case 'ACQUITTAL':
        o.notes = 'Defendants acquitted.';
        break;
    }
    if (o.seizedAmount !== null) o.seizedCurrency = currency;
    if (o.fineAmount !== null) o.fineCurrency = currency;
    const index = plan.outcomes.length;
    plan.outcomes.push(o);
    const target: ReferralStatus =
      kind === 'PROSECUTION'
        ? 'PROSECUTION'
        : kind === 'CONVICTION'
          ? 'CONVICTED'
          : kind === 'ACQUITTAL'
            ? 'ACQUITTED'
            : 'ACTION_TAKEN';
    if (moves) moveReferral(referral, target);
    change(referral, createdAt, 'OUTCOME_RECORDED', index);
    return index;
  }

  // ---- Rows in time order (ids follow creation, as they would have through the API), then references.
  const investigationOrder = reorder(plan.investigations, (i) => i.createdAt);
  for (const lead of plan.leads)
    if (lead.investigation !== null) lead.investigation = investigationOrder[lead.investigation];
  const evidenceOrder = reorder(plan.evidence, (e) => e.createdAt);
  for (const e of plan.evidence) e.investigation = investigationOrder[e.investigation];
  for (const f of plan.findings) f.investigation = investigationOrder[f.investigation];
  plan.findings.sort((a, b) => a.createdAt - b.createdAt);
  for (const c of plan.custody) c.evidence = evidenceOrder[c.evidence];
  plan.custody.sort((a, b) => a.transferredAt - b.transferredAt || a.evidence - b.evidence);
  const referralOrder = reorder(plan.referrals, (r) => r.createdAt);
  for (const r of plan.referrals) {
    r.investigation = investigationOrder[r.investigation];
    r.evidence = r.evidence.map((e) => evidenceOrder[e]).sort((a, b) => a - b);
  }
  const outcomeOrder = reorder(plan.outcomes, (o) => o.createdAt);
  for (const o of plan.outcomes) o.referral = referralOrder[o.referral];
  for (const c of plan.changes) {
    c.referral = referralOrder[c.referral];
    if (c.outcome !== null) c.outcome = outcomeOrder[c.outcome];
  }
  // The feed's sequence is commit order: changes are numbered in the order they happened.
  plan.changes.sort((a, b) => a.at - b.at || a.order - b.order);

  const counters = new Map<string, number>();
  const reference = (prefix: string, at: number) => {
    const year = new Date(at).getUTCFullYear();
    const key = `${prefix}-${year}`;
    const value = (counters.get(key) ?? 0) + 1;
    counters.set(key, value);
    return `${key}-${String(value).padStart(6, '0')}`;
  };
  for (const lead of plan.leads) lead.reference = reference('LD', lead.createdAt);
  for (const inv of plan.investigations) inv.reference = reference('INV', inv.createdAt);
  for (const r of plan.referrals) r.reference = reference('REF', r.createdAt);
  plan.counters = [...counters].map(([key, value]) => {
    const [prefix, year] = key.split('-');
    return [prefix, Number(year), value];
  });

  plan.rows =
    plan.leads.length +
    plan.leads.reduce((n, l) => n + l.brands.length + l.sellers.length + l.listings.length, 0) +
    plan.investigations.length +
    plan.findings.length +
    plan.evidence.length +
    plan.custody.length +
    plan.referrals.length +
    plan.referrals.reduce((n, r) => n + r.evidence.length, 0) +
    plan.outcomes.length +
    plan.changes.length +
    plan.counters.length;
  return plan;
}

/** Writes a planned case history, parents first, each table by COPY with ids taken beforehand. */
export async function insertCases(
  db: EntityManager,
  plan: CasePlan,
  market: Marketplace,
  tick: (stage: string) => (n: number) => void,
): Promise<CaseCounts> {
  const date = (t: number | null) => (t === null ? null : new Date(t));
  const ids = async (table: string, count: number) => {
    const first = await reserveIds(db, table, count);
    return (index: number) => first + index;
  };

  const investigationId = await ids('investigation', plan.investigations.length);
  await copyRows(
    db,
    'investigation',
    ['id', 'created_at', 'reference', 'status', 'summary', 'internal_notes', 'close_reason', 'closed_at', 'version'],
    plan.investigations.map((i, k) => [
      investigationId(k),
      date(i.createdAt),
      i.reference,
      i.status,
      i.summary,
      i.internalNotes,
      i.closeReason,
      date(i.closedAt),
      i.version,
    ]),
    tick('investigations'),
  );

  const leadId = await ids('lead', plan.leads.length);
  await copyRows(
    db,
    'lead',
    [
      'id',
      'created_at',
      'reference',
      'source',
      'description',
      'risk_score',
      'status',
      'close_reason',
      'close_note',
      'internal_notes',
      'investigation_id',
      'triaged_at',
      'closed_at',
      'version',
    ],
    plan.leads.map((l, k) => [
      leadId(k),
      date(l.createdAt),
      l.reference,
      l.source,
      l.description,
      l.riskScore,
      l.status,
      l.closeReason,
      l.closeNote,
      l.internalNotes,
      l.investigation === null ? null : investigationId(l.investigation),
      date(l.triagedAt),
      date(l.closedAt),
      l.version,
    ]),
    tick('leads'),
  );

  // lead_brand carries its lead's creation time (kept by a trigger, off during the load: derived.ts).
  const leadBrands = await copyRows(
    db,
    'lead_brand',
    ['lead_id', 'brand_id', 'lead_created_at'],
    (function* () {
      for (const [k, l] of plan.leads.entries())
        for (const b of l.brands) yield [leadId(k), market.brandIds[b], date(l.createdAt)];
    })(),
    tick('lead links'),
  );
  const leadSellers = await copyRows(
    db,
    'lead_seller',
    ['lead_id', 'seller_id'],
    (function* () {
      for (const [k, l] of plan.leads.entries()) for (const s of l.sellers) yield [leadId(k), market.firstSellerId + s];
    })(),
    tick('lead links'),
  );
  const leadListings = await copyRows(
    db,
    'lead_listing',
    ['lead_id', 'listing_id'],
    (function* () {
      for (const [k, l] of plan.leads.entries())
        for (const s of l.listings) yield [leadId(k), market.firstListingId + s];
    })(),
    tick('lead links'),
  );

  await copyRows(
    db,
    'finding',
    ['created_at', 'investigation_id', 'kind', 'region', 'address', 'notes'],
    plan.findings.map((f) => [
      date(f.createdAt),
      investigationId(f.investigation),
      f.kind,
      f.region,
      f.address,
      f.notes,
    ]),
    tick('findings'),
  );

  const evidenceId = await ids('evidence', plan.evidence.length);
  await copyRows(
    db,
    'evidence',
    [
      'id',
      'created_at',
      'investigation_id',
      'kind',
      'description',
      'sha256',
      'storage_key',
      'collected_by',
      'collected_at',
      'custodian',
      'version',
    ],
    plan.evidence.map((e, k) => [
      evidenceId(k),
      date(e.createdAt),
      investigationId(e.investigation),
      e.kind,
      e.description,
      e.sha256,
      `evidence/${plan.investigations[e.investigation].reference}/${e.sha256.slice(0, 16)}.${e.extension}`,
      e.collectedBy,
      date(e.collectedAt),
      e.custodian,
      e.version,
    ]),
    tick('evidence'),
  );

  await copyRows(
    db,
    'custody_transfer',
    ['created_at', 'evidence_id', 'from_custodian', 'to_custodian', 'transferred_at', 'purpose'],
    plan.custody.map((c) => [
      date(c.transferredAt),
      evidenceId(c.evidence),
      c.from,
      c.to,
      date(c.transferredAt),
      c.purpose,
    ]),
    tick('custody'),
  );

  const referralId = await ids('referral', plan.referrals.length);
  await copyRows(
    db,
    'referral',
    [
      'id',
      'created_at',
      'reference',
      'investigation_id',
      'agency_id',
      'status',
      'summary',
      'agency_case_reference',
      'decline_reason',
      'sent_at',
      'acknowledged_at',
      'first_action_at',
      'concluded_at',
      'closed_at',
      'version',
    ],
    plan.referrals.map((r, k) => [
      referralId(k),
      date(r.createdAt),
      r.reference,
      investigationId(r.investigation),
      market.agencyIds[r.agency],
      r.status,
      r.summary,
      r.agencyCaseReference,
      r.declineReason,
      date(r.sentAt),
      date(r.acknowledgedAt),
      date(r.firstActionAt),
      date(r.concludedAt),
      date(r.closedAt),
      r.version,
    ]),
    tick('referrals'),
  );

  const referralEvidence = await copyRows(
    db,
    'referral_evidence',
    ['referral_id', 'evidence_id'],
    (function* () {
      for (const [k, r] of plan.referrals.entries()) for (const e of r.evidence) yield [referralId(k), evidenceId(e)];
    })(),
    tick('referrals'),
  );

  const outcomeId = await ids('enforcement_outcome', plan.outcomes.length);
  await copyRows(
    db,
    'enforcement_outcome',
    [
      'id',
      'created_at',
      'referral_id',
      'kind',
      'occurred_at',
      'arrests',
      'dens_destroyed',
      'convictions',
      'seized_value_amount',
      'seized_value_currency',
      'fine_amount',
      'fine_currency',
      'notes',
    ],
    plan.outcomes.map((o, k) => [
      outcomeId(k),
      date(o.createdAt),
      referralId(o.referral),
      o.kind,
      date(o.occurredAt),
      o.arrests,
      o.densDestroyed,
      o.convictions,
      o.seizedAmount,
      o.seizedCurrency,
      o.fineAmount,
      o.fineCurrency,
      o.notes,
    ]),
    tick('outcomes'),
  );

  // The feed's seq is its identity, numbered in the order of the rows: the order the changes happened.
  await copyRows(
    db,
    'referral_change',
    ['at', 'referral_id', 'agency_id', 'kind', 'status', 'outcome_id'],
    plan.changes.map((c) => [
      date(c.at),
      referralId(c.referral),
      market.agencyIds[plan.referrals[c.referral].agency],
      c.kind,
      c.status,
      c.outcome === null ? null : outcomeId(c.outcome),
    ]),
    tick('referral changes'),
  );

  // References made later through the API continue after the highest number the seed used for the prefix.
  const highest = new Map<ReferencePrefix, number>();
  for (const [prefix, , value] of plan.counters)
    highest.set(prefix as ReferencePrefix, Math.max(highest.get(prefix as ReferencePrefix) ?? 0, value));
  for (const [prefix, value] of highest) {
    await db.query(`SELECT setval($1, greatest($2, (SELECT last_value FROM ${referenceSequence(prefix)})))`, [
      referenceSequence(prefix),
      value,
    ]);
  }
  tick('reference counters')(plan.counters.length);

  return {
    leads: plan.leads.length,
    leadBrands,
    leadSellers,
    leadListings,
    investigations: plan.investigations.length,
    findings: plan.findings.length,
    evidence: plan.evidence.length,
    custodyTransfers: plan.custody.length,
    referrals: plan.referrals.length,
    referralEvidence,
    enforcementOutcomes: plan.outcomes.length,
    referralChanges: plan.changes.length,
  };
}

/** Sorts `items` in place by key (stable) and returns, for each old index, the new one. */
function reorder<T>(items: T[], key: (item: T) => number): Int32Array {
  const indices = items.map((_, i) => i).sort((a, b) => key(items[a]) - key(items[b]) || a - b);
  const moved = new Int32Array(items.length);
  indices.forEach((old, position) => {
    moved[old] = position;
  });
  const copy = indices.map((old) => items[old]);
  copy.forEach((item, i) => {
    items[i] = item;
  });
  return moved;
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

function weighted<T>(random: Random, items: readonly [T, number][]): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let roll = random.next() * total;
  for (const [item, w] of items) {
    roll -= w;
    if (roll < 0) return item;
  }
  return items[items.length - 1][0];
}

/** Standard normal (Box-Muller). */
function normal(random: Random): number {
  const u = Math.max(random.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function leadDescription(source: string, brand: string, product: string, listings: number, sellers: number): string {
  const on = listings
    ? ` on ${listings} listing${listings > 1 ? 's' : ''} of ${sellers} shop${sellers > 1 ? 's' : ''}`
    : '';
  switch (source) {
    case 'BRAND_REPORT':
      return `${brand} reports counterfeit ${product}${on}.`;
    case 'PLATFORM_DETECTION':
      return `Automated detection: ${brand} ${product} far below retail price${on}.`;
    case 'TEST_PURCHASE':
      return `Test purchase of ${brand} ${product} confirmed counterfeit${on}.`;
    case 'TIP':
      return `Tip-off: a workshop supplying counterfeit ${brand} ${product}${on}.`;
    case 'AGENCY':
      return `Agency request about counterfeit ${brand} ${product}${on}.`;
    default:
      return `Shop linked to a sanctioned seller offers ${brand} ${product}${on}.`;
  }
}
