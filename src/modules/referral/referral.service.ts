import type { GraphQLResolveInfo } from 'graphql';
import { paginateSelection } from '../../shared/data-access/selection-read.js';
import { afterAuditAppend, auditChange, insertRowsStatement } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { whereDateRange, whereIdIn, whereIn } from '../../shared/data-access/filters.js';
import { requireAllVisible, requireVisible } from '../../shared/data-access/lookup.js';
import { lockForChange, scopedQuery, updateVersioned } from '../../shared/data-access/scoped-query.js';
import { once, onceForKey } from '../../shared/idempotency.js';
import { nextReference } from '../../shared/reference.js';
import { ConnectionArgs, OrderDirection, paginate } from '../../shared/relay/connection.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { toOrdering } from '../../shared/relay/ordering.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Evidence } from '../evidence/evidence.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { Premises } from '../premises/premises.entity.js';
import { moveInvestigation, openLeadsOf } from '../investigation/investigation.service.js';
import { InvestigationStatus } from '../investigation/investigation.states.js';
import { closeLocked, moveLeads } from '../lead/lead.service.js';
import { LeadCloseReason, LeadStatus } from '../lead/lead.states.js';
import { raiseMatchesForConviction } from '../repeat-offender/repeat-offender-match.service.js';
import { COUNTED_UNITS, EnforcementOutcome, SeizedGoods } from './enforcement-outcome.entity.js';
import { ReferralChange } from './referral-change.entity.js';
import { deadlinesFor, overdueSql } from './referral.deadlines.js';
import { Referral } from './referral.entity.js';
import {
  AcknowledgeReferralInput,
  CreateReferralInput,
  DeclineReferralInput,
  RecordEnforcementOutcomeInput,
  REFERRAL_DEFAULT_ORDER,
  ReferralFilter,
  ReferralOrder,
  referralSortColumns,
  ReferralVersionInput,
  SeizedGoodsInput,
} from './referral.inputs.js';
import {
  OutcomeKind,
  ReferralChangeKind,
  referralLifecycle,
  ReferralStatus,
  statusAfterOutcome,
} from './referral.states.js';
import {
  countChildren,
  MAX_OUTCOMES_PER_REFERRAL,
  MAX_REFERRALS_PER_INVESTIGATION,
  refuseBeyondBound,
} from '../../shared/list-bounds.js';

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

const lockReferral = (ctx: RequestContext, input: ReferralVersionInput) =>
  lockForChange(ctx, Referral, decodeIdOf('Referral', input.referralId, 'referralId'), input.expectedVersion, [
    'input',
    'referralId',
  ]);

async function moveReferral(
  ctx: RequestContext,
  referral: Referral,
  status: ReferralStatus,
  changes: Partial<Referral> = {},
) {
  referralLifecycle.assert(referral.status, status, referral.reference);
  const before = referralSnapshot(referral);
  await updateVersioned(ctx, Referral, referral, { status, ...changes });
  await auditChange(ctx, `referral.${status.toLowerCase()}`, referral, before, referralSnapshot(referral));
  return referral;
}

/**
 * Appends to the agencies' sync feed, after the change's audit events and under the chain's lock, so
 * that the feed's sequence follows commit order.
 */
function recordReferralChange(
  ctx: RequestContext,
  referral: Referral,
  kind: ReferralChangeKind,
  outcomeId: string | null = null,
): void {
  afterAuditAppend(
    ctx,
    insertRowsStatement('referral_change', [
      {
        referral_id: referral.rowId,
        agency_id: referral.agencyId,
        kind,
        status: referral.status,
        outcome_id: outcomeId,
        at: new Date(),
      },
    ]),
  );
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

/** DRAFT -> SENT; the investigation and its leads move to REFERRED in the same transaction. */
export async function sendReferral(ctx: RequestContext, input: ReferralVersionInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'sendReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      const investigation = await lockForChange(tx, Investigation, referral.investigationId, null, [
        'input',
        'referralId',
      ]);
      const agency = await tx.db.findOneByOrFail(Agency, { rowId: referral.agencyId });
      const sentAt = new Date();
      // The deadlines are fixed now, from the agency's kind: later changes of the settings do not move them.
      await moveReferral(tx, referral, ReferralStatus.SENT, { sentAt, ...deadlinesFor(agency.kind, sentAt) });
      if (investigation.status === InvestigationStatus.READY_FOR_REFERRAL) {
        await moveInvestigation(tx, investigation, InvestigationStatus.REFERRED);
      } else if (investigation.status !== InvestigationStatus.REFERRED) {
        refuse(
          UserErrorCode.INVALID_TRANSITION,
          `Investigation ${investigation.reference} is ${investigation.status}: its referrals cannot be sent.`,
          ['input', 'referralId'],
        );
      }
      const leads = (await openLeadsOf(tx, investigation.rowId)).filter(
        (lead) => lead.status === LeadStatus.INVESTIGATING,
      );
      await moveLeads(tx, leads, LeadStatus.REFERRED);
      recordReferralChange(tx, referral, ReferralChangeKind.SENT);
      return referral;
    }),
  );
}

export async function acknowledgeReferral(ctx: RequestContext, input: AcknowledgeReferralInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'acknowledgeReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      await moveReferral(tx, referral, ReferralStatus.ACKNOWLEDGED, {
        acknowledgedAt: new Date(),
        agencyCaseReference: input.agencyCaseReference ?? null,
      });
      recordReferralChange(tx, referral, ReferralChangeKind.ACKNOWLEDGED);
      return referral;
    }),
  );
}

export async function declineReferral(ctx: RequestContext, input: DeclineReferralInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'declineReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      await moveReferral(tx, referral, ReferralStatus.DECLINED, {
        declineReason: input.reason,
        concludedAt: new Date(),
      });
      recordReferralChange(tx, referral, ReferralChangeKind.DECLINED);
      return referral;
    }),
  );
}

/**
 * CONVICTED | ACQUITTED | DECLINED -> CLOSED. Closing after a verdict ends the case when no other referral of
 * the investigation is still under way (see closeCaseAfterVerdict), in the same transaction.
 */
export async function closeReferral(ctx: RequestContext, input: ReferralVersionInput): Promise<Referral> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'closeReferral', input, Referral, async () => {
      const referral = await lockReferral(tx, input);
      const verdict = [ReferralStatus.CONVICTED, ReferralStatus.ACQUITTED].includes(referral.status)
        ? referral.status
        : null;
      await moveReferral(tx, referral, ReferralStatus.CLOSED, { closedAt: new Date() });
      recordReferralChange(tx, referral, ReferralChangeKind.CLOSED);
      if (verdict) await closeCaseAfterVerdict(tx, referral, verdict);
      return referral;
    }),
  );
}

/** Referral statuses with work still to come: a draft may yet be sent, a sent one is being acted on. */
export const UNDER_WAY = [
  ReferralStatus.DRAFT,
  ReferralStatus.SENT,
  ReferralStatus.ACKNOWLEDGED,
  ReferralStatus.ACTION_TAKEN,
  ReferralStatus.PROSECUTION,
];

/**
 * After a verdict's referral is closed: its investigation closes, and every lead of it still open (REFERRED),
 * with the verdicts as reason (`Verdict: REF-2026-000012 CONVICTED`; the leads' closeReason CASE_CONCLUDED),
 * audited like closeInvestigation. Not while another referral of the investigation is under way (a draft not
 * yet sent, or one sent and not concluded): closing that one after its verdict ends the case instead.
 * Concluded ones (CONVICTED, ACQUITTED, DECLINED, CLOSED) do not hold it open. A declined referral's closing
 * ends nothing: the investigation may be referred elsewhere. Lock order: the referral (held), the
 * investigation, its leads in id order.
 */
async function closeCaseAfterVerdict(ctx: RequestContext, referral: Referral, verdict: ReferralStatus): Promise<void> {
  const investigation = await lockForChange(ctx, Investigation, referral.investigationId, null, [
    'input',
    'referralId',
  ]);
  if (investigation.status === InvestigationStatus.CLOSED) return;
  const others: { reference: string; status: ReferralStatus; verdict: string | null }[] = await ctx.db.query(
    `SELECT r.reference, r.status,
            (SELECT CASE o.kind WHEN 'CONVICTION' THEN 'CONVICTED' ELSE 'ACQUITTED' END FROM enforcement_outcome o
             WHERE o.referral_id = r.id AND o.kind IN ('CONVICTION', 'ACQUITTAL') ORDER BY o.occurred_at DESC, o.id DESC LIMIT 1) AS verdict
     FROM referral r WHERE r.investigation_id = $1 AND r.id <> $2 ORDER BY r.id`,
    [investigation.rowId, referral.rowId],
  );
  if (others.some((other) => UNDER_WAY.includes(other.status))) return;
  const verdicts = [
    `${referral.reference} ${verdict}`,
    ...others.filter((o) => o.verdict).map((o) => `${o.reference} ${o.verdict}`),
  ];
  const reason = `${verdicts.length > 1 ? 'Verdicts' : 'Verdict'}: ${verdicts.join(', ')}`;
  await moveInvestigation(ctx, investigation, InvestigationStatus.CLOSED, {
    closeReason: reason,
    closedAt: new Date(),
  });
  for (const lead of await openLeadsOf(ctx, investigation.rowId)) {
    await closeLocked(ctx, lead, LeadCloseReason.CASE_CONCLUDED, reason);
  }
}

const ACTION_KINDS = [OutcomeKind.RAID, OutcomeKind.ARREST, OutcomeKind.SEIZURE, OutcomeKind.FINE];

/**
 * Records what the agency reported and moves the referral accordingly: a first raid, arrest, seizure
 * or fine means ACTION_TAKEN; a prosecution, conviction or acquittal moves it on. Further actions while
 * action is under way or prosecuted are recorded without a move.
 */
export async function recordEnforcementOutcome(
  ctx: RequestContext,
  input: RecordEnforcementOutcomeInput,
): Promise<EnforcementOutcome> {
  if (input.occurredAt.getTime() > Date.now() + 5 * 60_000)
    refuse(UserErrorCode.INVALID, 'occurredAt is in the future.', ['input', 'occurredAt']);
  const seizedGoods = input.seizedGoods ? checkSeizedGoods(input.kind, input.seizedGoods) : null;
  if (input.kind === OutcomeKind.CONVICTION && input.convictions < 1)
    refuse(UserErrorCode.INVALID, 'A CONVICTION outcome needs convictions of at least 1.', ['input', 'convictions']);
  if (input.kind === OutcomeKind.FINE && !input.fine)
    refuse(UserErrorCode.INVALID, 'A FINE outcome needs the fine amount.', ['input', 'fine']);
  if (input.valuationMethod && !input.seizedValue)
    refuse(UserErrorCode.INVALID, 'A valuation method goes with a seized value.', ['input', 'valuationMethod']);
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'recordEnforcementOutcome', input.idempotencyKey, input, async () => {
      const referral = await lockReferral(tx, input);
      const outcomes = await countChildren(tx.db, 'enforcement_outcome', 'referral_id', referral.rowId);
      refuseBeyondBound(`Referral ${referral.reference}`, 'outcomes', outcomes, 1, MAX_OUTCOMES_PER_REFERRAL, [
        'input',
        'referralId',
      ]);
      const target = statusAfterOutcome[input.kind];
      const furtherAction =
        ACTION_KINDS.includes(input.kind) &&
        [ReferralStatus.ACTION_TAKEN, ReferralStatus.PROSECUTION].includes(referral.status);
      if (!furtherAction) {
        referralLifecycle.assert(referral.status, target, referral.reference, ['input', 'kind']);
      }
      // Nothing the agency did can predate the referral: the time to first action is never negative.
      if (referral.sentAt && input.occurredAt < referral.sentAt) {
        refuse(
          UserErrorCode.INVALID,
          `occurredAt (${input.occurredAt.toISOString()}) is before referral ${referral.reference} was sent to the agency ` +
            `(${referral.sentAt.toISOString()}): an outcome of this referral happened on or after that time.`,
          ['input', 'occurredAt'],
        );
      }
      const premises = input.premisesId
        ? await requireVisible(tx, Premises, input.premisesId, ['input', 'premisesId'])
        : null;
      const outcome = tx.db.create(EnforcementOutcome, {
        referralId: referral.rowId,
        kind: input.kind,
        occurredAt: input.occurredAt,
        arrests: input.arrests,
        densDestroyed: input.densDestroyed,
        convictions: input.convictions,
        seizedValueAmount: input.seizedValue ? String(input.seizedValue.amount) : null,
        seizedValueCurrency: input.seizedValue?.currency ?? null,
        fineAmount: input.fine ? String(input.fine.amount) : null,
        fineCurrency: input.fine?.currency ?? null,
        notes: input.notes ?? null,
        recordedById: tx.principal.rowId,
        premisesId: premises?.rowId ?? null,
        region: premises?.region ?? null,
        operationId: null,
        valuationMethod: input.valuationMethod ?? null,
        seizedGoods,
      });
      await tx.db.save(outcome);
      await auditChange(tx, 'enforcementOutcome.recorded', outcome, null, {
        referralId: referral.rowId,
        kind: outcome.kind,
        occurredAt: outcome.occurredAt,
        arrests: outcome.arrests,
        densDestroyed: outcome.densDestroyed,
        convictions: outcome.convictions,
        seizedValue: input.seizedValue ?? null,
        fine: input.fine ?? null,
        ...(input.valuationMethod ? { valuationMethod: input.valuationMethod } : {}),
        ...(premises ? { premisesId: premises.rowId, region: premises.region } : {}),
        ...(seizedGoods ? { seizedGoods } : {}),
      });
      if (!furtherAction) {
        const concluded = target === ReferralStatus.CONVICTED || target === ReferralStatus.ACQUITTED;
        await moveReferral(tx, referral, target, {
          ...(target === ReferralStatus.ACTION_TAKEN ? { firstActionAt: input.occurredAt } : {}),
          ...(concluded ? { concludedAt: input.occurredAt } : {}),
        });
        // The sellers of a convicted case are offenders now: those already sharing identifiers with them are
        // matched in this transaction (as the system: an agency neither reads identifiers nor writes matches).
        if (target === ReferralStatus.CONVICTED) await raiseMatchesForConviction(tx, referral.investigationId);
      }
      recordReferralChange(tx, referral, ReferralChangeKind.OUTCOME_RECORDED, outcome.rowId);
      return outcome.rowId;
    });
    return tx.db.findOneByOrFail(EnforcementOutcome, { rowId: id });
  });
}

const MAX_SEIZED_GOODS = 50;

/** Seized goods as stored: on SEIZURE outcomes only, each with a description, a positive quantity fit for its unit. */
function checkSeizedGoods(kind: OutcomeKind, goods: SeizedGoodsInput[]): SeizedGoods[] | null {
  if (kind !== OutcomeKind.SEIZURE)
    refuse(UserErrorCode.INVALID, `seizedGoods are recorded on SEIZURE outcomes, not on ${kind}.`, [
      'input',
      'seizedGoods',
    ]);
  if (goods.length === 0) return null;
  if (goods.length > MAX_SEIZED_GOODS)
    refuse(UserErrorCode.INVALID, `At most ${MAX_SEIZED_GOODS} kinds of goods per seizure.`, ['input', 'seizedGoods']);
  return goods.map((item, index) => {
    const field = ['input', 'seizedGoods', String(index)];
    const description = item.description.trim();
    if (!description || description.length > 500)
      refuse(UserErrorCode.INVALID, 'A description of 1 to 500 characters says what the goods are.', [
        ...field,
        'description',
      ]);
    const counted = COUNTED_UNITS.includes(item.unit);
    if (!Number.isFinite(item.quantity) || item.quantity <= 0 || item.quantity > 1e12) {
      refuse(UserErrorCode.INVALID, 'The quantity must be more than 0 (and at most 10^12).', [...field, 'quantity']);
    }
    // Three decimals at most, read as a person wrote them (1.001 is 1000.9999999999999 thousandths in binary).
    if (
      counted
        ? !Number.isInteger(item.quantity)
        : Math.abs(Math.round(item.quantity * 1000) - item.quantity * 1000) > 1e-6
    ) {
      refuse(
        UserErrorCode.INVALID,
        counted ? `${item.unit} is counted: a whole number.` : `${item.unit} is measured to three decimals at most.`,
        [...field, 'quantity'],
      );
    }
    return { description, quantity: item.quantity, unit: item.unit };
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
