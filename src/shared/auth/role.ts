import { registerEnumType } from 'type-graphql';

export enum Role {
  ADMIN = 'ADMIN',
  INVESTIGATOR = 'INVESTIGATOR',
  ANALYST = 'ANALYST',
  BRAND_PARTNER = 'BRAND_PARTNER',
  AGENCY_LIAISON = 'AGENCY_LIAISON',
}
registerEnumType(Role, { name: 'Role', description: 'What a principal may see and do.' });

/** Roles of the marketplace's own enforcement team: they read all case data. */
export const INTERNAL_ROLES = [Role.ADMIN, Role.INVESTIGATOR, Role.ANALYST];
export const ALL_ROLES = Object.values(Role);

/** Roles that change case data (DESIGN.md section 3). */
export const CASE_WRITERS = [Role.ADMIN, Role.INVESTIGATOR];

/** True for the marketplace's own team: internal fields (assignees, notes) are shown to them only. */
export const isInternal = (role: Role) => INTERNAL_ROLES.includes(role);
