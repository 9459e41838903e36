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
