import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Same row-level security predicates, with fewer per-row calls of SECURITY DEFINER functions. Such a
 * function (SET search_path) cannot be inlined: PostgreSQL calls it once per row, at 10-50 µs a call.
 * Measured on a copy of the scale-1 bench seed as `eca_app`, EXPLAIN ANALYZE in a warm session, median of
 * 9, execution time: brand case list's sellers statement 5.1 → 1.9 ms; agency sync (PSB-ZJ-YW) sellers
 * 20.2 → 8.5 ms, evidence 15.0 → 6.2 ms, referrals 2.5 → 0.2 ms, leads 4.8 → 1.3 ms, investigations
 * 3.5 → 1.3 ms; custody transfers of its evidence 22.6 → 9.1 ms; a brand's count of sellers 1,089 → 58 ms.
 * Planning takes longer, since the subqueries are planned with every statement in every scope, internal
 * ones too: +0.6-1 ms for a statement that reads seller (an analyst's seller lookup by id 0.05 → 0.65 ms
 * in all), +0.3-0.5 ms for one that reads evidence or custody_transfer. Prepared statements reuse plans.
 *
 * A subquery in a policy is itself subject to the policies of the tables it reads (as the current user),
 * so each inlined branch below reads only tables whose policy cannot recurse back and, in that scope,
 * lets through every row the branch asks for (the meaning is unchanged):
 * - seller, BRAND: listing (its policy in brand scope is `brand_id = eca_brand()`, which the subquery
 *   asks for anyway), lead_seller and lead_brand (no policy). Same two EXISTS as eca_seller_visible.
 * - seller, AGENCY: lead_seller inline; "this lead is behind a referral sent to the agency" stays the
 *   flattened function eca_lead_referred_to. Inlining that part reads lead and referral, whose policies
 *   are then planned inside the seller policy of every statement in every scope: +1.5-2 ms of planning
 *   for any statement reading seller (a brand's or an analyst's too), for no measurable gain in an
 *   agency's execution over this form (the sync's sellers statement ran in 5-6 ms either way).
 * - referral, AGENCY: its own columns (what eca_referral_visible read back by id). BRAND keeps
 *   eca_referral_visible: inlined it would read lead, whose policy would then be planned into every
 *   statement reading referral (the agency's included), and lead's policy could never read referral
 *   inline (lead → referral → lead: "infinite recursion detected in policy").
 * - evidence and custody_transfer, AGENCY: referral_evidence (no policy) and referral (its AGENCY branch
 *   is the same test on its own columns). Other scopes see none, as eca_evidence_visible answers.
 * The lead and investigation policies are left as they were: inlining their AGENCY branch saved 0.6-1 ms
 * of an agency statement's execution and added 0.2-0.4 ms of planning to every statement that reads lead
 * or investigation, in every scope: not clearly a gain.
 *
 * The functions stay: eca_other_brand_case_counts (CrossBrandSignal) calls eca_seller_visible, other
 * policies and functions call eca_referral_visible, eca_evidence_visible and eca_lead_referred_to.
 * CASE on eca_scope() rather than a chain of OR: the scope is read once per row, and the planner estimates
 * a CASE at half the rows, about what it assumed of `eca_scope() = 'ALL' OR <function>`; an OR of scope
 * tests is estimated at under 1% (written so for referral, the agency's investigations statement got a
 * plan that walked a whole index per row).
 */
/** Evidence `evidenceId` is disclosed by a sent referral to the caller's agency. */
const disclosedToAgency = (evidenceId: string) => `EXISTS (SELECT 1 FROM referral_evidence re JOIN referral r ON r.id = re.referral_id
                                 WHERE re.evidence_id = ${evidenceId} AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')`;

const INLINED: Record<string, { up: string; down: string }> = {
  seller: {
    up: `CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM listing l WHERE l.seller_id = seller.id AND l.brand_id = eca_brand())
                     OR EXISTS (SELECT 1 FROM lead_seller ls JOIN lead_brand lb ON lb.lead_id = ls.lead_id
                                WHERE ls.seller_id = seller.id AND lb.brand_id = eca_brand())
      WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = seller.id AND eca_lead_referred_to(ls.lead_id, eca_agency()))
      ELSE false END`,
    down: `eca_scope() = 'ALL' OR eca_seller_visible(id)`,
  },
  referral: {
    up: `CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'BRAND' THEN eca_referral_visible(id)
      WHEN 'AGENCY' THEN status <> 'DRAFT' AND agency_id = eca_agency()
      ELSE false END`,
    down: `eca_scope() = 'ALL' OR eca_referral_visible(id)`,
  },
  evidence: {
    up: `CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'AGENCY' THEN ${disclosedToAgency('evidence.id')}
      ELSE false END`,
    down: `eca_scope() = 'ALL' OR eca_evidence_visible(id)`,
  },
  custody_transfer: {
    up: `CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'AGENCY' THEN ${disclosedToAgency('custody_transfer.evidence_id')}
      ELSE false END`,
    down: `eca_scope() = 'ALL' OR eca_evidence_visible(evidence_id)`,
  },
};

export class RowLevelSecurityInlineSeller1763910000000 implements MigrationInterface {
  name = 'RowLevelSecurityInlineSeller1763910000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, { up }] of Object.entries(INLINED)) await q.query(`ALTER POLICY scope ON ${table} USING (${up})`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, { down }] of Object.entries(INLINED)) await q.query(`ALTER POLICY scope ON ${table} USING (${down})`);
  }
}
