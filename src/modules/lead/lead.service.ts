import type { GraphQLResolveInfo } from 'graphql';
import { Raw, SelectQueryBuilder } from 'typeorm';
import { auditChange } from '../../shared/audit/audit.service.js';
import { RequestContext, inTransaction } from '../../shared/context.js';
import { whereDateRange, whereIn } from '../../shared/data-access/filters.js';
import { requireAllVisible } from '../../shared/data-access/lookup.js';
import { paginateSelection } from '../../shared/data-access/selection-read.js';
import {
  lockForChange,
  ParentLink,
  scopedBrandLeads,
  scopedQuery,
  updateVersioned,
  whereExists,
} from '../../shared/data-access/scoped-query.js';
import { once, onceWithOutcome } from '../../shared/idempotency.js';
import { referenceSql } from '../../shared/reference.js';
import { ConnectionArgs } from '../../shared/relay/connection.js';
import { loadChildPage } from '../../shared/relay/keyset-paging.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Brand } from '../brand/brand.entity.js';
import { Listing } from '../listing/listing.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { isFastTrackReporter } from './fast-track.js';
import { reportedScores } from '../enforcement-policy/enforcement-policy.js';
import { Lead } from './lead.entity.js';
import {
  CloseLeadInput,
  LEAD_DEFAULT_ORDER,
  LeadFilter,
  LeadOrder,
  LeadOrderField,
  leadSortColumns,
  ReportLeadInput,
  TriageLeadInput,
} from './lead.inputs.js';
import { LeadCloseReason, leadLifecycle, LeadSource, LeadStatus } from './lead.states.js';

export async function reportLead(ctx: RequestContext, input: ReportLeadInput): Promise<Lead> {
  return (await reportLeadOnce(ctx, input)).lead;
}

/**
 * reportLead, saying whether the lead was made now or answered again for its idempotency key: the one path of
 * a report, also of each item of reportLeads (lead-bulk.service.ts), which runs it inside its chunk's change.
 */
export async function reportLeadOnce(
  ctx: RequestContext,
  input: ReportLeadInput,
): Promise<{ lead: Lead; replayed: boolean }> {
  const brandPartner = ctx.scope.kind === 'BRAND';
  if (brandPartner && input.source && input.source !== LeadSource.BRAND_REPORT) {
    refuse(UserErrorCode.INVALID, 'A brand partner reports leads with source BRAND_REPORT only.', ['input', 'source']);
  }
  const brandIds = input.brandIds?.length ? input.brandIds : ctx.scope.kind === 'BRAND' ? [ctx.principal.brandId!] : [];
  if (brandIds.length === 0)
    refuse(UserErrorCode.INVALID, 'Name at least one brand whose rights are infringed.', ['input', 'brandIds']);
  // The risk score is triage's; a brand partner's own view is kept apart as its priority (enforcement policy).
  const scores = reportedScores(ctx.principal.role, input);
  return inTransaction(ctx, async (tx) => {
    // A new lead is answered as its INSERT returned it; a retry with the key reads the first one.
    const { record, replayed } = await onceWithOutcome(tx, 'reportLead', input, Lead, async () => {
      // A brand partner sees only its own brand, so naming another one reads as "no such brand".
      const brands = input.brandIds?.length
        ? await requireAllVisible(tx, Brand, input.brandIds, ['input', 'brandIds'])
        : [{ rowId: brandIds[0] }];
      const sellers = await requireAllVisible(tx, Seller, input.sellerIds, ['input', 'sellerIds']);
      const listings = await requireAllVisible(tx, Listing, input.listingIds, ['input', 'listingIds']);
      const source = input.source ?? (brandPartner ? LeadSource.BRAND_REPORT : LeadSource.PLATFORM_DETECTION);
      // A brand's report is fast-tracked when the brand's recent reports have proven accurate (enforcement policy).
      const fastTrack =
        source === LeadSource.BRAND_REPORT &&
        (await isFastTrackReporter(
          tx,
          brands.map((b) => b.rowId),
          new Date(),
        ));
      return createLead(
        tx,
        { source, description: input.description, ...scores, fastTrack },
        {
          brandIds: brands.map((b) => b.rowId),
          sellerIds: sellers.map((s) => s.rowId),
          listingIds: listings.map((l) => l.rowId),
        },
      );
    });
    return { lead: record, replayed };
  });
}

/**
 * Creates a NEW lead naming the given brands, sellers and listings (row ids the caller was allowed to
 * name), with its audit event: reported by the caller, or raised by the system on its behalf (a repeat-
 * offender match).
 */
export async function createLead(
  ctx: RequestContext,
  fields: {
    source: LeadSource;
    description: string;
    riskScore: number;
    reporterPriority?: number | null;
    fastTrack?: boolean;
  },
  links: { brandIds: string[]; sellerIds: string[]; listingIds: string[] },
): Promise<Lead> {
  // One statement: the lead's id drawn first (lead_id), the lead written with it and its reference, and its
  // links. Without RETURNING: a brand may read a lead only once it names the brand (row-level security,
  // src/shared/data-access/policies.sql.ts), which the new lead does not yet in the statement's snapshot.
  // The lead is the statement's own INSERT, which PostgreSQL runs before the WITH's inserts that nothing reads:
  // lead_brand's BEFORE trigger copies the lead's created_at (NOT NULL: were the order ever other, the report
  // would fail, never link wrongly). Foreign keys are checked at the statement's end.
  const insert = ctx.db
    .createQueryBuilder()
    .addCommonTableExpression(`SELECT nextval(pg_get_serial_sequence('lead', 'id')) AS id`, 'lead_id')
    .addCommonTableExpression(LINK('lead_brand', 'brand_id', 'brandIds'), 'b')
    .addCommonTableExpression(LINK('lead_seller', 'seller_id', 'sellerIds'), 's')
    .addCommonTableExpression(LINK('lead_listing', 'listing_id', 'listingIds'), 'l')
    .insert()
    // Every column the entity writes, the id with them.
    .into(
      Lead,
      ctx.dataSource
        .getMetadata(Lead)
        .columns.filter((column) => column.isInsert)
        .map((column) => column.propertyPath),
    )
    .values({
      rowId: () => '(SELECT id FROM lead_id)',
      reference: () => referenceSql('LD'),
      fastTrack: false,
      reporterPriority: null,
      ...fields,
      status: LeadStatus.NEW,
      closeReason: null,
      closeNote: null,
      internalNotes: null,
      reportedById: ctx.principal.rowId,
      investigationId: null,
      triagedAt: null,
      closedAt: null,
    })
    .setParameters(links)
    .updateEntity(false);
  const [sql, parameters] = insert.getQueryAndParameters();
  // An explicit value of an identity GENERATED ALWAYS needs OVERRIDING SYSTEM VALUE, which TypeORM does not write.
  await ctx.db.query(sql.replace(') VALUES (', ') OVERRIDING SYSTEM VALUE VALUES ('), parameters);
  // Read back by the id the statement drew (the sequence's value in this session); in a subquery, so that it
  // is a value the primary key's index can look up (currval itself is volatile).
  const lead = await ctx.db.findOneByOrFail(Lead, {
    rowId: Raw((id) => `${id} = (SELECT currval(pg_get_serial_sequence('lead', 'id')))`),
  });
  await auditChange(ctx, 'lead.reported', lead, null, {
    ...leadSnapshot(lead),
    source: lead.source,
    fastTrack: lead.fastTrack,
    ...links,
  });
  return lead;
}

/** A link of the new lead (lead_id of createLead's statement) to each of the named rows. */
const LINK = (table: string, column: string, ids: string) =>
  `INSERT INTO ${table} (lead_id, ${column}) SELECT id, unnest(CAST(:${ids} AS bigint[])) FROM lead_id`;

export async function triageLead(ctx: RequestContext, input: TriageLeadInput): Promise<Lead> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'triageLead', input, Lead, async () => {
      const lead = await lockForChange(tx, Lead, decodeIdOf('Lead', input.leadId, 'leadId'), input.expectedVersion, [
        'input',
        'leadId',
      ]);
      leadLifecycle.assert(lead.status, LeadStatus.TRIAGED, lead.reference);
      const before = leadSnapshot(lead);
      await updateVersioned(tx, Lead, lead, {
        status: LeadStatus.TRIAGED,
        triagedAt: new Date(),
        riskScore: input.riskScore ?? lead.riskScore,
        internalNotes: input.internalNotes ?? lead.internalNotes,
      });
      await auditChange(tx, 'lead.triaged', lead, before, leadSnapshot(lead));
      return lead;
    }),
  );
}

export async function closeLead(ctx: RequestContext, input: CloseLeadInput): Promise<Lead> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'closeLead', input, Lead, async () => {
      const lead = await lockForChange(tx, Lead, decodeIdOf('Lead', input.leadId, 'leadId'), input.expectedVersion, [
        'input',
        'leadId',
      ]);
      return closeLocked(tx, lead, input.reason, input.note ?? null);
    }),
  );
}

/** Closes a lead already locked for change (also the cascade when its investigation closes). */
export async function closeLocked(
  ctx: RequestContext,
  lead: Lead,
  reason: LeadCloseReason,
  note: string | null,
): Promise<Lead> {
  leadLifecycle.assert(lead.status, LeadStatus.CLOSED, lead.reference);
  const before = leadSnapshot(lead);
  await updateVersioned(ctx, Lead, lead, {
    status: LeadStatus.CLOSED,
    closeReason: reason,
    closeNote: note,
    closedAt: new Date(),
  });
  await auditChange(ctx, 'lead.closed', lead, before, leadSnapshot(lead));
  return lead;
}

/** Moves leads already locked for change to `status` (cascades of investigations and referrals). */
export async function moveLeads(
  ctx: RequestContext,
  leads: Lead[],
  status: LeadStatus,
  changes: Partial<Lead> = {},
): Promise<void> {
  for (const lead of leads) {
    leadLifecycle.assert(lead.status, status, lead.reference);
    const before = leadSnapshot(lead);
    await updateVersioned(ctx, Lead, lead, { status, ...changes });
    await auditChange(ctx, `lead.${status.toLowerCase()}`, lead, before, leadSnapshot(lead));
  }
}

export function leadSnapshot(lead: Lead) {
  const { status, riskScore, reporterPriority, closeReason, closeNote, investigationId, version, reference } = lead;
  return { reference, status, riskScore, reporterPriority, closeReason, closeNote, investigationId, version };
}

function applyLeadFilter(ctx: RequestContext, qb: SelectQueryBuilder<Lead>, filter: LeadFilter | undefined) {
  whereIn(qb, 'status', filter?.status);
  whereIn(qb, 'source', filter?.source);
  whereDateRange(qb, 'created_at', filter?.createdAt);
  if (filter?.riskScoreAtLeast !== undefined && filter.riskScoreAtLeast !== null)
    qb.andWhere('t.risk_score >= :riskMin', { riskMin: filter.riskScoreAtLeast });
  if (filter?.brandIds) {
    const ids = filter.brandIds.map((id) => decodeIdOf('Brand', id, 'filter.brandIds'));
    // Through the brand's own scope: a brand partner filtering on another brand finds nothing.
    whereExists(ctx, qb, Brand, 'fb', (sub) =>
      whereIn(
        sub.innerJoin('lead_brand', 'flb', 'flb.brand_id = fb.id').andWhere('flb.lead_id = t.id'),
        'id',
        ids,
        'fb',
      ),
    );
  }
  if (filter?.sellerIds) {
    const ids = filter.sellerIds.map((id) => decodeIdOf('Seller', id, 'filter.sellerIds'));
    whereExists(ctx, qb, Seller, 'fs', (sub) =>
      whereIn(
        sub.innerJoin('lead_seller', 'fls', 'fls.seller_id = fs.id').andWhere('fls.lead_id = t.id'),
        'id',
        ids,
        'fs',
      ),
    );
  }
  return qb;
}

/** The leads the caller may see; with `info`, the selection is read in one statement when it can be (selection-sql.ts). */
export function listLeads(
  ctx: RequestContext,
  filter: LeadFilter | undefined,
  orderBy: LeadOrder | undefined,
  args: ConnectionArgs,
  info?: GraphQLResolveInfo,
) {
  const ordering = toOrdering(leadSortColumns, orderBy, LEAD_DEFAULT_ORDER);
  if (ctx.scope.kind === 'BRAND' && ordering.key === LeadOrderField.CREATED_AT) {
    // A brand partner's case list by date walks the brand's own index (lead_brand_recent_idx: its rows copy
    // their lead's created_at) and stops after one page, instead of sorting every lead of the brand.
    const qb = applyLeadFilter(ctx, scopedBrandLeads(ctx, Lead, 'recent'), filter);
    return paginateSelection(
      ctx,
      info,
      'leads',
      qb,
      {
        ...ordering,
        source: 'recent',
        column: 'lead_created_at',
        tieBreaker: { column: 'lead_id', property: 'rowId' },
      },
      args,
    );
  }
  return paginateSelection(ctx, info, 'leads', applyLeadFilter(ctx, scopedQuery(ctx, Lead), filter), ordering, args);
}

/** The leads of one parent (a seller, a brand, an investigation), batched across parents. */
export function leadsOf(
  ctx: RequestContext,
  link: ParentLink,
  parentId: string,
  filter: LeadFilter | undefined,
  orderBy: LeadOrder | undefined,
  args: ConnectionArgs,
) {
  return loadChildPage<Lead>(ctx, {
    entity: Lead,
    link,
    parentId,
    ordering: toOrdering(leadSortColumns, orderBy, LEAD_DEFAULT_ORDER),
    args,
    filter: filter && { key: JSON.stringify(filter), apply: (qb) => applyLeadFilter(ctx, qb, filter) },
  });
}
