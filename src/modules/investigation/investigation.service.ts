import { auditChange } from '../../shared/audit/audit.service.js';
import { Role } from '../../shared/auth/role.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIn } from '../../shared/data-access/filters.js';
import { requireVisible } from '../../shared/data-access/lookup.js';
import { lockForChange, scopedQuery, updateVersioned, whereExists } from '../../shared/data-access/scoped-query.js';
import { badInput } from '../../shared/errors.js';
import { once, onceForKey } from '../../shared/idempotency.js';
import { nextReference } from '../../shared/reference.js';
import { ConnectionArgs } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Lead } from '../lead/lead.entity.js';
import { closeLocked, moveLeads } from '../lead/lead.service.js';
import { LeadCloseReason, LeadStatus } from '../lead/lead.states.js';
import { Premises } from '../premises/premises.entity.js';
import { Principal } from '../principal/principal.entity.js';
import { Finding } from './finding.entity.js';
import { Investigation } from './investigation.entity.js';
import {
  CloseInvestigationInput,
  INVESTIGATION_DEFAULT_ORDER,
  InvestigationFilter,
  InvestigationOrder,
  investigationSortColumns,
  MarkInvestigationReadyInput,
  OpenInvestigationInput,
  RecordFindingInput,
} from './investigation.inputs.js';
import { investigationLifecycle, InvestigationStatus } from './investigation.states.js';
import { countChildren, MAX_FINDINGS_PER_INVESTIGATION, refuseBeyondBound } from '../../shared/list-bounds.js';

const REGION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

export function investigationSnapshot(investigation: Investigation) {
  const { reference, status, assigneeId, closeReason, version } = investigation;
  return { reference, status, assigneeId, closeReason, version };
}

/** Opens an investigation on TRIAGED leads and moves them to INVESTIGATING, in one transaction. */
export async function openInvestigation(ctx: RequestContext, input: OpenInvestigationInput): Promise<Investigation> {
  if (input.leadIds.length < 1 || input.leadIds.length > 50)
    throw badInput('leadIds takes 1 to 50 lead ids.', 'leadIds');
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'openInvestigation', input.idempotencyKey, input, async () => {
      const assignee = input.assigneeId
        ? await requireVisible(tx, Principal, input.assigneeId, ['input', 'assigneeId'])
        : null;
      if (assignee && ![Role.INVESTIGATOR, Role.ADMIN].includes(assignee.role)) {
        refuse(UserErrorCode.INVALID, 'The assignee must be an investigator or an administrator.', [
          'input',
          'assigneeId',
        ]);
      }
      // Lock the leads in id order, so that two investigations opened at once cannot deadlock.
      const leadIds = [...new Set(input.leadIds.map((leadId) => decodeIdOf('Lead', leadId, 'leadIds')))].sort(
        (a, b) => Number(a) - Number(b),
      );
      const leads: Lead[] = [];
      for (const leadId of leadIds) leads.push(await lockForChange(tx, Lead, leadId, null, ['input', 'leadIds']));
      const investigation = tx.db.create(Investigation, {
        reference: await nextReference(tx, 'INV'),
        status: InvestigationStatus.OPEN,
        summary: input.summary,
        internalNotes: input.internalNotes ?? null,
        assigneeId: assignee?.rowId ?? (tx.principal.role === Role.INVESTIGATOR ? tx.principal.rowId : null),
        closeReason: null,
        closedAt: null,
      });
      await tx.db.save(investigation);
      await auditChange(tx, 'investigation.opened', investigation, null, {
        ...investigationSnapshot(investigation),
        leadIds,
      });
      await moveLeads(tx, leads, LeadStatus.INVESTIGATING, { investigationId: investigation.rowId });
      return investigation.rowId;
    });
    return tx.db.findOneByOrFail(Investigation, { rowId: id });
  });
}

export async function recordFinding(ctx: RequestContext, input: RecordFindingInput): Promise<Finding> {
  if (!REGION.test(input.region))
    refuse(UserErrorCode.INVALID, `"${input.region}" is not an ISO 3166-2 region such as CN-ZJ.`, ['input', 'region']);
  return inTransaction(ctx, (tx) =>
    once(tx, 'recordFinding', input, Finding, async () => {
      const investigation = await lockForChange(
        tx,
        Investigation,
        decodeIdOf('Investigation', input.investigationId, 'investigationId'),
        null,
        ['input', 'investigationId'],
      );
      if (investigation.status === InvestigationStatus.CLOSED)
        refuse(UserErrorCode.INVALID_TRANSITION, `Investigation ${investigation.reference} is closed.`, [
          'input',
          'investigationId',
        ]);
      const findings = await countChildren(tx.db, 'finding', 'investigation_id', investigation.rowId);
      refuseBeyondBound(
        `Investigation ${investigation.reference}`,
        'findings',
        findings,
        1,
        MAX_FINDINGS_PER_INVESTIGATION,
        ['input', 'investigationId'],
      );
      const premises = input.premisesId
        ? await requireVisible(tx, Premises, input.premisesId, ['input', 'premisesId'])
        : null;
      if (premises && premises.region !== input.region) {
        refuse(UserErrorCode.INVALID, `The premises are in ${premises.region}, the finding in ${input.region}.`, [
          'input',
          'premisesId',
        ]);
      }
      const finding = tx.db.create(Finding, {
        investigationId: investigation.rowId,
        kind: input.kind,
        region: input.region,
        address: input.address,
        notes: input.notes ?? null,
        premisesId: premises?.rowId ?? null,
      });
      await tx.db.save(finding);
      await auditChange(tx, 'finding.recorded', finding, null, {
        investigationId: investigation.rowId,
        kind: finding.kind,
        region: finding.region,
        address: finding.address,
        premisesId: finding.premisesId,
      });
      return finding;
    }),
  );
}

/** Moves an investigation locked for change; used by this module and by the evidence and referral cascades. */
export async function moveInvestigation(
  ctx: RequestContext,
  investigation: Investigation,
  status: InvestigationStatus,
  changes: Partial<Investigation> = {},
) {
  investigationLifecycle.assert(investigation.status, status, investigation.reference);
  const before = investigationSnapshot(investigation);
  await updateVersioned(ctx, Investigation, investigation, { status, ...changes });
  await auditChange(
    ctx,
    `investigation.${status.toLowerCase()}`,
    investigation,
    before,
    investigationSnapshot(investigation),
  );
  return investigation;
}

export async function markInvestigationReady(
  ctx: RequestContext,
  input: MarkInvestigationReadyInput,
): Promise<Investigation> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'markInvestigationReady', input, Investigation, async () => {
      const investigation = await lockForChange(
        tx,
        Investigation,
        decodeIdOf('Investigation', input.investigationId, 'investigationId'),
        input.expectedVersion,
        ['input', 'investigationId'],
      );
      return moveInvestigation(tx, investigation, InvestigationStatus.READY_FOR_REFERRAL);
    }),
  );
}

/** Closes an investigation and every lead of it that is still open. */
export async function closeInvestigation(ctx: RequestContext, input: CloseInvestigationInput): Promise<Investigation> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'closeInvestigation', input, Investigation, async () => {
      const investigation = await lockForChange(
        tx,
        Investigation,
        decodeIdOf('Investigation', input.investigationId, 'investigationId'),
        input.expectedVersion,
        ['input', 'investigationId'],
      );
      await moveInvestigation(tx, investigation, InvestigationStatus.CLOSED, {
        closeReason: input.reason,
        closedAt: new Date(),
      });
      for (const lead of await openLeadsOf(tx, investigation.rowId)) {
        const reason =
          lead.status === LeadStatus.REFERRED ? LeadCloseReason.CASE_CONCLUDED : LeadCloseReason.INVESTIGATION_CLOSED;
        await closeLocked(tx, lead, reason, input.reason);
      }
      return investigation;
    }),
  );
}

/** The investigation's leads that are not closed, locked for change in id order. */
export function openLeadsOf(ctx: RequestContext, investigationId: string): Promise<Lead[]> {
  return scopedQuery(ctx, Lead)
    .andWhere('t.investigation_id = :investigationId AND t.status <> :closed', {
      investigationId,
      closed: LeadStatus.CLOSED,
    })
    .orderBy('t.id')
    .setLock('pessimistic_write', undefined, ['t'])
    .getMany();
}

export function listInvestigations(
  ctx: RequestContext,
  filter: InvestigationFilter | undefined,
  orderBy: InvestigationOrder | undefined,
  args: ConnectionArgs,
) {
  const qb = scopedQuery(ctx, Investigation);
  whereIn(qb, 'status', filter?.status);
  if (filter?.assigneeIds) {
    const ids = filter.assigneeIds.map((id) => decodeIdOf('Principal', id, 'filter.assigneeIds'));
    // Through the principals' scope: partners cannot see assignees, so cannot filter by them either.
    whereExists(ctx, qb, Principal, 'fp', (sub) => whereIn(sub.andWhere('fp.id = t.assignee_id'), 'id', ids, 'fp'));
  }
  whereDateRange(qb, 'created_at', filter?.createdAt);
  return paginate(
    ctx,
    'investigations',
    qb,
    toOrdering(investigationSortColumns, orderBy, INVESTIGATION_DEFAULT_ORDER),
    args,
  );
}
