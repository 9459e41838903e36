import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, isInternal, Role } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren, ParentLink } from '../../shared/data-access/scoped-query.js';
import { compilable } from '../../shared/data-access/selection-sql.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Brand } from '../brand/brand.entity.js';
import { Listing } from '../listing/listing.entity.js';
import { ListingFilter, ListingOrder } from '../listing/listing.inputs.js';
import { listingsOf } from '../listing/listing.service.js';
import { Principal } from '../principal/principal.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { Lead } from './lead.entity.js';
import { CloseLeadInput, LeadFilter, LeadOrder, ReportLeadInput, TriageLeadInput } from './lead.inputs.js';
import { closeLead, leadsOf, listLeads, reportLead, triageLead } from './lead.service.js';
import { reportLeads } from './lead-bulk.service.js';
import { MAX_REPORT_LEADS_ITEMS, REPORT_LEADS_CHUNK, ReportLeadsInput, ReportLeadsPayload } from './lead-bulk.types.js';

export const LeadConnection = Connection(Lead);
const ListingConnection = Connection(Listing);
const ReportLeadPayload = Payload('ReportLeadPayload', 'lead', Lead);
const TriageLeadPayload = Payload('TriageLeadPayload', 'lead', Lead);
const CloseLeadPayload = Payload('CloseLeadPayload', 'lead', Lead);

const LEAD_BRANDS: ParentLink = { through: 'lead_brand', childColumn: 'brand_id', parentColumn: 'lead_id' };
const LEAD_SELLERS: ParentLink = { through: 'lead_seller', childColumn: 'seller_id', parentColumn: 'lead_id' };
// The links below, for a selection compiled into one statement (src/shared/data-access/selection-sql.ts).
compilable(Lead, {
  brands: { kind: 'many', entity: Brand, link: LEAD_BRANDS },
  sellers: { kind: 'many', entity: Seller, link: LEAD_SELLERS },
});

@Resolver(() => Lead)
export class LeadResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => LeadConnection, {
    nullable: true,
    description: 'Leads you may see (a brand partner: those naming its brand).',
  })
  leads(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => LeadFilter, { nullable: true, description: 'Only the leads matching every field given.' })
    filter: LeadFilter | undefined,
    @Arg('orderBy', () => LeadOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: LeadOrder | undefined,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Page<Lead>> {
    return listLeads(ctx, filter, orderBy, args, info);
  }

  @Authorized(Role.ADMIN, Role.INVESTIGATOR, Role.BRAND_PARTNER)
  @Mutation(() => ReportLeadPayload, {
    nullable: true,
    description: 'Report a suspected counterfeit source. Brand partners: for their own brand.',
  })
  reportLead(
    @Arg('input', { description: 'The arguments of `reportLead` in one object (ReportLeadInput).' })
    input: ReportLeadInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Lead>> {
    return payload(() => reportLead(ctx, input));
  }

  @Authorized(Role.ADMIN, Role.INVESTIGATOR, Role.BRAND_PARTNER)
  @Mutation(() => ReportLeadsPayload, {
    nullable: true,
    description: `Report up to ${MAX_REPORT_LEADS_ITEMS} leads at once, each as reportLead would, each answered on its own (created, replayed, refused, not kept). Committed in chunks of ${REPORT_LEADS_CHUNK} items; see ReportLeadsOutcome.`,
  })
  reportLeads(
    @Arg('input', {
      description: 'The reports (ReportLeadsInput).',
      // Each item is validated by the service, so that one invalid item is refused alone (lead-bulk.service.ts).
      validateFn: () => undefined,
    })
    input: ReportLeadsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportLeadsPayload> {
    return reportLeads(ctx, input);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => TriageLeadPayload, { nullable: true, description: 'NEW -> TRIAGED.' })
  triageLead(
    @Arg('input', { description: 'The arguments of `triageLead` in one object (TriageLeadInput).' })
    input: TriageLeadInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Lead>> {
    return payload(() => triageLead(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CloseLeadPayload, { nullable: true, description: 'Any open state -> CLOSED, with a reason.' })
  closeLead(
    @Arg('input', { description: 'The arguments of `closeLead` in one object (CloseLeadInput).' })
    input: CloseLeadInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Lead>> {
    return payload(() => closeLead(ctx, input));
  }

  @FieldResolver(() => [Brand], {
    description:
      'Brands the lead names (a brand partner sees only its own). A reported lead names at most 100 (reportLead takes at most 100 brandIds); a lead raised by a repeat-offender match names every brand of the cases against the prior seller.',
  })
  brands(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Brand[]> {
    return loadChildren(ctx, Brand, LEAD_BRANDS, lead.rowId);
  }

  @FieldResolver(() => [Seller], {
    description:
      'Sellers behind the counterfeits that you may see. At most 100: reportLead, which names them, takes at most 100 sellerIds.',
  })
  sellers(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Seller[]> {
    return loadChildren(ctx, Seller, LEAD_SELLERS, lead.rowId);
  }

  @FieldResolver(() => ListingConnection, { description: 'Listings the lead names.' })
  listings(
    @Root() lead: Lead,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ListingFilter, {
      nullable: true,
      description: 'Only the listings matching every field given.',
    })
    filter: ListingFilter | undefined,
    @Arg('orderBy', () => ListingOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: ListingOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Listing>> {
    return listingsOf(
      ctx,
      { through: 'lead_listing', childColumn: 'listing_id', parentColumn: 'lead_id' },
      lead.rowId,
      filter,
      orderBy,
      args,
    );
  }

  @FieldResolver(() => String, { nullable: true, description: 'Internal notes: null for partners and agencies.' })
  internalNotes(@Root() lead: Lead, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? lead.internalNotes : null;
  }

  @FieldResolver(() => Principal, {
    nullable: true,
    description: 'Who reported it (internal roles; others see only themselves).',
  })
  reportedBy(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Principal | null> | null {
    return lead.reportedById ? loadById(ctx, Principal, lead.reportedById) : null;
  }
}

/** `Brand.leads`: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Brand)
export class BrandLeadResolver {
  @FieldResolver(() => LeadConnection, { description: 'Leads naming this brand that you may see.' })
  leads(
    @Root() brand: Brand,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => LeadFilter, { nullable: true, description: 'Only the leads matching every field given.' })
    filter: LeadFilter | undefined,
    @Arg('orderBy', () => LeadOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: LeadOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Lead>> {
    return leadsOf(
      ctx,
      { through: 'lead_brand', childColumn: 'lead_id', parentColumn: 'brand_id' },
      brand.rowId,
      filter,
      orderBy,
      args,
    );
  }
}

/** `Seller.leads`, beside `Lead.sellers`. */
@Resolver(() => Seller)
export class SellerLeadResolver {
  @FieldResolver(() => LeadConnection, { description: 'Leads naming this seller that you may see.' })
  leads(
    @Root() seller: Seller,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => LeadFilter, { nullable: true, description: 'Only the leads matching every field given.' })
    filter: LeadFilter | undefined,
    @Arg('orderBy', () => LeadOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: LeadOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Lead>> {
    return leadsOf(
      ctx,
      { through: 'lead_seller', childColumn: 'lead_id', parentColumn: 'seller_id' },
      seller.rowId,
      filter,
      orderBy,
      args,
    );
  }
}
