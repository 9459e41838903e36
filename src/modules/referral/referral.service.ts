// A referral's creation (a draft disclosing evidence of one investigation to one agency), its snapshot for
// the audit trail, and the lists: referrals, and the agencies' feed of referral changes. The moves of its
// lifecycle are in referral-lifecycle.service.ts, the outcomes the agency reports in enforcement-outcome.service.ts.
import type { GraphQLResolveInfo } from 'graphql';
import { paginateSelection } from '../../shared/data-access/selection-read.js';
import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIdIn, whereIn } from '../../shared/data-access/filters.js';
import { requireAllVisible, requireVisible } from '../../shared/data-access/lookup.js';
import { lockForChange, scopedQuery } from '../../shared/data-access/scoped-query.js';
import { onceForKey } from '../../shared/idempotency.js';
import { nextReference } from '../../shared/reference.js';
import { ConnectionArgs, OrderDirection } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Evidence } from '../evidence/evidence.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { InvestigationStatus } from '../investigation/investigation.states.js';
import { ReferralChange } from './referral-change.entity.js';
import { overdueSql } from './referral.deadlines.js';
import { Referral } from './referral.entity.js';
import {
  CreateReferralInput,
  REFERRAL_DEFAULT_ORDER,
  ReferralFilter,
  ReferralOrder,
  referralSortColumns,
} from './referral.inputs.js';
import { ReferralStatus } from './referral.states.js';
import { countChildren, MAX_REFERRALS_PER_INVESTIGATION, refuseBeyondBound } from '../../shared/list-bounds.js';

export function referralSnapshot(referral: Referral) {
  const {
    reference,
    status,
    agencyId,
    investigationId,
    agencyCaseReference,
    declineReason,
    acknowledgeBy,
    actionBy,
    version,
  } = referral;
  return {
    reference,
    status,
    agencyId,
    investigationId,
    agencyCaseReference,
    declineReason,
    acknowledgeBy,
    actionBy,
    version,
  };
}

export async function createReferral(ctx: RequestContext, input: CreateReferralInput): Promise<Referral> {
  if (input.evidenceIds.length === 0)
    refuse(UserErrorCode.INVALID, 'Disclose at least one evidence item.', ['input', 'evidenceIds']);
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'createReferral', input.idempotencyKey, input, async () => {
      const investigation = await lockForChange(
        tx,
        Investigation,
        decodeIdOf('Investigation', input.investigationId, 'investigationId'),
        null,
        ['input', 'investigationId'],
      );
      if (![InvestigationStatus.READY_FOR_REFERRAL, InvestigationStatus.REFERRED].includes(investigation.status)) {
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `Investigation ${investigation.reference} is ${investigation.status}: only a READY_FOR_REFERRAL or REFERRED investigation can be referred.`,
          ['input', 'investigationId'],
        );
      }
      const referrals = await countChildren(tx.db, 'referral', 'investigation_id', investigation.rowId);
      refuseBeyondBound(
        `Investigation ${investigation.reference}`,
        'referrals',
        referrals,
        1,
        MAX_REFERRALS_PER_INVESTIGATION,
        ['input', 'investigationId'],
      );
      const agency = await requireVisible(tx, Agency, input.agencyId, ['input', 'agencyId']);
      const evidence = await requireAllVisible(tx, Evidence, input.evidenceIds, ['input', 'evidenceIds']);
      const foreign = evidence.find((item) => item.investigationId !== investigation.rowId);
      if (foreign)
        refuse(UserErrorCode.INVALID, `Evidence ${foreign.globalId} belongs to another investigation.`, [
          'input',
          'evidenceIds',
        ]);
      const referral = tx.db.create(Referral, {
        reference: await nextReference(tx, 'REF'),
        investigationId: investigation.rowId,
        agencyId: agency.rowId,
        status: ReferralStatus.DRAFT,
        summary: input.summary,
        agencyCaseReference: null,
        declineReason: null,
        sentAt: null,
        acknowledgedAt: null,
        firstActionAt: null,
        concludedAt: null,
        closedAt: null,
      });
      await tx.db.save(referral);
      await tx.db.query(`INSERT INTO referral_evidence (referral_id, evidence_id) SELECT $1, unnest($2::bigint[])`, [
        referral.rowId,
        evidence.map((e) => e.rowId),
      ]);
      await auditChange(tx, 'referral.created', referral, null, {
        ...referralSnapshot(referral),
        evidenceIds: evidence.map((e) => e.rowId),
      });
      return referral.rowId;
    });
    return tx.db.findOneByOrFail(Referral, { rowId: id });
  });
}

/** The referrals the caller may see; with `info`, the selection is read in one statement when it can be (selection-sql.ts). */
export function listReferrals(
  ctx: RequestContext,
  filter: ReferralFilter | undefined,
  orderBy: ReferralOrder | undefined,
  args: ConnectionArgs,
  info?: GraphQLResolveInfo,
) {
  const qb = scopedQuery(ctx, Referral);
  whereIn(qb, 'status', filter?.status);
  whereIdIn(qb, 'agency_id', 'Agency', filter?.agencyIds, 'filter.agencyIds');
  whereIdIn(qb, 'investigation_id', 'Investigation', filter?.investigationIds, 'filter.investigationIds');
  whereDateRange(qb, 'created_at', filter?.createdAt);
  whereDateRange(qb, 'sent_at', filter?.sentAt);
  if (filter?.overdue === true) qb.andWhere(overdueSql('t'));
  if (filter?.overdue === false) qb.andWhere(`NOT ${overdueSql('t')}`);
  return paginateSelection(
    ctx,
    info,
    'referrals',
    qb,
    toOrdering(referralSortColumns, orderBy, REFERRAL_DEFAULT_ORDER),
    args,
  );
}

const FEED_ORDERING = {
  key: 'SEQ',
  column: 'seq',
  property: 'seq',
  direction: OrderDirection.ASC,
  tieBreaker: { column: 'seq', property: 'seq' },
};

/** Every change of the caller's referrals after the cursor, in commit order. */
export function referralChanges(ctx: RequestContext, args: ConnectionArgs) {
  return paginate(ctx, 'referralChanges', scopedQuery(ctx, ReferralChange), FEED_ORDERING, args);
}
