import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereIn } from '../../shared/data-access/filters.js';
import { scopedQuery, whereExists } from '../../shared/data-access/scoped-query.js';
import { onceForKey } from '../../shared/idempotency.js';
import { ConnectionArgs, loadChildPage, OrderDirection, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf, toGlobalId } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Finding } from '../investigation/finding.entity.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { OutcomeKind } from '../referral/referral.states.js';
import { Premises } from './premises.entity.js';
import { PremisesFilter, RegisterPremisesInput } from './premises.inputs.js';

export const REGION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

export function premisesSnapshot(premises: Premises) {
  const { kind, region, address, latitude, longitude, version } = premises;
  return { kind, region, address, latitude, longitude, version };
}

/** Registers a place; the same region and address (case and spacing aside) is refused as DUPLICATE, naming the one registered. */
export async function registerPremises(ctx: RequestContext, input: RegisterPremisesInput): Promise<Premises> {
  if (!REGION.test(input.region))
    refuse(UserErrorCode.INVALID, `"${input.region}" is not an ISO 3166-2 region such as CN-ZJ.`, ['input', 'region']);
  if (!input.address.trim()) refuse(UserErrorCode.INVALID, 'The address is empty.', ['input', 'address']);
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'registerPremises', input.idempotencyKey, input, async () => {
      const [row] = await tx.db.query(
        `INSERT INTO premises (kind, region, address, latitude, longitude, notes) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING id::text`,
        [
          input.kind,
          input.region,
          input.address.trim(),
          input.location?.latitude ?? null,
          input.location?.longitude ?? null,
          input.notes ?? null,
        ],
      );
      if (!row) {
        const [existing] = await tx.db.query(
          `SELECT id::text FROM premises WHERE region = $1 AND lower(regexp_replace(btrim(address), '\\s+', ' ', 'g')) = lower(regexp_replace(btrim($2), '\\s+', ' ', 'g'))`,
          [input.region, input.address],
        );
        refuse(
          UserErrorCode.DUPLICATE,
          `These premises are registered already: ${existing ? toGlobalId('Premises', existing.id) : 'same region and address'}.`,
          ['input', 'address'],
        );
      }
      const premises = await tx.db.findOneByOrFail(Premises, { rowId: row.id });
      await auditChange(tx, 'premises.registered', premises, null, premisesSnapshot(premises));
      return premises.rowId;
    });
    return tx.db.findOneByOrFail(Premises, { rowId: id });
  });
}

const PREMISES_ORDERING = {
  key: 'CREATED_AT',
  column: 'created_at',
  property: 'createdAt',
  direction: OrderDirection.DESC,
};

export function listPremises(ctx: RequestContext, filter: PremisesFilter | undefined, args: ConnectionArgs) {
  const qb = scopedQuery(ctx, Premises);
  whereIn(qb, 'kind', filter?.kind);
  whereIn(qb, 'region', filter?.region);
  if (filter?.investigationIds) {
    const ids = filter.investigationIds.map((id) => decodeIdOf('Investigation', id, 'filter.investigationIds'));
    // Through the findings' scope: an agency filtering on an investigation not referred to it finds nothing.
    whereExists(ctx, qb, Finding, 'ff', (sub) =>
      whereIn(sub.andWhere('ff.premises_id = t.id'), 'investigation_id', ids, 'ff'),
    );
  }
  return paginate(ctx, 'premises', qb, PREMISES_ORDERING, args);
}

const OUTCOMES_AT_ORDERING = {
  key: 'OCCURRED_AT',
  column: 'occurred_at',
  property: 'occurredAt',
  direction: OrderDirection.ASC,
};
// Its own key: a cursor of a premises' raids is refused by its outcomes (the same rows' table and parent), and the reverse.
const RAIDS_AT_ORDERING = { ...OUTCOMES_AT_ORDERING, key: 'RAIDS_BY_OCCURRED_AT' };
const FINDINGS_AT_ORDERING = {
  key: 'CREATED_AT',
  column: 'created_at',
  property: 'createdAt',
  direction: OrderDirection.ASC,
};

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

/** The findings that located one premises, that the caller may see, oldest first, a page at a time. */
export function findingsAt(ctx: RequestContext, premisesId: string, args: ConnectionArgs) {
  return loadChildPage<Finding>(ctx, {
    entity: Finding,
    link: { column: 'premises_id' },
    parentId: premisesId,
    ordering: FINDINGS_AT_ORDERING,
    args,
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
