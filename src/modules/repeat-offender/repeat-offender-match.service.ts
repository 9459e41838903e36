import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereIn } from '../../shared/data-access/filters.js';
import { lockForChange, scopedQuery, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs, OrderDirection, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { Lead } from '../lead/lead.entity.js';
import { closeLocked, createLead } from '../lead/lead.service.js';
import { LeadCloseReason, LeadSource, LeadStatus } from '../lead/lead.states.js';
import { IdentifierKind, SellerIdentifier } from '../seller/seller-identifier.entity.js';
import { Seller, SellerStatus } from '../seller/seller.entity.js';
import { RepeatOffenderMatch } from './repeat-offender-match.entity.js';
import { ConfirmRepeatOffenderMatchInput, RejectRepeatOffenderMatchInput, RepeatOffenderMatchFilter } from './repeat-offender-match.inputs.js';
import { PriorOffence, repeatOffenderMatchLifecycle, RepeatOffenderMatchStatus } from './repeat-offender-match.states.js';
import { once } from '../../shared/idempotency.js';

/** Risk score of a lead raised by a repeat-offender match: an operator already closed or convicted once. */
const MATCH_RISK_SCORE = 80;

/** SQL: a case naming seller `sellerId` ended in a conviction (a CONVICTED referral, or a CONVICTION outcome). */
const convictedSql = (sellerId: string) => `EXISTS (
  SELECT 1 FROM lead_seller cls JOIN lead cl ON cl.id = cls.lead_id JOIN referral cr ON cr.investigation_id = cl.investigation_id
  WHERE cls.seller_id = ${sellerId}
    AND (cr.status = 'CONVICTED' OR EXISTS (SELECT 1 FROM enforcement_outcome co WHERE co.referral_id = cr.id AND co.kind = 'CONVICTION')))`;

export function matchSnapshot(match: RepeatOffenderMatch) {
  const { sellerId, priorSellerId, leadId, identifierKinds, priorOffences, status, decisionNote, version } = match;
  return { sellerId, priorSellerId, leadId, identifierKinds, priorOffences, status, decisionNote, version };
}

/**
 * Called in the transaction that recorded `added` identifiers of `seller` (createSeller, addSellerIdentifier):
 * every earlier offender (a CLOSED seller, or one whose case ended in a conviction) known by one of them
 * is matched with the seller, and each new pair opens a lead (source REPEAT_OFFENDER_MATCH) naming both.
 * A pair already raised gets the newly shared kinds; a rejected pair is never raised again. Identifiers
 * are internal data: only internal callers record them, and the reads below see every seller.
 */
export async function raiseRepeatOffenderMatches(ctx: RequestContext, seller: Seller, added: SellerIdentifier[]): Promise<RepeatOffenderMatch[]> {
  if (!added.length || ctx.scope.kind !== 'ALL') return [];
  const priors: { prior_id: string; closed: boolean; convicted: boolean }[] = await scopedQuery(ctx, SellerIdentifier, 'o')
    .innerJoin('seller', 'ps', 'ps.id = o.seller_id')
    .select('o.seller_id::text', 'prior_id')
    .addSelect(`bool_or(ps.status = '${SellerStatus.CLOSED}')`, 'closed')
    .addSelect(`bool_or(${convictedSql('o.seller_id')})`, 'convicted')
    .andWhere('o.seller_id <> :matchSellerId', { matchSellerId: seller.rowId })
    .andWhere('(o.kind, o.value_hash) IN (SELECT * FROM unnest(CAST(:matchKinds AS text[]), CAST(:matchHashes AS text[])))', {
      matchKinds: added.map((i) => i.kind), matchHashes: added.map((i) => i.valueHash),
    })
    .groupBy('o.seller_id')
    .orderBy('o.seller_id')
    .getRawMany();
  const raised: RepeatOffenderMatch[] = [];
  for (const prior of priors.filter((p) => p.closed || p.convicted)) {
    const offences = [...(prior.closed ? [PriorOffence.SELLER_CLOSED] : []), ...(prior.convicted ? [PriorOffence.CONVICTION] : [])];
    const kinds = await sharedKinds(ctx, seller.rowId, prior.prior_id);
    const existing = await scopedQuery(ctx, RepeatOffenderMatch)
      .andWhere('LEAST(t.seller_id, t.prior_seller_id) = LEAST(CAST(:a AS bigint), CAST(:b AS bigint)) AND GREATEST(t.seller_id, t.prior_seller_id) = GREATEST(CAST(:a AS bigint), CAST(:b AS bigint))', { a: seller.rowId, b: prior.prior_id })
      .setLock('pessimistic_write', undefined, ['t'])
      .getOne();
    if (existing) {
      if (existing.status === RepeatOffenderMatchStatus.REJECTED) continue;
      const union = [...new Set([...existing.identifierKinds, ...kinds])].sort();
      if (union.length === existing.identifierKinds.length) continue;
      const before = matchSnapshot(existing);
      await updateVersioned(ctx, RepeatOffenderMatch, existing, { identifierKinds: union });
      await auditChange(ctx, 'repeatOffenderMatch.kindsAdded', existing, before, matchSnapshot(existing));
      raised.push(existing);
      continue;
    }
    const priorSeller = await ctx.db.findOneByOrFail(Seller, { rowId: prior.prior_id });
    const lead = await createLead(ctx, {
      source: LeadSource.REPEAT_OFFENDER_MATCH,
      description: `Repeat offender: ${seller.platform}/${seller.externalId} (${seller.displayName}) shares ${kinds.join(', ')} with `
        + `${priorSeller.platform}/${priorSeller.externalId} (${priorSeller.displayName}), ${offences.map((o) => (o === PriorOffence.CONVICTION ? 'convicted' : 'closed')).join(' and ')}.`,
      riskScore: MATCH_RISK_SCORE,
    }, { brandIds: [], sellerIds: [seller.rowId, priorSeller.rowId], listingIds: [] });
    const match = ctx.db.create(RepeatOffenderMatch, {
      sellerId: seller.rowId, priorSellerId: priorSeller.rowId, leadId: lead.rowId, identifierKinds: kinds, priorOffences: offences,
      status: RepeatOffenderMatchStatus.PENDING, decisionNote: null, decidedAt: null, decidedById: null,
    });
    await ctx.db.save(match);
    await auditChange(ctx, 'repeatOffenderMatch.raised', match, null, matchSnapshot(match));
    raised.push(match);
  }
  return raised;
}

/** Kinds of the identifiers two sellers share, sorted. */
async function sharedKinds(ctx: RequestContext, a: string, b: string): Promise<IdentifierKind[]> {
  const rows: { kind: IdentifierKind }[] = await scopedQuery(ctx, SellerIdentifier, 'sa')
    .innerJoin('seller_identifier', 'sb', 'sb.kind = sa.kind AND sb.value_hash = sa.value_hash')
    .select('DISTINCT sa.kind', 'kind')
    .andWhere('sa.seller_id = :sharedA AND sb.seller_id = :sharedB', { sharedA: a, sharedB: b })
    .orderBy('sa.kind')
    .getRawMany();
  return rows.map((r) => r.kind);
}

type Decision = ConfirmRepeatOffenderMatchInput | RejectRepeatOffenderMatchInput;

async function decide(ctx: RequestContext, input: Decision, status: RepeatOffenderMatchStatus, note: string | null) {
  return inTransaction(ctx, (tx) => once(tx, `${status.toLowerCase()}RepeatOffenderMatch`, input, RepeatOffenderMatch, async () => {
    const match = await lockForChange(tx, RepeatOffenderMatch, decodeIdOf('RepeatOffenderMatch', input.matchId, 'matchId'), input.expectedVersion, ['input', 'matchId']);
    repeatOffenderMatchLifecycle.assert(match.status, status, match.globalId);
    const before = matchSnapshot(match);
    await updateVersioned(tx, RepeatOffenderMatch, match, { status, decisionNote: note, decidedAt: new Date(), decidedById: tx.principal.rowId });
    await auditChange(tx, `repeatOffenderMatch.${status.toLowerCase()}`, match, before, matchSnapshot(match));
    if (status === RepeatOffenderMatchStatus.REJECTED) {
      // The lead it raised goes with it, unless someone already took it into an investigation.
      const lead = await lockForChange(tx, Lead, match.leadId, null, ['input', 'matchId']);
      if (lead.status === LeadStatus.NEW || lead.status === LeadStatus.TRIAGED) {
        await closeLocked(tx, lead, LeadCloseReason.OTHER, `Repeat-offender match rejected: ${note}`);
      }
    }
    return match;
  }));
}

export const confirmRepeatOffenderMatch = (ctx: RequestContext, input: ConfirmRepeatOffenderMatchInput) =>
  decide(ctx, input, RepeatOffenderMatchStatus.CONFIRMED, input.note ?? null);

export const rejectRepeatOffenderMatch = (ctx: RequestContext, input: RejectRepeatOffenderMatchInput) =>
  decide(ctx, input, RepeatOffenderMatchStatus.REJECTED, input.note);

const MATCH_ORDERING = { key: 'CREATED_AT', column: 'created_at', property: 'createdAt', direction: OrderDirection.DESC };

export function listRepeatOffenderMatches(ctx: RequestContext, filter: RepeatOffenderMatchFilter | undefined, args: ConnectionArgs) {
  const qb = scopedQuery(ctx, RepeatOffenderMatch);
  whereIn(qb, 'status', filter?.status);
  if (filter?.sellerIds) {
    const ids = filter.sellerIds.map((id) => decodeIdOf('Seller', id, 'filter.sellerIds'));
    // Through the sellers' scope, like every filter naming another table's records.
    const sub = scopedQuery(ctx, Seller, 'fs').select('fs.id');
    whereIn(sub, 'id', ids, 'fs');
    qb.andWhere(`(t.seller_id IN (${sub.getQuery()}) OR t.prior_seller_id IN (${sub.getQuery()}))`, sub.getParameters());
  }
  return paginate(ctx, 'repeatOffenderMatches', qb, MATCH_ORDERING, args);
}
