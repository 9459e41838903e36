import { RequestContext } from '../../shared/context.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs, loadChildPage, OrderDirection } from '../../shared/relay/connection.js';
import { EnforcementOutcome } from './enforcement-outcome.entity.js';
import { OutcomeKind } from './referral.states.js';

const OUTCOMES_AT_ORDERING = {
  key: 'OCCURRED_AT',
  column: 'occurred_at',
  property: 'occurredAt',
  direction: OrderDirection.ASC,
};
// Its own key: a cursor of a premises' raids is refused by its outcomes (the same rows' table and parent), and the reverse.
const RAIDS_AT_ORDERING = { ...OUTCOMES_AT_ORDERING, key: 'RAIDS_BY_OCCURRED_AT' };

/**
 * The outcomes at one premises that the caller may see (only its raids with `raidsOnly`), oldest first, a page
 * at a time, batched across premises: a place's history grows for years, so it is a connection, not a list.
 */
export function outcomesAt(ctx: RequestContext, premisesId: string, args: ConnectionArgs, raidsOnly: boolean) {
  return loadChildPage<EnforcementOutcome>(ctx, {
    entity: EnforcementOutcome,
    link: { column: 'premises_id' },
    parentId: premisesId,
    ordering: raidsOnly ? RAIDS_AT_ORDERING : OUTCOMES_AT_ORDERING,
    args,
    filter: raidsOnly
      ? { key: 'RAID', apply: (qb) => qb.andWhere('t.kind = :raidKind', { raidKind: OutcomeKind.RAID }) }
      : undefined,
  });
}

/** RAID outcomes at each premises that the caller may see, batched per request. */
export function raidCount(ctx: RequestContext, premisesId: string): Promise<number> {
  return ctx.loaders
    .get<string, number>('Premises.raidCount', async (ids) => {
      const rows: { premises_id: string; n: string }[] = await scopedQuery(ctx, EnforcementOutcome)
        .select('t.premises_id::text', 'premises_id')
        .addSelect('count(*)', 'n')
        .andWhere('t.premises_id = ANY(:raidPremisesIds) AND t.kind = :raid', {
          raidPremisesIds: ids,
          raid: OutcomeKind.RAID,
        })
        .groupBy('t.premises_id')
        .getRawMany();
      const byId = new Map(rows.map((r) => [r.premises_id, Number(r.n)]));
      return ids.map((id) => byId.get(id) ?? 0);
    })
    .load(premisesId);
}

/**
 * For a RAID at premises: which raid on those premises it was (1 for the first), counting the raids the
 * caller may see there in the order they occurred. Batched per request.
 */
export function raidNumber(ctx: RequestContext, outcome: EnforcementOutcome): Promise<number | null> {
  if (outcome.kind !== OutcomeKind.RAID || !outcome.premisesId) return Promise.resolve(null);
  return ctx.loaders
    .get<string, number | null>('EnforcementOutcome.raidNumber', async (ids) => {
      const earlier = scopedQuery(ctx, EnforcementOutcome, 'e')
        .select('count(*)')
        .andWhere(
          `e.premises_id = t.premises_id AND e.kind = 'RAID' AND (e.occurred_at, e.id) <= (t.occurred_at, t.id)`,
        );
      const rows: { id: string; n: string }[] = await scopedQuery(ctx, EnforcementOutcome)
        .select('t.id::text', 'id')
        .addSelect(`(${earlier.getQuery()})`, 'n')
        .setParameters(earlier.getParameters())
        .andWhere('t.id = ANY(:raidOutcomeIds)', { raidOutcomeIds: ids })
        .getRawMany();
      const byId = new Map(rows.map((r) => [r.id, Number(r.n)]));
      return ids.map((id) => byId.get(id) ?? null);
    })
    .load(outcome.rowId);
}
