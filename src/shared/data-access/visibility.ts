import { Scope } from '../auth/scope.js';

/**
 * The one place that says which rows of a table a caller may read. Every read of the application goes
 * through `scopedQuery` (scoped-query.ts), which adds the predicate below, so a root list, `node(id)`,
 * a nested field and an analytics figure all see the same rows. A row outside the predicate behaves
 * exactly like a row that does not exist.
 *
 * A rule returns an SQL predicate over the row alias `a`, or null for "no restriction". Parameters are
 * named :scopeBrandId / :scopeAgencyId / :scopePrincipalId.
 */
type Rule = (scope: Scope, a: string) => string | null;

const NOTHING = 'FALSE';

/** Sellers a brand partner may see: those selling listings that claim its brand. */
const sellerOfBrand = (a: string) => `EXISTS (SELECT 1 FROM listing ${a}_bl WHERE ${a}_bl.seller_id = ${a}.id AND ${a}_bl.brand_id = :scopeBrandId)`;

const rules: Record<string, Rule> = {
  brand: (s, a) => (s.kind === 'BRAND' ? `${a}.id = :scopeBrandId` : s.kind === 'AGENCY' ? NOTHING : null),
  trademark: (s, a) => (s.kind === 'BRAND' ? `${a}.brand_id = :scopeBrandId` : s.kind === 'AGENCY' ? NOTHING : null),
  // Agencies are public bodies: every caller may list them.
  agency: () => null,
  seller: (s, a) => (s.kind === 'BRAND' ? sellerOfBrand(a) : s.kind === 'AGENCY' ? NOTHING : null),
  // Identifiers link sellers into networks: internal only.
  seller_identifier: (s) => (s.kind === 'ALL' ? null : NOTHING),
  listing: (s, a) => (s.kind === 'BRAND' ? `${a}.brand_id = :scopeBrandId` : s.kind === 'AGENCY' ? NOTHING : null),
  // Principals and keys: administrators see all; everyone else only themselves.
  principal: (s, a) => (s.kind === 'ALL' && s.role === 'ADMIN' ? null : `${a}.id = :scopePrincipalId`),
  api_key: (s, a) => (s.kind === 'ALL' && s.role === 'ADMIN' ? null : `${a}.principal_id = :scopePrincipalId`),
};

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
