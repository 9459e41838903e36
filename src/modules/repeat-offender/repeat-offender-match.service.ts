import { auditChange } from '../../shared/audit/audit.service.js';
import { Role } from '../../shared/auth/role.js';
import { applyScope } from '../../shared/auth/scope.js';
import { inTransaction, RequestContext, systemContext } from '../../shared/context.js';
import { whereIn } from '../../shared/data-access/filters.js';
import { lockForChange, scopedQuery, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs, OrderDirection, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { Lead } from '../lead/lead.entity.js';
import { closeLocked, createLead, moveLeads } from '../lead/lead.service.js';
import { LeadCloseReason, LeadSource, LeadStatus } from '../lead/lead.states.js';
import { IdentifierKind, SellerIdentifier } from '../seller/seller-identifier.entity.js';
import { Seller, SellerStatus } from '../seller/seller.entity.js';
import { registerSellerFollowUps } from '../seller/seller-follow-ups.js';
import { updateSellerStatus } from '../seller/seller.service.js';
import { RepeatOffenderMatch } from './repeat-offender-match.entity.js';
import {
  ConfirmRepeatOffenderMatchInput,
  RejectRepeatOffenderMatchInput,
  RepeatOffenderMatchFilter,
} from './repeat-offender-match.inputs.js';
import {
  PriorOffence,
  repeatOffenderMatchLifecycle,
  RepeatOffenderMatchStatus,
} from './repeat-offender-match.states.js';
import { once } from '../../shared/idempotency.js';
import { RepeatOffenderSanction, repeatOffenderSettings } from './repeat-offender.settings.js';

/** Risk score of a lead raised by a repeat-offender match: an operator already closed or convicted once. */
export const MATCH_RISK_SCORE = 80;

/** Namespace of the advisory locks that raise one pair of sellers at a time (the second key is the pair's hash). */
const PAIR_LOCK = 72_100_014;

/** SQL: a case naming seller `sellerId` ended in a conviction (a CONVICTED referral, or a CONVICTION outcome). */
const convictedSql = (sellerId: string) => `EXISTS (
  SELECT 1 FROM lead_seller cls JOIN lead cl ON cl.id = cls.lead_id JOIN referral cr ON cr.investigation_id = cl.investigation_id
  WHERE cls.seller_id = ${sellerId}
    AND (cr.status = 'CONVICTED' OR EXISTS (SELECT 1 FROM enforcement_outcome co WHERE co.referral_id = cr.id AND co.kind = 'CONVICTION')))`;

/** SQL: no match was ever raised for the pair of sellers `a` and `b`, in either order (whatever became of it). */
const neverRaisedSql = (a: string, b: string) => `NOT EXISTS (
  SELECT 1 FROM repeat_offender_match pm
  WHERE LEAST(pm.seller_id, pm.prior_seller_id) = LEAST(${a}, ${b}) AND GREATEST(pm.seller_id, pm.prior_seller_id) = GREATEST(${a}, ${b}))`;

export function matchSnapshot(match: RepeatOffenderMatch) {
  const {
    sellerId,
    priorSellerId,
    leadId,
    identifierKinds,
    priorOffences,
    status,
    decisionNote,
    sanctionApplied,
    version,
  } = match;
  return {
    sellerId,
    priorSellerId,
    leadId,
    identifierKinds,
    priorOffences,
    status,
    decisionNote,
    sanctionApplied,
    version,
  };
}

const INTERNAL_SCOPE = { kind: 'ALL', role: Role.ADMIN, maskSensitive: false } as const;

/**
 * Runs `work` in the current transaction with the internal scope, as the system ("repeat-offender sweep"):
 * matching reads identifiers and writes internal records, which the caller of the change that made a seller
 * an offender (an agency recording a conviction) may neither read nor write. The database's scope settings
 * are switched for the transaction and switched back before the caller's change goes on; nothing read here
 * is answered to the caller. Internal callers run `work` as themselves.
 */
async function asSystem<T>(ctx: RequestContext, work: (system: RequestContext) => Promise<T>): Promise<T> {
  if (ctx.scope.kind === 'ALL') return work(ctx);
  const { principal } = systemContext(ctx.dataSource, ctx.config, 'repeat-offender sweep');
  await applyScope(ctx.db, INTERNAL_SCOPE);
  const result = await work({ ...ctx, principal, scope: INTERNAL_SCOPE });
  // If `work` failed, the change is rolled back and the request's next transaction sets the caller's scope again.
  await applyScope(ctx.db, ctx.scope, ctx.principal.rowId);
  return result;
}

interface PriorRow {
  prior_id: string;
  closed: boolean;
  convicted: boolean;
}

const offencesOf = (prior: PriorRow): PriorOffence[] => [
  ...(prior.closed ? [PriorOffence.SELLER_CLOSED] : []),
  ...(prior.convicted ? [PriorOffence.CONVICTION] : []),
];

/**
 * Called in the transaction that recorded `added` identifiers of `seller` (createSeller, addSellerIdentifier):
 * every earlier offender (a CLOSED seller, or one whose case ended in a conviction) known by one of them
 * is matched with the seller, and each new pair opens a lead (source REPEAT_OFFENDER_MATCH) naming both.
 * A pair already raised gets the newly shared kinds; a rejected pair is never raised again. Identifiers
 * are internal data: only internal callers record them, and the reads below see every seller.
 */
export async function raiseRepeatOffenderMatches(
  ctx: RequestContext,
  seller: Seller,
  added: SellerIdentifier[],
): Promise<RepeatOffenderMatch[]> {
  if (!added.length || ctx.scope.kind !== 'ALL') return [];
  const priors: PriorRow[] = await scopedQuery(ctx, SellerIdentifier, 'o')
    .innerJoin('seller', 'ps', 'ps.id = o.seller_id')
    .select('o.seller_id::text', 'prior_id')
    .addSelect(`bool_or(ps.status = '${SellerStatus.CLOSED}')`, 'closed')
    .addSelect(`bool_or(${convictedSql('o.seller_id')})`, 'convicted')
    .andWhere('o.seller_id <> :matchSellerId', { matchSellerId: seller.rowId })
    .andWhere(
      '(o.kind, o.value_hash) IN (SELECT * FROM unnest(CAST(:matchKinds AS text[]), CAST(:matchHashes AS text[])))',
      {
        matchKinds: added.map((i) => i.kind),
        matchHashes: added.map((i) => i.valueHash),
      },
    )
    .groupBy('o.seller_id')
    .orderBy('o.seller_id')
    .getRawMany();
  const raised: RepeatOffenderMatch[] = [];
  for (const prior of priors.filter((p) => p.closed || p.convicted)) {
    const match = await raisePair(ctx, seller.rowId, prior.prior_id, offencesOf(prior));
    if (match) raised.push(match);
  }
  return raised;
}

/**
 * Called in the transaction that made sellers offenders (a conviction recorded on a referral: the sellers its
 * leads name), and by the sweep: every seller already sharing an identifier with one of `offenderIds`, not
 * itself CLOSED, and never matched with it before (a rejected pair included), is matched with it, with a lead.
 * Runs as the system whoever the caller (asSystem).
 */
export async function raiseMatchesForOffenders(
  ctx: RequestContext,
  offenderIds: string[],
): Promise<RepeatOffenderMatch[]> {
  if (!offenderIds.length) return [];
  return asSystem(ctx, async (system) => {
    const pairs: { prior_id: string; seller_id: string }[] = await system.db.query(
      `SELECT p.prior_id::text, p.seller_id::text FROM (
         SELECT DISTINCT o.seller_id AS prior_id, s.seller_id
         FROM seller_identifier o
         JOIN seller_identifier s ON s.kind = o.kind AND s.value_hash = o.value_hash AND s.seller_id <> o.seller_id
         JOIN seller ss ON ss.id = s.seller_id AND ss.status <> '${SellerStatus.CLOSED}'
         WHERE o.seller_id = ANY($1::bigint[]) AND ${neverRaisedSql('o.seller_id', 's.seller_id')}) p
       ORDER BY p.prior_id, p.seller_id`,
      [offenderIds],
    );
    return raisePairs(system, pairs);
  });
}

// Seller writes match repeat offenders in their own change (src/modules/seller/seller-follow-ups.ts).
registerSellerFollowUps({ identifiersAdded: raiseRepeatOffenderMatches, offendersMade: raiseMatchesForOffenders });

/** The sellers named by the leads of an investigation whose referral just ended in a conviction: offenders now. */
export async function raiseMatchesForConviction(
  ctx: RequestContext,
  investigationId: string,
): Promise<RepeatOffenderMatch[]> {
  return asSystem(ctx, async (system) => {
    const sellers: { id: string }[] = await system.db.query(
      `SELECT DISTINCT ls.seller_id::text AS id FROM lead l JOIN lead_seller ls ON ls.lead_id = l.id WHERE l.investigation_id = $1 ORDER BY 1`,
      [investigationId],
    );
    return raiseMatchesForOffenders(
      system,
      sellers.map((s) => s.id),
    );
  });
}

/**
 * The sweep's work for one transaction: at most `limit` pairs of an offender (a CLOSED seller, or one named
 * by a case that ended in a conviction) and a seller sharing an identifier with it, not CLOSED, never matched
 * with it (repeat-offender-sweep.ts runs it until none is left). Returns the matches raised.
 */
export async function sweepOnce(ctx: RequestContext, limit: number): Promise<RepeatOffenderMatch[]> {
  return asSystem(ctx, async (system) => {
    const pairs: { prior_id: string; seller_id: string }[] = await system.db.query(
      `WITH offender AS (
         SELECT id AS seller_id FROM seller WHERE status = '${SellerStatus.CLOSED}'
         UNION
         SELECT ls.seller_id FROM referral r JOIN lead l ON l.investigation_id = r.investigation_id JOIN lead_seller ls ON ls.lead_id = l.id
         WHERE r.status = 'CONVICTED' OR EXISTS (SELECT 1 FROM enforcement_outcome co WHERE co.referral_id = r.id AND co.kind = 'CONVICTION'))
       SELECT p.prior_id::text, p.seller_id::text FROM (
         SELECT DISTINCT o.seller_id AS prior_id, s.seller_id
         FROM offender f
         JOIN seller_identifier o ON o.seller_id = f.seller_id
         JOIN seller_identifier s ON s.kind = o.kind AND s.value_hash = o.value_hash AND s.seller_id <> o.seller_id
         JOIN seller ss ON ss.id = s.seller_id AND ss.status <> '${SellerStatus.CLOSED}'
         WHERE ${neverRaisedSql('o.seller_id', 's.seller_id')}
         ORDER BY 1, 2 LIMIT $1) p
       ORDER BY p.prior_id, p.seller_id`,
      [limit],
    );
    return raisePairs(system, pairs);
  });
}

async function raisePairs(
  ctx: RequestContext,
  pairs: { prior_id: string; seller_id: string }[],
): Promise<RepeatOffenderMatch[]> {
  const raised: RepeatOffenderMatch[] = [];
  const offences = new Map<string, PriorOffence[]>();
  for (const { prior_id: priorId, seller_id: sellerId } of pairs) {
    if (!offences.has(priorId)) {
      const [prior]: PriorRow[] = await ctx.db.query(
        `SELECT s.id::text AS prior_id, s.status = '${SellerStatus.CLOSED}' AS closed, ${convictedSql('s.id')} AS convicted FROM seller s WHERE s.id = $1`,
        [priorId],
      );
      offences.set(priorId, offencesOf(prior));
    }
    if (!offences.get(priorId)!.length) continue;
    const match = await raisePair(ctx, sellerId, priorId, offences.get(priorId)!);
    if (match) raised.push(match);
  }
  return raised;
}

/**
 * Matches seller `sellerId` with the earlier offender `priorId`, one pair at a time (an advisory lock: the
 * identifier writers, a conviction and the sweep may find one pair at once): a new pair opens a lead naming
 * both sellers and the brands of the earlier seller's cases; a pair already raised gets newly shared kinds;
 * a rejected pair is left alone. Null when nothing was raised or changed.
 */
async function raisePair(
  ctx: RequestContext,
  sellerId: string,
  priorId: string,
  offences: PriorOffence[],
): Promise<RepeatOffenderMatch | null> {
  await ctx.db.query(
    `SELECT pg_advisory_xact_lock($1, hashtext(LEAST($2::bigint, $3::bigint) || ':' || GREATEST($2::bigint, $3::bigint)))`,
    [PAIR_LOCK, sellerId, priorId],
  );
  const kinds = await sharedKinds(ctx, sellerId, priorId);
  if (!kinds.length) return null;
  const existing = await scopedQuery(ctx, RepeatOffenderMatch)
    .andWhere(
      'LEAST(t.seller_id, t.prior_seller_id) = LEAST(CAST(:a AS bigint), CAST(:b AS bigint)) AND GREATEST(t.seller_id, t.prior_seller_id) = GREATEST(CAST(:a AS bigint), CAST(:b AS bigint))',
      { a: sellerId, b: priorId },
    )
    .setLock('pessimistic_write', undefined, ['t'])
    .getOne();
  if (existing) {
    if (existing.status === RepeatOffenderMatchStatus.REJECTED) return null;
    const union = [...new Set([...existing.identifierKinds, ...kinds])].sort();
    if (union.length === existing.identifierKinds.length) return null;
    const before = matchSnapshot(existing);
    await updateVersioned(ctx, RepeatOffenderMatch, existing, { identifierKinds: union });
    await auditChange(ctx, 'repeatOffenderMatch.kindsAdded', existing, before, matchSnapshot(existing));
    return existing;
  }
  const seller = await ctx.db.findOneByOrFail(Seller, { rowId: sellerId });
  const priorSeller = await ctx.db.findOneByOrFail(Seller, { rowId: priorId });
  // Named by the sellers' platform ids and the kinds they share: never an identifier's value (brands read it).
  const lead = await createLead(
    ctx,
    {
      source: LeadSource.REPEAT_OFFENDER_MATCH,
      description:
        `Repeat offender: ${seller.platform}/${seller.externalId} (${seller.displayName}) shares ${kinds.join(', ')} with ` +
        `${priorSeller.platform}/${priorSeller.externalId} (${priorSeller.displayName}), ${offences.map((o) => (o === PriorOffence.CONVICTION ? 'convicted' : 'closed')).join(' and ')}.`,
      riskScore: MATCH_RISK_SCORE,
    },
    {
      brandIds: await brandsOfCasesAgainst(ctx, priorSeller.rowId),
      sellerIds: [seller.rowId, priorSeller.rowId],
      listingIds: [],
    },
  );
  const match = ctx.db.create(RepeatOffenderMatch, {
    sellerId: seller.rowId,
    priorSellerId: priorSeller.rowId,
    leadId: lead.rowId,
    identifierKinds: kinds,
    priorOffences: offences,
    status: RepeatOffenderMatchStatus.PENDING,
    decisionNote: null,
    decidedAt: null,
    decidedById: null,
    sanctionApplied: null,
  });
  await ctx.db.save(match);
  await auditChange(ctx, 'repeatOffenderMatch.raised', match, null, matchSnapshot(match));
  return match;
}

/**
 * The brands whose cases made the earlier seller an offender: those named by its leads, except leads closed
 * as not counterfeit or as a duplicate. The match lead names them, so that each sees the seller is back on
 * its own cases (a brand partner sees the leads naming its brand, the other brands on them hidden).
 */
async function brandsOfCasesAgainst(ctx: RequestContext, sellerId: string): Promise<string[]> {
  const rows: { id: string }[] = await ctx.db.query(
    `SELECT DISTINCT lb.brand_id::text AS id
     FROM lead_seller ls JOIN lead l ON l.id = ls.lead_id JOIN lead_brand lb ON lb.lead_id = l.id
     WHERE ls.seller_id = $1 AND NOT (l.status = '${LeadStatus.CLOSED}' AND l.close_reason IN ('${LeadCloseReason.NOT_COUNTERFEIT}', '${LeadCloseReason.DUPLICATE}'))
     ORDER BY 1`,
    [sellerId],
  );
  return rows.map((row) => row.id);
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

const SEVERITY = [
  SellerStatus.ACTIVE,
  SellerStatus.WARNED,
  SellerStatus.RESTRICTED,
  SellerStatus.SUSPENDED,
  SellerStatus.CLOSED,
];

/**
 * The status confirming a match sets the new seller to, or null for none: under `inherit`, the earlier
 * seller's status, at least SUSPENDED (so CLOSED for a closed seller); under `suspend`, SUSPENDED; under
 * `none`, nothing. Never a lower status than the seller has.
 */
export function sanctionFor(
  setting: RepeatOffenderSanction,
  prior: SellerStatus,
  current: SellerStatus,
): SellerStatus | null {
  if (setting === RepeatOffenderSanction.NONE) return null;
  const floor = SEVERITY.indexOf(SellerStatus.SUSPENDED);
  const target =
    setting === RepeatOffenderSanction.INHERIT
      ? SEVERITY[Math.max(SEVERITY.indexOf(prior), floor)]
      : SellerStatus.SUSPENDED;
  return SEVERITY.indexOf(target) > SEVERITY.indexOf(current) ? target : null;
}

type Decision = ConfirmRepeatOffenderMatchInput | RejectRepeatOffenderMatchInput;

async function decide(ctx: RequestContext, input: Decision, status: RepeatOffenderMatchStatus, note: string | null) {
  return inTransaction(ctx, (tx) =>
    once(tx, `${status.toLowerCase()}RepeatOffenderMatch`, input, RepeatOffenderMatch, async () => {
      const match = await lockForChange(
        tx,
        RepeatOffenderMatch,
        decodeIdOf('RepeatOffenderMatch', input.matchId, 'matchId'),
        input.expectedVersion,
        ['input', 'matchId'],
      );
      repeatOffenderMatchLifecycle.assert(match.status, status, match.globalId);
      // Lock order: the match, its lead, then the seller (README, "Concurrency").
      const lead = await lockForChange(tx, Lead, match.leadId, null, ['input', 'matchId']);
      const sanction = status === RepeatOffenderMatchStatus.CONFIRMED ? await applySanction(tx, match, note) : null;
      const before = matchSnapshot(match);
      await updateVersioned(tx, RepeatOffenderMatch, match, {
        status,
        decisionNote: note,
        decidedAt: new Date(),
        decidedById: tx.principal.rowId,
        ...(sanction ? { sanctionApplied: sanction.status } : {}),
      });
      await auditChange(tx, `repeatOffenderMatch.${status.toLowerCase()}`, match, before, matchSnapshot(match));
      if (status === RepeatOffenderMatchStatus.CONFIRMED && lead.status === LeadStatus.NEW) {
        // The lead moves on to triage with the match noted; a lead someone already took further is left as it is.
        const noted =
          `Repeat-offender match confirmed by ${tx.principal.name}: the operator of ${sanction?.priorName} again; ` +
          `${sanction?.status ? `seller set to ${sanction.status}` : 'no sanction applied'}.${note ? ` Note: ${note}` : ''}`;
        await moveLeads(tx, [lead], LeadStatus.TRIAGED, {
          triagedAt: new Date(),
          internalNotes: lead.internalNotes ? `${lead.internalNotes}\n${noted}` : noted,
        });
      }
      if (status === RepeatOffenderMatchStatus.REJECTED) {
        // The lead it raised goes with it, unless someone already took it into an investigation. A sanction
        // applied when it was confirmed stays: lifting it is an investigator's decision (updateSellerStatus).
        if (lead.status === LeadStatus.NEW || lead.status === LeadStatus.TRIAGED) {
          await closeLocked(tx, lead, LeadCloseReason.OTHER, `Repeat-offender match rejected: ${note}`);
        }
      }
      return match;
    }),
  );
}

/** Applies REPEAT_OFFENDER_SANCTION to the match's seller, as an investigator's direct action with its reason. */
async function applySanction(
  ctx: RequestContext,
  match: RepeatOffenderMatch,
  note: string | null,
): Promise<{ status: SellerStatus | null; priorName: string }> {
  const seller = await ctx.db.findOneByOrFail(Seller, { rowId: match.sellerId });
  const prior = await ctx.db.findOneByOrFail(Seller, { rowId: match.priorSellerId });
  const priorName = `${prior.platform}/${prior.externalId} (${prior.status})`;
  const target = sanctionFor(repeatOffenderSettings().sanction, prior.status, seller.status);
  if (!target) return { status: null, priorName };
  await updateSellerStatus(ctx, {
    sellerId: seller.globalId,
    status: target,
    reason:
      `Repeat offender: confirmed match ${match.globalId} with ${priorName} (REPEAT_OFFENDER_SANCTION=${repeatOffenderSettings().sanction})${note ? `: ${note}` : ''}`.slice(
        0,
        2000,
      ),
  });
  return { status: target, priorName };
}

export const confirmRepeatOffenderMatch = (ctx: RequestContext, input: ConfirmRepeatOffenderMatchInput) =>
  decide(ctx, input, RepeatOffenderMatchStatus.CONFIRMED, input.note ?? null);

export const rejectRepeatOffenderMatch = (ctx: RequestContext, input: RejectRepeatOffenderMatchInput) =>
  decide(ctx, input, RepeatOffenderMatchStatus.REJECTED, input.note);

const MATCH_ORDERING = {
  key: 'CREATED_AT',
  column: 'created_at',
  property: 'createdAt',
  direction: OrderDirection.DESC,
};

export function listRepeatOffenderMatches(
  ctx: RequestContext,
  filter: RepeatOffenderMatchFilter | undefined,
  args: ConnectionArgs,
) {
  const qb = scopedQuery(ctx, RepeatOffenderMatch);
  whereIn(qb, 'status', filter?.status);
  if (filter?.sellerIds) {
    const ids = filter.sellerIds.map((id) => decodeIdOf('Seller', id, 'filter.sellerIds'));
    // Through the sellers' scope, like every filter naming another table's records.
    const sub = scopedQuery(ctx, Seller, 'fs').select('fs.id');
    whereIn(sub, 'id', ids, 'fs');
    qb.andWhere(
      `(t.seller_id IN (${sub.getQuery()}) OR t.prior_seller_id IN (${sub.getQuery()}))`,
      sub.getParameters(),
    );
  }
  return paginate(ctx, 'repeatOffenderMatches', qb, MATCH_ORDERING, args);
}
