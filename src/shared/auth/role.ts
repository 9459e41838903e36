import { registerEnumType } from 'type-graphql';

export enum Role {
  ADMIN = 'ADMIN',
  INVESTIGATOR = 'INVESTIGATOR',
  ANALYST = 'ANALYST',
  BRAND_PARTNER = 'BRAND_PARTNER',
  AGENCY_LIAISON = 'AGENCY_LIAISON',
}
registerEnumType(Role, {
  name: 'Role',
  description: 'What a principal may see and do.',
  valuesConfig: {
    ADMIN: { description: 'Administrator: sees everything, manages keys.' },
    AGENCY_LIAISON: { description: 'A government agency: sees the referrals sent to it and what they disclose.' },
    ANALYST: { description: 'Internal analyst: reads cases and analytics, changes nothing.' },
    BRAND_PARTNER: { description: 'A brand: reports leads and follows the cases naming it.' },
    INVESTIGATOR: { description: 'Internal investigator: triages leads, runs investigations and referrals.' },
  },
});

/** Roles of the marketplace's own enforcement team: they read all case data. */
export const INTERNAL_ROLES = [Role.ADMIN, Role.INVESTIGATOR, Role.ANALYST];
export const ALL_ROLES = Object.values(Role);

/** Roles that change case data (DESIGN.md section 3). */
export const CASE_WRITERS = [Role.ADMIN, Role.INVESTIGATOR];

/** True for the marketplace's own team: internal fields (assignees, notes) are shown to them only. */
export const isInternal = (role: Role) => INTERNAL_ROLES.includes(role);
