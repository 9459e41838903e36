import { Role } from './role.js';

/**
 * What rows a caller may read. Derived once from the principal, carried in the request context and
 * applied by the data-access layer (visibility.ts) on every read.
 */
export type Scope =
  | { kind: 'ALL'; role: Role; maskSensitive: boolean }
  | { kind: 'BRAND'; role: Role.BRAND_PARTNER; brandId: string }
  | { kind: 'AGENCY'; role: Role.AGENCY_LIAISON; agencyId: string };

export interface ScopedPrincipal {
  role: Role;
  brandId: string | null;
  agencyId: string | null;
}

export function scopeOf(principal: ScopedPrincipal): Scope {
  switch (principal.role) {
    case Role.BRAND_PARTNER:
      if (!principal.brandId) throw new Error('A brand partner principal has no brand');
      return { kind: 'BRAND', role: Role.BRAND_PARTNER, brandId: principal.brandId };
    case Role.AGENCY_LIAISON:
      if (!principal.agencyId) throw new Error('An agency liaison principal has no agency');
      return { kind: 'AGENCY', role: Role.AGENCY_LIAISON, agencyId: principal.agencyId };
    default:
      return { kind: 'ALL', role: principal.role, maskSensitive: principal.role === Role.ANALYST };
  }
}

/**
 * Sets `scope` for the current transaction (transaction-local settings) as the row-level security policies and
 * the definer functions read it (`eca_scope()`, `eca_brand()`, ...). The request connection writes the same
 * settings in its own round trips (http/request-transaction.ts); this is for the server's other transactions.
 */
export function applyScope(
  db: { query(sql: string, parameters?: unknown[]): Promise<unknown> },
  scope: Scope,
  principalId: string | null = null,
): Promise<unknown> {
  return db.query(
    `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true), set_config('eca.agency_id', $3, true), set_config('eca.principal_id', $4, true)`,
    [
      scope.kind,
      scope.kind === 'BRAND' ? scope.brandId : '',
      scope.kind === 'AGENCY' ? scope.agencyId : '',
      principalId ?? '',
    ],
  );
}
