import { AgencyKind } from '../modules/agency/agency.entity.js';
import { EvidenceKind } from '../modules/evidence/evidence.entity.js';
import { FindingKind } from '../modules/investigation/investigation.states.js';
import { LeadCloseReason, LeadSource } from '../modules/lead/lead.states.js';
import { OutcomeKind } from '../modules/referral/referral.states.js';

/**
 * The weights and texts the case planners draw from (plan-*.ts), keyed by the domain's enums. Shape, at
 * scale 1 (linear in the scale, with a floor so that tiny demo datasets have one of each): about 4,500 leads
 * a year over two years, 95 % triaged, 28 % investigated, 10 % referred; in the last year about 550 referrals
 * sent, some 35 cases ending in conviction, 400 arrests, 45 dens destroyed and $115-125 million of goods
 * seized (DESIGN.md section 1: 4,495 leads, 33 convictions, 46 dens, 300+ arrests, $125 million). The first
 * year ramps up, since older cases have had no time to start.
 */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const SPAN_DAYS = 730;
export const LEADS_PER_YEAR = 4500;
export const MIN_LEADS = 40;
/** CNY per USD, for seized values and fines drawn in dollars and recorded in yuan. */
export const CNY_PER_USD = 7.2;
/** Median seized value of a seizing outcome, in US dollars; values are log-normal around it. */
export const SEIZURE_MEDIAN_USD = 260_000;

export type Weighted<T> = readonly (readonly [T, number])[];

export const SOURCES: Weighted<LeadSource> = [
  [LeadSource.BRAND_REPORT, 44],
  [LeadSource.PLATFORM_DETECTION, 36],
  [LeadSource.REPEAT_OFFENDER_MATCH, 7],
  [LeadSource.TEST_PURCHASE, 5],
  [LeadSource.TIP, 5],
  [LeadSource.AGENCY, 3],
];
export const TRIAGE_CLOSE_REASONS: Weighted<LeadCloseReason> = [
  [LeadCloseReason.RESOLVED_BY_TAKEDOWN, 45],
  [LeadCloseReason.INSUFFICIENT_EVIDENCE, 25],
  [LeadCloseReason.NOT_COUNTERFEIT, 15],
  [LeadCloseReason.DUPLICATE, 8],
  [LeadCloseReason.OTHER, 7],
];
export const TRIAGE_CLOSE_NOTES: Partial<Record<LeadCloseReason, string[]>> = {
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
export const INVESTIGATION_CLOSE_REASONS = [
  'No offline source identified.',
  'Sellers closed their shops; no further trace.',
  'Insufficient evidence for a referral.',
  "Source abroad, outside partner agencies' reach.",
  'Merged into another investigation.',
];
export const FINDING_REGIONS: Weighted<string> = [
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
export const CITIES: Record<string, string[]> = {
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
export const STREETS = [
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
export const REGION_AGENCIES: Record<string, Weighted<string>> = {
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
export const NATIONAL_AGENCIES: Weighted<string> = [['CNIPA', 100]];

/** How each kind of agency tends to respond: probabilities at each step, and its first action. */
export interface AgencyProfile {
  ack: number;
  declineAfterAck: number;
  action: number;
  prosecute: number;
  convict: number;
  firstAction: Weighted<OutcomeKind>;
  furtherAction: Weighted<OutcomeKind>;
}
export const PROFILES: Record<AgencyKind, AgencyProfile> = {
  PUBLIC_SECURITY: {
    ack: 0.9,
    declineAfterAck: 0.1,
    action: 0.7,
    prosecute: 0.22,
    convict: 0.85,
    firstAction: [
      [OutcomeKind.RAID, 85],
      [OutcomeKind.ARREST, 15],
    ],
    furtherAction: [
      [OutcomeKind.ARREST, 55],
      [OutcomeKind.SEIZURE, 30],
      [OutcomeKind.RAID, 15],
    ],
  },
  MARKET_REGULATION: {
    ack: 0.92,
    declineAfterAck: 0.08,
    action: 0.75,
    prosecute: 0.03,
    convict: 0.8,
    firstAction: [
      [OutcomeKind.SEIZURE, 45],
      [OutcomeKind.FINE, 35],
      [OutcomeKind.RAID, 20],
    ],
    furtherAction: [
      [OutcomeKind.FINE, 60],
      [OutcomeKind.SEIZURE, 40],
    ],
  },
  CUSTOMS: {
    ack: 0.9,
    declineAfterAck: 0.08,
    action: 0.75,
    prosecute: 0.06,
    convict: 0.8,
    firstAction: [
      [OutcomeKind.SEIZURE, 90],
      [OutcomeKind.FINE, 10],
    ],
    furtherAction: [[OutcomeKind.SEIZURE, 100]],
  },
  PROSECUTOR: {
    ack: 0.85,
    declineAfterAck: 0.15,
    action: 0.6,
    prosecute: 0.5,
    convict: 0.9,
    firstAction: [[OutcomeKind.ARREST, 100]],
    furtherAction: [[OutcomeKind.ARREST, 100]],
  },
  IP_OFFICE: {
    ack: 0.8,
    declineAfterAck: 0.2,
    action: 0.5,
    prosecute: 0,
    convict: 0,
    firstAction: [
      [OutcomeKind.FINE, 70],
      [OutcomeKind.SEIZURE, 30],
    ],
    furtherAction: [[OutcomeKind.FINE, 100]],
  },
  OTHER: {
    ack: 0.7,
    declineAfterAck: 0.2,
    action: 0.4,
    prosecute: 0,
    convict: 0,
    firstAction: [[OutcomeKind.SEIZURE, 100]],
    furtherAction: [[OutcomeKind.SEIZURE, 100]],
  },
};
export const DECLINE_REASONS = [
  'Outside our jurisdiction.',
  'Insufficient evidence of offline production.',
  'Already under investigation by another bureau.',
  'Value below the prosecution threshold.',
  'No actionable address.',
];
export const COLLECTORS = [
  'Test purchase unit, Hangzhou',
  'Test purchase unit, Guangzhou',
  'Investigator Chen Wei',
  'Investigator Li Na',
  'Investigator Zhang Min',
  'Investigator Wang Fang',
  'Data forensics team',
];
export const EVIDENCE_KINDS: Weighted<EvidenceKind> = [
  [EvidenceKind.SCREENSHOT, 30],
  [EvidenceKind.TEST_PURCHASE, 20],
  [EvidenceKind.TRANSACTION_RECORD, 18],
  [EvidenceKind.PHOTO, 15],
  [EvidenceKind.LAB_REPORT, 10],
  [EvidenceKind.DOCUMENT, 7],
];
export const EXTENSIONS: Record<EvidenceKind, string> = {
  SCREENSHOT: 'png',
  TEST_PURCHASE: 'json',
  TRANSACTION_RECORD: 'csv',
  PHOTO: 'jpg',
  LAB_REPORT: 'pdf',
  DOCUMENT: 'pdf',
};
export const EVIDENCE_DESCRIPTIONS: Record<EvidenceKind, string> = {
  SCREENSHOT: 'Screenshots of the listings and shop pages',
  TEST_PURCHASE: 'Goods bought in a test purchase',
  TRANSACTION_RECORD: 'Order and payment records',
  PHOTO: 'Photos of goods and packaging',
  LAB_REPORT: 'Brand authentication report',
  DOCUMENT: 'Shipping documents',
};
/** Where a lead's risk score starts, by source: test purchases and repeat offenders are surer bets. */
export const BASE_RISK: Record<LeadSource, number> = {
  BRAND_REPORT: 52,
  PLATFORM_DETECTION: 48,
  REPEAT_OFFENDER_MATCH: 66,
  TEST_PURCHASE: 68,
  TIP: 55,
  AGENCY: 62,
};
export const EVIDENCE_ROOMS = ['Evidence room, Hangzhou', 'Evidence room, Guangzhou'];

export const FINDING_KINDS: Weighted<FindingKind> = [
  [FindingKind.WORKSHOP, 35],
  [FindingKind.WAREHOUSE, 30],
  [FindingKind.FACTORY, 25],
  [FindingKind.RETAIL, 10],
];
