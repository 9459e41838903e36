import { Scope } from '../auth/scope.js';

/**
 * The one place that says which rows of a table a caller may read. Every read of the application goes
 * through `scopedQuery` (scoped-query.ts), which adds the predicate below, so a root list, `node(id)`,
 * a nested field, a filter's subquery and an analytics figure all see the same rows. A row outside the
 * predicate behaves exactly like a row that does not exist.
 *
 * A rule returns an SQL predicate over the row alias `a`, or null for "no restriction". Parameters are
 * named :scopeBrandId / :scopeAgencyId / :scopePrincipalId. Internal roles (scope ALL) see all case data.
 */
type Rule = (scope: Scope, a: string) => string | null;

const NOTHING = 'FALSE';

// Case data reaches an agency only through referrals sent to it (never drafts).
const sentToAgency = (r: string) => `${r}.agency_id = :scopeAgencyId AND ${r}.status <> 'DRAFT'`;
const investigationReferredToAgency = (investigationId: string, a: string) =>
  `EXISTS (SELECT 1 FROM referral ${a}_r WHERE ${a}_r.investigation_id = ${investigationId} AND ${sentToAgency(`${a}_r`)})`;
const leadBehindAgencyReferral = (leadId: string, a: string) =>
  `EXISTS (SELECT 1 FROM lead ${a}_l JOIN referral ${a}_r ON ${a}_r.investigation_id = ${a}_l.investigation_id
           WHERE ${a}_l.id = ${leadId} AND ${sentToAgency(`${a}_r`)})`;

// Case data reaches a brand through the leads that name it.
const leadNamesBrand = (leadId: string, a: string) =>
  `EXISTS (SELECT 1 FROM lead_brand ${a}_lb WHERE ${brandLeadLink(`${a}_lb`, leadId)})`;

/**
 * The BRAND rule of `lead` as a join condition: the caller's brand's `lead_brand` row of lead `leadId`
 * (at most one: (lead_id, brand_id) is its key). Used by scopedBrandLeads (scoped-query.ts).
 */
export const brandLeadLink = (link: string, leadId: string) =>
  `${link}.lead_id = ${leadId} AND ${link}.brand_id = :scopeBrandId`;
const investigationOfBrand = (investigationId: string, a: string) =>
  `EXISTS (SELECT 1 FROM lead ${a}_l JOIN lead_brand ${a}_lb ON ${a}_lb.lead_id = ${a}_l.id
           WHERE ${a}_l.investigation_id = ${investigationId} AND ${a}_lb.brand_id = :scopeBrandId)`;
const referralRule: Rule = (s, a) =>
  s.kind === 'BRAND'
    ? `${a}.status <> 'DRAFT' AND ${investigationOfBrand(`${a}.investigation_id`, a)}`
    : s.kind === 'AGENCY'
      ? sentToAgency(a)
      : null;
const internalOnly: Rule = (s) => (s.kind === 'ALL' ? null : NOTHING);
const on = (rule: Rule, s: Scope, table: string, a: string, link: string) => {
  const predicate = rule(s, `${a}_p`);
  return predicate === null
    ? null
    : `EXISTS (SELECT 1 FROM ${table} ${a}_p WHERE ${a}_p.id = ${link} AND ${predicate})`;
};

const rules: Record<string, Rule> = {
  brand: (s, a) =>
    s.kind === 'BRAND'
      ? `${a}.id = :scopeBrandId`
      : s.kind === 'AGENCY'
        ? `EXISTS (SELECT 1 FROM lead_brand ${a}_lb WHERE ${a}_lb.brand_id = ${a}.id AND ${leadBehindAgencyReferral(`${a}_lb.lead_id`, a)})`
        : null,
  trademark: (s, a) => on(rules.brand, s, 'brand', a, `${a}.brand_id`),
  // Agencies are public bodies: every caller may list them.
  agency: () => null,
  seller: (s, a) =>
    s.kind === 'BRAND'
      ? `(EXISTS (SELECT 1 FROM listing ${a}_bl WHERE ${a}_bl.seller_id = ${a}.id AND ${a}_bl.brand_id = :scopeBrandId)
          OR EXISTS (SELECT 1 FROM lead_seller ${a}_ls WHERE ${a}_ls.seller_id = ${a}.id AND ${leadNamesBrand(`${a}_ls.lead_id`, a)}))`
      : s.kind === 'AGENCY'
        ? `EXISTS (SELECT 1 FROM lead_seller ${a}_ls WHERE ${a}_ls.seller_id = ${a}.id AND ${leadBehindAgencyReferral(`${a}_ls.lead_id`, a)})`
        : null,
  // Identifiers link sellers into networks: internal only, and so are the repeat-offender matches they raise.
  seller_identifier: internalOnly,
  repeat_offender_match: internalOnly,
  listing: (s, a) =>
    s.kind === 'BRAND'
      ? `${a}.brand_id = :scopeBrandId`
      : s.kind === 'AGENCY'
        ? `EXISTS (SELECT 1 FROM lead_listing ${a}_ll WHERE ${a}_ll.listing_id = ${a}.id AND ${leadBehindAgencyReferral(`${a}_ll.lead_id`, a)})`
        : null,
  lead: (s, a) =>
    s.kind === 'BRAND'
      ? leadNamesBrand(`${a}.id`, a)
      : s.kind === 'AGENCY'
        ? `${a}.investigation_id IS NOT NULL AND ${investigationReferredToAgency(`${a}.investigation_id`, a)}`
        : null,
  investigation: (s, a) =>
    s.kind === 'BRAND'
      ? investigationOfBrand(`${a}.id`, a)
      : s.kind === 'AGENCY'
        ? investigationReferredToAgency(`${a}.id`, a)
        : null,
  // Offline findings (addresses of factories and warehouses) go to the agencies that must act on them.
  finding: (s, a) =>
    s.kind === 'AGENCY' ? investigationReferredToAgency(`${a}.investigation_id`, a) : internalOnly(s, a),
  referral: referralRule,
  enforcement_outcome: (s, a) => on(referralRule, s, 'referral', a, `${a}.referral_id`),
  referral_change: (s, a) => on(referralRule, s, 'referral', a, `${a}.referral_id`),
  // A joint operation: to whoever may see one of its outcomes (its name and agreed value are shared facts of it).
  joint_operation: (s, a) =>
    s.kind === 'ALL'
      ? null
      : `EXISTS (SELECT 1 FROM enforcement_outcome ${a}_o JOIN referral ${a}_r ON ${a}_r.id = ${a}_o.referral_id
               WHERE ${a}_o.operation_id = ${a}.id AND ${referralRule(s, `${a}_r`)})`,
  // Escalations and the agency's feedback: internal, and the agency the referral was sent to.
  referral_escalation: (s, a) =>
    s.kind === 'AGENCY' ? on(referralRule, s, 'referral', a, `${a}.referral_id`) : internalOnly(s, a),
  referral_feedback: (s, a) =>
    s.kind === 'AGENCY' ? on(referralRule, s, 'referral', a, `${a}.referral_id`) : internalOnly(s, a),
  // Evidence: internal, and an agency sees what was disclosed on a referral sent to it.
  evidence: (s, a) =>
    s.kind === 'AGENCY'
      ? `EXISTS (SELECT 1 FROM referral_evidence ${a}_re JOIN referral ${a}_r ON ${a}_r.id = ${a}_re.referral_id
                 WHERE ${a}_re.evidence_id = ${a}.id AND ${sentToAgency(`${a}_r`)})`
      : internalOnly(s, a),
  custody_transfer: (s, a) => on(rules.evidence, s, 'evidence', a, `${a}.evidence_id`),
  // Premises (offline places): internal, and an agency whose referrals name them, through a finding of an
  // investigation referred to it or an outcome of its own referral. Brand partners see only the region on outcomes.
  premises: (s, a) =>
    s.kind === 'AGENCY'
      ? `(EXISTS (SELECT 1 FROM finding ${a}_f WHERE ${a}_f.premises_id = ${a}.id AND ${investigationReferredToAgency(`${a}_f.investigation_id`, `${a}_f`)})
          OR EXISTS (SELECT 1 FROM enforcement_outcome ${a}_o JOIN referral ${a}_or ON ${a}_or.id = ${a}_o.referral_id
                     WHERE ${a}_o.premises_id = ${a}.id AND ${sentToAgency(`${a}_or`)}))`
      : internalOnly(s, a),
  // Principals: the enforcement team sees its colleagues (assignees); partners only themselves.
  principal: (s, a) => (s.kind === 'ALL' ? null : `${a}.id = :scopePrincipalId`),
  // API keys: administrators see all; everyone else only their own.
  api_key: (s, a) => (s.kind === 'ALL' && s.role === 'ADMIN' ? null : `${a}.principal_id = :scopePrincipalId`),
  // Webhook subscriptions and their deliveries: the principal's own, whatever its role.
  webhook_subscription: (_s, a) => `${a}.principal_id = :scopePrincipalId`,
  webhook_delivery: (_s, a) =>
    `EXISTS (SELECT 1 FROM webhook_subscription ${a}_ws WHERE ${a}_ws.id = ${a}.subscription_id AND ${a}_ws.principal_id = :scopePrincipalId)`,
};

/*
 * The one intentional exception: `otherBrandCaseCount` on leads and sellers (src/modules/cross-brand-signal)
 * counts the brands with cases against the same seller or network across all tenants, through the database
 * function eca_other_brand_case_counts (migrations/1763900700000-CrossBrandSignal.ts). It answers a number
 * for records the caller may see, never which brands or cases.
 */
export function visibilityPredicate(table: string, scope: Scope, alias: string): string | null {
  const rule = rules[table];
  // Closed by default: a table nobody wrote a rule for is readable by nobody.
  if (!rule) return NOTHING;
  return rule(scope, alias);
}

export function scopeParameters(scope: Scope, principalId: string): Record<string, string> {
  return {
    scopePrincipalId: principalId,
    ...(scope.kind === 'BRAND' ? { scopeBrandId: scope.brandId } : {}),
    ...(scope.kind === 'AGENCY' ? { scopeAgencyId: scope.agencyId } : {}),
  };
}

/**
 * `sql` with the scope's named parameters (scopeParameters) written in as literals, and the parameters left.
 * The scope's values are the server's own ids, never a client's input. A statement without parameters is
 * planned once per connection (prepared-statements.ts) where one with parameters is planned at every
 * execution (force_custom_plan): for a statement as large as a compiled selection (selection-sql.ts) that
 * planning cost more than its execution. Its text is then one per tenant.
 */
export function inlineScope(
  sql: string,
  parameters: Record<string, unknown>,
  scope: Scope,
  principalId: string,
): [string, Record<string, unknown>] {
  const values = scopeParameters(scope, principalId);
  const rest = Object.fromEntries(Object.entries(parameters).filter(([name]) => !(name in values)));
  const text = sql.replace(
    /:(scopePrincipalId|scopeBrandId|scopeAgencyId)(?![A-Za-z0-9_])/g,
    (_, name: keyof typeof values) => {
      const value = values[name];
      if (value === undefined || !/^[0-9]+$/.test(value)) throw new Error(`No literal for ${name}`);
      return `'${value}'`;
    },
  );
  return [text, rest];
}
