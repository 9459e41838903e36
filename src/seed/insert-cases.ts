import { EntityManager } from 'typeorm';
import { ReferencePrefix, referenceSequence } from '../shared/reference.js';
import { CaseCounts, CasePlan, lastOf, Marketplace, storageKey } from './case-plan.js';
import { copyRows, reserveIds } from './copy.js';

/** The ids the planned rows were given, by their index in the plan (for the audit events that name them). */
export interface CaseIds {
  lead: (index: number) => number;
  investigation: (index: number) => number;
  finding: (index: number) => number;
  evidence: (index: number) => number;
  custody: (index: number) => number;
  referral: (index: number) => number;
  outcome: (index: number) => number;
  escalation: (index: number) => number;
  feedback: (index: number) => number;
}

/** Writes a planned case history, parents first, each table by COPY with ids taken beforehand. */
export async function insertCases(
  db: EntityManager,
  plan: CasePlan,
  market: Marketplace,
  tick: (stage: string) => (n: number) => void,
): Promise<{ counts: CaseCounts; ids: CaseIds }> {
  const date = (t: number | null) => (t === null ? null : new Date(t));
  const reserve = async (table: string, count: number) => {
    const first = await reserveIds(db, table, count);
    return (index: number) => first + index;
  };

  const investigationId = await reserve('investigation', plan.investigations.length);
  await copyRows(
    db,
    'investigation',
    ['id', 'created_at', 'reference', 'status', 'summary', 'internal_notes', 'close_reason', 'closed_at', 'version'],
    plan.investigations.map((i, k) => [
      investigationId(k),
      date(i.createdAt),
      i.reference,
      lastOf(i.statuses),
      i.summary,
      i.internalNotes,
      i.closeReason,
      date(i.closedAt),
      i.statuses.length,
    ]),
    tick('investigations'),
  );

  const leadId = await reserve('lead', plan.leads.length);
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
      lastOf(l.statuses),
      l.closeReason,
      l.closeNote,
      l.internalNotes,
      l.investigation === null ? null : investigationId(l.investigation),
      date(l.triagedAt),
      date(l.closedAt),
      l.statuses.length,
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

  const findingId = await reserve('finding', plan.findings.length);
  // Counterfeit operations come back to the same places: every fourth finding (by id) is at the address of the
  // first finding of its kind in its region (features.ts registers each address once, as premises).
  const firstAddress = new Map<string, string>();
  plan.findings.forEach((f, k) => {
    const first = firstAddress.get(`${f.region}|${f.kind}`);
    if (first === undefined) firstAddress.set(`${f.region}|${f.kind}`, f.address);
    else if (findingId(k) % 4 === 0) f.address = first;
  });
  await copyRows(
    db,
    'finding',
    ['id', 'created_at', 'investigation_id', 'kind', 'region', 'address', 'notes'],
    plan.findings.map((f, k) => [
      findingId(k),
      date(f.createdAt),
      investigationId(f.investigation),
      f.kind,
      f.region,
      f.address,
      f.notes,
    ]),
    tick('findings'),
  );

  const evidenceId = await reserve('evidence', plan.evidence.length);
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
      storageKey(plan.investigations[e.investigation].reference, e.sha256, e.extension),
      e.collectedBy,
      date(e.collectedAt),
      e.custodian,
      e.version,
    ]),
    tick('evidence'),
  );

  const custodyId = await reserve('custody_transfer', plan.custody.length);
  await copyRows(
    db,
    'custody_transfer',
    ['id', 'created_at', 'evidence_id', 'from_custodian', 'to_custodian', 'transferred_at', 'purpose'],
    plan.custody.map((c, k) => [
      custodyId(k),
      date(c.transferredAt),
      evidenceId(c.evidence),
      c.from,
      c.to,
      date(c.transferredAt),
      c.purpose,
    ]),
    tick('custody'),
  );

  const referralId = await reserve('referral', plan.referrals.length);
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
      'acknowledge_by',
      'action_by',
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
      lastOf(r.statuses),
      r.summary,
      r.agencyCaseReference,
      r.declineReason,
      date(r.sentAt),
      date(r.acknowledgeBy),
      date(r.actionBy),
      date(r.acknowledgedAt),
      date(r.firstActionAt),
      date(r.concludedAt),
      date(r.closedAt),
      r.statuses.length,
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

  const outcomeId = await reserve('enforcement_outcome', plan.outcomes.length);
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

  const escalationId = await reserve('referral_escalation', plan.escalations.length);
  await copyRows(
    db,
    'referral_escalation',
    ['id', 'created_at', 'referral_id', 'investigation_id', 'escalated_to', 'reason', 'missed_deadline'],
    plan.escalations.map((e, k) => [
      escalationId(k),
      date(e.createdAt),
      referralId(e.referral),
      investigationId(plan.referrals[e.referral].investigation),
      e.escalatedTo,
      e.reason,
      e.missedDeadline,
    ]),
    tick('escalations'),
  );
  const feedbackId = await reserve('referral_feedback', plan.feedback.length);
  await copyRows(
    db,
    'referral_feedback',
    ['id', 'created_at', 'referral_id', 'investigation_id', 'message'],
    plan.feedback.map((f, k) => [
      feedbackId(k),
      date(f.createdAt),
      referralId(f.referral),
      investigationId(plan.referrals[f.referral].investigation),
      f.message,
    ]),
    tick('feedback'),
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

  const counts = {
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
    escalations: plan.escalations.length,
    feedback: plan.feedback.length,
  };
  const ids: CaseIds = {
    lead: leadId,
    investigation: investigationId,
    finding: findingId,
    evidence: evidenceId,
    custody: custodyId,
    referral: referralId,
    outcome: outcomeId,
    escalation: escalationId,
    feedback: feedbackId,
  };
  return { counts, ids };
}
