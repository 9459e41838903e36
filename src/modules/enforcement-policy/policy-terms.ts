import { registerEnumType } from 'type-graphql';

/**
 * The statuses and reasons the enforcement policy decides over, declared here, below the modules that apply
 * the policy (lead, listing, seller), so that the policy needs none of them; those modules export them again
 * where their readers look for them (lead.states.ts, listing.states.ts, seller.entity.ts).
 */

export enum LeadStatus {
  NEW = 'NEW',
  TRIAGED = 'TRIAGED',
  INVESTIGATING = 'INVESTIGATING',
  REFERRED = 'REFERRED',
  CLOSED = 'CLOSED',
}
registerEnumType(LeadStatus, {
  name: 'LeadStatus',
  valuesConfig: {
    CLOSED: { description: 'Closed, with a reason (`closeReason`).' },
    INVESTIGATING: { description: 'Part of an open investigation.' },
    NEW: { description: 'Reported, not yet triaged.' },
    REFERRED: { description: 'Its investigation was referred to an agency.' },
    TRIAGED: { description: 'Risk assessed by an investigator.' },
  },
  description:
    'Where a lead stands: NEW -> TRIAGED -> INVESTIGATING -> REFERRED -> CLOSED; any open lead may be closed.',
});

export enum LeadCloseReason {
  NOT_COUNTERFEIT = 'NOT_COUNTERFEIT',
  INSUFFICIENT_EVIDENCE = 'INSUFFICIENT_EVIDENCE',
  DUPLICATE = 'DUPLICATE',
  RESOLVED_BY_TAKEDOWN = 'RESOLVED_BY_TAKEDOWN',
  INVESTIGATION_CLOSED = 'INVESTIGATION_CLOSED',
  CASE_CONCLUDED = 'CASE_CONCLUDED',
  OTHER = 'OTHER',
}
registerEnumType(LeadCloseReason, {
  name: 'LeadCloseReason',
  valuesConfig: {
    CASE_CONCLUDED: { description: 'Its case ended with a verdict (see `closeNote`).' },
    DUPLICATE: { description: 'The same source was already reported.' },
    INSUFFICIENT_EVIDENCE: { description: 'Not enough to act on.' },
    INVESTIGATION_CLOSED: { description: 'Its investigation was closed.' },
    NOT_COUNTERFEIT: { description: 'The goods turned out genuine.' },
    OTHER: { description: 'Any other reason (see `closeNote`).' },
    RESOLVED_BY_TAKEDOWN: { description: 'Dealt with by taking the listings down.' },
  },
  description: 'Why a lead was closed.',
});

/**
 * Why a listing taken down goes back up. Whether its takedown is reversed (and its strike removed) is the
 * enforcement policy's to say (src/modules/enforcement-policy).
 */
export enum ReinstatementBasis {
  COUNTER_NOTICE_UPHELD = 'COUNTER_NOTICE_UPHELD',
  TAKEDOWN_IN_ERROR = 'TAKEDOWN_IN_ERROR',
  LISTING_CORRECTED = 'LISTING_CORRECTED',
}
registerEnumType(ReinstatementBasis, {
  name: 'ReinstatementBasis',
  description: 'Why a listing taken down is reinstated (docs/enforcement-policy.md).',
  valuesConfig: {
    COUNTER_NOTICE_UPHELD: {
      description: "The seller's counter-notice was upheld: the takedown is reversed and its strike removed.",
    },
    TAKEDOWN_IN_ERROR: {
      description: 'The listing was taken down in error: the takedown is reversed and its strike removed.',
    },
    LISTING_CORRECTED: {
      description: 'The seller removed the infringing content: the takedown stands and its strike stays.',
    },
  },
});

export enum SellerStatus {
  ACTIVE = 'ACTIVE',
  WARNED = 'WARNED',
  RESTRICTED = 'RESTRICTED',
  SUSPENDED = 'SUSPENDED',
  CLOSED = 'CLOSED',
}
registerEnumType(SellerStatus, {
  name: 'SellerStatus',
  valuesConfig: {
    ACTIVE: { description: 'Trading normally.' },
    CLOSED: { description: 'Shop closed for good.' },
    RESTRICTED: { description: 'Trading limited by the marketplace.' },
    SUSPENDED: { description: 'Trading stopped for now.' },
    WARNED: { description: 'Warned; still trading.' },
  },
  description: 'What the marketplace has done to a seller, from ACTIVE to CLOSED.',
});
