import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereIn } from '../../shared/data-access/filters.js';
import { scopedQuery, whereExists } from '../../shared/data-access/scoped-query.js';
import { onceForKey } from '../../shared/idempotency.js';
import { ConnectionArgs, OrderDirection, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf, toGlobalId } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
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
    // Through the findings' scope: an agency filtering on an investigation not referred to it finds nothing. The
    // table by name: findings belong to the investigation module, above this one (README, "Architecture").
    whereExists(ctx, qb, 'finding', 'ff', (sub) =>
      whereIn(sub.andWhere('ff.premises_id = t.id'), 'investigation_id', ids, 'ff'),
    );
  }
  return paginate(ctx, 'premises', qb, PREMISES_ORDERING, args);
}
