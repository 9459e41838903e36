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
