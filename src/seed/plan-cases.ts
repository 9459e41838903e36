import { CasePlan, Changed, Marketplace } from './case-plan.js';
import { CasePlanner } from './case-planner.js';
import { planFollowUps } from './plan-follow-ups.js';
import { planInvestigations } from './plan-investigations.js';
import { planLeads, planTriage } from './plan-leads.js';
import { verdictOf } from './plan-referrals.js';
import { Random } from './random.js';

/**
 * The case lifecycle of the generated dataset: leads, investigations (findings, evidence and custody),
 * referrals (disclosed evidence, outcomes, the agencies' change feed) and the reference counters.
 *
 * Every case is simulated forwards in time from its lead's creation, through the lifecycles the API
 * enforces (the domain's state machines, `*.states.ts`: a move they refuse fails the seed), with delays
 * drawn per step; a step that would fall after "now" does not happen, so recent cases are still open and
 * old ones have run their course, as in a live system. Statuses, timestamps, versions, the feed and the
 * audit events (case-audit.ts) are what the API would have written had the cases been driven through it.
 *
 * Plans the whole case history in memory; `insertCases` and `writeCaseAudit` write it. Deterministic for a
 * given seed and now.
 */
export function planCases(random: Random, market: Marketplace, scale: number, now: number): CasePlan {
  const planner = new CasePlanner(random, market, now);
  planLeads(planner, scale);
  planTriage(planner);
  planInvestigations(planner);
  const plan = planner.plan;
  numberInCreationOrder(plan);
  giveReferences(plan);
  planFollowUps(plan, market, now);
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
    plan.escalations.length +
    plan.feedback.length +
    plan.counters.length +
    plan.history.length;
  return plan;
}

/** Rows in time order (ids follow creation, as they would have through the API), every reference to them renumbered. */
function numberInCreationOrder(plan: CasePlan): void {
  const { history } = plan;
  const investigationOrder = reorder(plan.investigations, (i) => i.createdAt);
  history.renumber(Changed.INVESTIGATION, investigationOrder);
  for (const lead of plan.leads)
    if (lead.investigation !== null) lead.investigation = investigationOrder[lead.investigation];
  const evidenceOrder = reorder(plan.evidence, (e) => e.createdAt);
  history.renumber(Changed.EVIDENCE, evidenceOrder);
  for (const e of plan.evidence) e.investigation = investigationOrder[e.investigation];
  for (const f of plan.findings) f.investigation = investigationOrder[f.investigation];
  history.renumber(
    Changed.FINDING,
    reorder(plan.findings, (f) => f.createdAt),
  );
  for (const c of plan.custody) c.evidence = evidenceOrder[c.evidence];
  history.renumber(
    Changed.CUSTODY,
    reorder(plan.custody, (c) => c.transferredAt),
  );
  const referralOrder = reorder(plan.referrals, (r) => r.createdAt);
  history.renumber(Changed.REFERRAL, referralOrder);
  for (const i of plan.investigations)
    if (i.closedByVerdictOf !== null) i.closedByVerdictOf = referralOrder[i.closedByVerdictOf];
  for (const r of plan.referrals) {
    r.investigation = investigationOrder[r.investigation];
    r.evidence = r.evidence.map((e) => evidenceOrder[e]).sort((a, b) => a - b);
  }
  const outcomeOrder = reorder(plan.outcomes, (o) => o.createdAt);
  history.renumber(Changed.OUTCOME, outcomeOrder);
  for (const o of plan.outcomes) o.referral = referralOrder[o.referral];
  for (const c of plan.changes) {
    c.referral = referralOrder[c.referral];
    if (c.outcome !== null) c.outcome = outcomeOrder[c.outcome];
  }
  // The feed's sequence is commit order: changes are numbered in the order they happened.
  plan.changes.sort((a, b) => a.at - b.at || a.order - b.order);
}

/**
 * References (LD-2026-000123) numbered per prefix and year in creation order; then the reasons that name
 * them: an investigation closed by a verdict names the verdicts of its referrals (closeCaseAfterVerdict).
 */
function giveReferences(plan: CasePlan): void {
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

  const referralsOf = new Map<number, number[]>();
  plan.referrals.forEach((r, k) => referralsOf.set(r.investigation, [...(referralsOf.get(r.investigation) ?? []), k]));
  plan.investigations.forEach((investigation, k) => {
    if (investigation.closedByVerdictOf === null) return;
    const closing = plan.referrals[investigation.closedByVerdictOf];
    const verdicts = [`${closing.reference} ${verdictOf(closing.statuses)}`];
    for (const other of referralsOf.get(k) ?? []) {
      if (other === investigation.closedByVerdictOf) continue;
      const verdict = plan.referrals[other].statuses.find((s) => s === 'CONVICTED' || s === 'ACQUITTED');
      if (verdict) verdicts.push(`${plan.referrals[other].reference} ${verdict}`);
    }
    const reason = `${verdicts.length > 1 ? 'Verdicts' : 'Verdict'}: ${verdicts.join(', ')}`;
    investigation.closeReason = reason;
    for (const l of investigation.leads)
      if (plan.leads[l].closedAt === investigation.closedAt) plan.leads[l].closeNote = reason;
  });
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
