import { createHash } from 'node:crypto';
import { EvidenceKind } from '../modules/evidence/evidence.entity.js';
import { InvestigationStatus } from '../modules/investigation/investigation.states.js';
import { LeadStatus } from '../modules/lead/lead.states.js';
import { ReferralStatus } from '../modules/referral/referral.states.js';
import { Changed, lastOf } from './case-plan.js';
import { CasePlanner } from './case-planner.js';
import {
  CITIES,
  COLLECTORS,
  DAY,
  EVIDENCE_DESCRIPTIONS,
  EVIDENCE_KINDS,
  EVIDENCE_ROOMS,
  EXTENSIONS,
  FINDING_KINDS,
  FINDING_REGIONS,
  HOUR,
  INVESTIGATION_CLOSE_REASONS,
  NATIONAL_AGENCIES,
  REGION_AGENCIES,
  STREETS,
  Weighted,
} from './case-tables.js';
import { addReferral, closeCaseAfterVerdicts, Forced, sendReferral, simulateReferral } from './plan-referrals.js';

/**
 * Investigations (openInvestigation): one or a few triaged leads of the same brand whose investigations would
 * open close together, each then run forwards in time: findings, evidence and custody, then a referral or
 * a closing.
 */
export function planInvestigations(planner: CasePlanner): void {
  const { plan, now } = planner;
  const groups = groupLeads(planner);
  const opened = groups.map((group) => Math.max(...group.map((l) => plan.leads[l].openAt!)));
  const order = groups.map((_, i) => i).sort((a, b) => opened[a] - opened[b] || groups[a][0] - groups[b][0]);

  // A few cases follow a set path, so that even the demo dataset has one of each: the oldest ones run to
  // their end (one to a conviction by the Yiwu PSB), two recent ones wait for the agency or for sending.
  const forced = new Map<number, Forced>();
  const set: Forced[] = [
    { agency: 'PSB-ZJ-YW', path: 'CONVICT' },
    { agency: 'AMR-GD', path: 'ACTION' },
    { agency: 'GACC-SH', path: 'DECLINE' },
    { agency: 'PSB-FJ-PT', path: 'ACK' },
  ];
  set.forEach((f, k) => {
    if (k < order.length) forced.set(k, f);
  });
  const recent = order.map((_, k) => k).filter((k) => opened[order[k]] <= now - 40 * DAY && !forced.has(k));
  if (recent.length > 0) forced.set(recent[recent.length - 1], { agency: 'PSB-ZJ-YW', path: 'SENT' });
  if (recent.length > 1) forced.set(recent[recent.length - 2], { agency: 'PSB-GD-SZ', path: 'DRAFT' });

  order.forEach((g, k) => {
    const group = groups[g].sort((a, b) => a - b);
    const index = openInvestigation(planner, group, opened[g]);
    simulateInvestigation(
      planner,
      index,
      forced.get(k) ?? null,
      Math.max(...group.map((l) => plan.leads[l].riskScore)),
    );
  });
}

const GROUP_SIZES: Weighted<number> = [
  [1, 72],
  [2, 18],
  [3, 6],
  [5, 4],
];

/** The leads due for an investigation, per brand, in groups whose openings fall within 30 days. */
function groupLeads(planner: CasePlanner): number[][] {
  const { plan, market } = planner;
  const candidates: number[][] = market.brandIds.map(() => []);
  plan.leads.forEach((lead, i) => {
    if (lead.openAt !== null) candidates[lead.brands[0]].push(i);
  });
  const groups: number[][] = [];
  for (const list of candidates) {
    list.sort((a, b) => plan.leads[a].openAt! - plan.leads[b].openAt! || a - b);
    for (let i = 0; i < list.length;) {
      const size = planner.weighted(GROUP_SIZES);
      const group = [list[i]];
      const first = plan.leads[list[i]].openAt!;
      i += 1;
      while (group.length < size && i < list.length && plan.leads[list[i]].openAt! <= first + 30 * DAY)
        group.push(list[i++]);
      groups.push(group);
    }
  }
  return groups;
}

/** openInvestigation: the investigation OPEN, then its leads INVESTIGATING, in id order. */
function openInvestigation(planner: CasePlanner, leads: number[], createdAt: number): number {
  const { plan, market, random } = planner;
  const index = plan.investigations.length;
  const lead0 = plan.leads[leads[0]];
  const shops = new Set(leads.flatMap((l) => plan.leads[l].sellers)).size;
  plan.investigations.push({
    createdAt,
    reference: '',
    statuses: [InvestigationStatus.OPEN],
    leads,
    closeReason: null,
    closedAt: null,
    closedByVerdictOf: null,
    summary: `Counterfeit ${market.brandNames[lead0.brands[0]]} ${lead0.product}: ${leads.length} lead${leads.length > 1 ? 's' : ''}, ${shops} shop(s)`,
    internalNotes: random.chance(0.4)
      ? random.pick([
          'Coordinate with brand legal.',
          'Suspected supplier to several shops.',
          'Check logistics records.',
          'Sensitive: large network.',
        ])
      : null,
  });
  planner.record(createdAt, Changed.INVESTIGATION, index, 1);
  for (const l of leads) {
    planner.moveLead(l, LeadStatus.INVESTIGATING, createdAt);
    plan.leads[l].investigation = index;
  }
  return index;
}

function simulateInvestigation(planner: CasePlanner, index: number, forcedPath: Forced | null, risk: number) {
  const { plan, market, random } = planner;
  const investigation = plan.investigations[index];
  const t0 = investigation.createdAt;
  const fast = forcedPath !== null;
  const refer = forcedPath ? true : random.chance(risk >= 70 ? 0.5 : 0.33);
  const firstEvidenceAt = fast ? t0 + DAY : planner.after(t0, 1, 20);
  const withEvidence = refer || random.chance(0.9);
  // The end of internal work: ready for referral, or closed without one.
  const endAt = refer
    ? fast
      ? firstEvidenceAt + 8 * DAY
      : planner.after(firstEvidenceAt, 20, 120)
    : planner.afterSkewed(withEvidence ? firstEvidenceAt : t0, 20, 240);
  const region = forcedPath
    ? market.agencies[planner.agencyIndex.get(forcedPath.agency)!].jurisdiction
    : planner.weighted(FINDING_REGIONS);

  planFindings(planner, index, region, refer, endAt);
  const evidence = planEvidence(planner, index, withEvidence ? (refer ? random.int(3, 9) : random.int(1, 5)) : 0, {
    firstEvidenceAt,
    endAt,
  });

  if (!refer) {
    if (planner.upTo(endAt)) {
      const reason = withEvidence ? random.pick(INVESTIGATION_CLOSE_REASONS) : 'No offline source identified.';
      planner.closeInvestigation(index, endAt, reason);
    }
    return;
  }
  if (!planner.upTo(endAt)) return;
  planner.moveInvestigation(index, InvestigationStatus.READY_FOR_REFERRAL, endAt);

  const agencyCode = forcedPath?.agency ?? planner.weighted(REGION_AGENCIES[region] ?? NATIONAL_AGENCIES);
  const createdAt = fast ? endAt + HOUR : planner.after(endAt, 0, 5);
  if (!planner.upTo(createdAt)) return;
  const disclosed = evidence.filter(
    (e) =>
      plan.evidence[e].createdAt < createdAt &&
      (plan.evidence[e].kind !== EvidenceKind.SCREENSHOT || random.chance(0.8)),
  );
  if (disclosed.length === 0) disclosed.push(evidence[0]);
  const first = addReferral(planner, index, planner.agencyIndex.get(agencyCode)!, createdAt, disclosed);
  const sentAt =
    forcedPath?.path === 'DRAFT' ? Infinity : fast ? createdAt + HOUR : createdAt + Math.floor(random.next() * 7 * DAY);
  if (!planner.upTo(sentAt)) return;
  sendReferral(planner, first, sentAt);
  const referrals = [first];
  simulateReferral(planner, first, forcedPath?.path ?? null);

  // Sometimes a second agency gets the case too (a bureau and the market regulator, or customs); not once a
  // verdict on the first has closed the case.
  if (!fast && random.chance(0.15)) {
    const options = (REGION_AGENCIES[region] ?? NATIONAL_AGENCIES).filter(([code]) => code !== agencyCode);
    const secondCode = options.length ? planner.weighted(options) : agencyCode === 'CNIPA' ? null : 'CNIPA';
    const secondAt = planner.after(sentAt, 2, 60);
    if (secondCode && planner.upTo(secondAt) && !closedByVerdictBefore(planner, first, secondAt)) {
      const second = addReferral(
        planner,
        index,
        planner.agencyIndex.get(secondCode)!,
        secondAt,
        evidence.filter((e) => plan.evidence[e].createdAt < secondAt),
      );
      const secondSentAt = secondAt + Math.floor(random.next() * 5 * DAY);
      if (planner.upTo(secondSentAt)) {
        sendReferral(planner, second, secondSentAt);
        simulateReferral(planner, second, null);
      }
      referrals.push(second);
    }
  }

  // A verdict's referral closed with none other under way ends the case (closeReferral's cascade); when
  // every referral is closed otherwise (declined), an investigator closes the investigation.
  if (closeCaseAfterVerdicts(planner, index, referrals)) return;
  if (referrals.every((r) => lastOf(plan.referrals[r].statuses) === ReferralStatus.CLOSED)) {
    const closedAt = planner.after(Math.max(...referrals.map((r) => plan.referrals[r].closedAt!)), 1, 14);
    if (planner.upTo(closedAt)) planner.closeInvestigation(index, closedAt, 'Referrals concluded.');
  }
}

/** Whether a referral was closed after its verdict before `t`: its investigation was closed then. */
function closedByVerdictBefore(planner: CasePlanner, referral: number, t: number): boolean {
  const r = planner.plan.referrals[referral];
  const n = r.statuses.length;
  return (
    r.closedAt !== null &&
    r.closedAt < t &&
    n >= 2 &&
    [ReferralStatus.CONVICTED, ReferralStatus.ACQUITTED].includes(r.statuses[n - 2])
  );
}

/** Findings (recordFinding): where the goods come from; the first one decides which agency gets the case. */
function planFindings(planner: CasePlanner, investigation: number, region: string, refer: boolean, endAt: number) {
  const { plan, random } = planner;
  const t0 = plan.investigations[investigation].createdAt;
  const findingCount = refer ? random.int(1, 3) : random.chance(0.4) ? 1 : 0;
  for (let k = 0; k < findingCount; k += 1) {
    const at = t0 + Math.floor(random.next() * (endAt - t0));
    if (!planner.upTo(at)) continue;
    const findingRegion = k === 0 ? region : random.chance(0.7) ? region : planner.weighted(FINDING_REGIONS);
    plan.findings.push({
      createdAt: at,
      investigation,
      kind: planner.weighted(FINDING_KINDS),
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
    planner.record(at, Changed.FINDING, plan.findings.length - 1, 1);
  }
}

/**
 * Evidence (addEvidence), collected between the first item and the end of internal work; the first item
 * moves the investigation to EVIDENCE_GATHERING. Answers the items in the order they were added.
 */
function planEvidence(
  planner: CasePlanner,
  investigation: number,
  count: number,
  { firstEvidenceAt, endAt }: { firstEvidenceAt: number; endAt: number },
): number[] {
  const { plan, random } = planner;
  const evidence: number[] = [];
  const span = Math.max(HOUR, endAt - firstEvidenceAt - 3 * DAY);
  for (let k = 0; k < count; k += 1) {
    const collectedAt = k === 0 ? firstEvidenceAt : firstEvidenceAt + Math.floor(random.next() * span);
    const createdAt = collectedAt + Math.floor(random.next() * 2 * DAY);
    if (!planner.upTo(createdAt)) continue;
    evidence.push(addEvidence(planner, investigation, k, collectedAt, createdAt));
  }
  evidence.sort((a, b) => plan.evidence[a].createdAt - plan.evidence[b].createdAt);
  if (evidence.length > 0)
    planner.moveInvestigation(
      investigation,
      InvestigationStatus.EVIDENCE_GATHERING,
      plan.evidence[evidence[0]].createdAt,
    );
  return evidence;
}

function addEvidence(planner: CasePlanner, investigation: number, k: number, collectedAt: number, createdAt: number) {
  const { plan, random } = planner;
  const kind = k === 0 ? EvidenceKind.SCREENSHOT : planner.weighted(EVIDENCE_KINDS);
  const collectedBy =
    kind === EvidenceKind.SCREENSHOT || kind === EvidenceKind.TRANSACTION_RECORD
      ? 'Data forensics team'
      : random.pick(COLLECTORS);
  const index = plan.evidence.length;
  const item = {
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
  planner.record(createdAt, Changed.EVIDENCE, index, 1);
  if (kind === EvidenceKind.TEST_PURCHASE) {
    // Physical goods go to the brand's lab for authentication and back to the evidence room.
    const room = random.pick(EVIDENCE_ROOMS);
    planner.transferCustody(index, 'Brand authentication lab', planner.after(createdAt, 0.1, 3), 'Authentication');
    planner.transferCustody(index, room, planner.after(item.lastMovedAt, 2, 15), 'Storage after authentication');
  } else if (kind !== EvidenceKind.SCREENSHOT && kind !== EvidenceKind.TRANSACTION_RECORD && random.chance(0.3)) {
    planner.transferCustody(index, random.pick(EVIDENCE_ROOMS), planner.after(createdAt, 0.1, 5), 'Archiving');
  }
  return index;
}
