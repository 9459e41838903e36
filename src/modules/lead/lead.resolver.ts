import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS, isInternal, Role } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren, ParentLink } from '../../shared/data-access/scoped-query.js';
import { compilable } from '../../shared/data-access/selection-sql.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Brand } from '../brand/brand.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { Listing } from '../listing/listing.entity.js';
import { ListingFilter, ListingOrder } from '../listing/listing.inputs.js';
import { listingsOf } from '../listing/listing.service.js';
import { Principal } from '../principal/principal.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { Lead } from './lead.entity.js';
import { CloseLeadInput, LeadFilter, LeadOrder, ReportLeadInput, TriageLeadInput } from './lead.inputs.js';
import { closeLead, listLeads, reportLead, triageLead } from './lead.service.js';

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
  investigation: { kind: 'one', entity: Investigation, property: 'investigationId' },
});

@Resolver(() => Lead)
export class LeadResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => LeadConnection, { nullable: true, description: 'Leads you may see (a brand partner: those naming its brand).' })
  leads(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => LeadFilter, { nullable: true }) filter: LeadFilter | undefined,
    @Arg('orderBy', () => LeadOrder, { nullable: true }) orderBy: LeadOrder | undefined,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Page<Lead>> {
    return listLeads(ctx, filter, orderBy, args, info);
  }

  @Authorized(Role.ADMIN, Role.INVESTIGATOR, Role.BRAND_PARTNER)
  @Mutation(() => ReportLeadPayload, { nullable: true, description: 'Report a suspected counterfeit source. Brand partners: for their own brand.' })
  reportLead(@Arg('input') input: ReportLeadInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Lead>> {
    return payload(() => reportLead(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => TriageLeadPayload, { nullable: true, description: 'NEW -> TRIAGED.' })
  triageLead(@Arg('input') input: TriageLeadInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Lead>> {
    return payload(() => triageLead(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CloseLeadPayload, { nullable: true, description: 'Any open state -> CLOSED, with a reason.' })
  closeLead(@Arg('input') input: CloseLeadInput, @Ctx() ctx: RequestContext): Promise<MutationPayload<Lead>> {
    return payload(() => closeLead(ctx, input));
  }

  @FieldResolver(() => [Brand], { description: 'Brands the lead names (a brand partner sees only its own).' })
  brands(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Brand[]> {
    return loadChildren(ctx, Brand, LEAD_BRANDS, lead.rowId);
  }

  @FieldResolver(() => [Seller])
  sellers(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Seller[]> {
    return loadChildren(ctx, Seller, LEAD_SELLERS, lead.rowId);
  }

  @FieldResolver(() => ListingConnection)
  listings(
    @Root() lead: Lead,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ListingFilter, { nullable: true }) filter: ListingFilter | undefined,
    @Arg('orderBy', () => ListingOrder, { nullable: true }) orderBy: ListingOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Listing>> {
    return listingsOf(ctx, { through: 'lead_listing', childColumn: 'listing_id', parentColumn: 'lead_id' }, lead.rowId, filter, orderBy, args);
  }

  @FieldResolver(() => Investigation, { nullable: true })
  investigation(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Investigation | null> | null {
    return lead.investigationId ? loadById(ctx, Investigation, lead.investigationId) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Internal notes: null for partners and agencies.' })
  internalNotes(@Root() lead: Lead, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? lead.internalNotes : null;
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'Who reported it (internal roles; others see only themselves).' })
  reportedBy(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<Principal | null> | null {
    return lead.reportedById ? loadById(ctx, Principal, lead.reportedById) : null;
  }
}
