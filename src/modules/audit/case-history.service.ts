import { ObjectLiteral } from 'typeorm';
import { AuditEvent } from '../../shared/audit/audit-event.entity.js';
import { RequestContext } from '../../shared/context.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { ConnectionArgs, OrderDirection, Page } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { CustodyTransfer } from '../evidence/custody-transfer.entity.js';
import { Evidence } from '../evidence/evidence.entity.js';
import { Finding } from '../investigation/finding.entity.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { Lead } from '../lead/lead.entity.js';
import { EnforcementOutcome } from '../referral/enforcement-outcome.entity.js';
import { ReferralEscalation } from '../referral/referral-escalation.entity.js';
import { ReferralFeedback } from '../referral/referral-feedback.entity.js';
import { Referral } from '../referral/referral.entity.js';

const HISTORY_ORDERING = {
  key: 'SEQ',
  column: 'seq',
  property: 'seq',
  direction: OrderDirection.ASC,
  tieBreaker: { column: 'seq', property: 'seq' },
};

type Source = {
  entity: { new (): ObjectLiteral; name: string };
  join?: { table: string; column: string };
  column: string;
};

/**
 * The records whose audit events make up an investigation's history: itself, its leads, findings,
 * evidence and custody transfers, referrals, their outcomes, escalations and the agencies' feedback.
 * `column` holds the investigation id, on the record or on the table it is joined to.
 */
const SOURCES: Source[] = [
  { entity: Investigation, column: 'id' },
  { entity: Lead, column: 'investigation_id' },
  { entity: Finding, column: 'investigation_id' },
  { entity: Evidence, column: 'investigation_id' },
  { entity: CustodyTransfer, join: { table: 'evidence', column: 'evidence_id' }, column: 'investigation_id' },
  { entity: Referral, column: 'investigation_id' },
  { entity: EnforcementOutcome, join: { table: 'referral', column: 'referral_id' }, column: 'investigation_id' },
  { entity: ReferralEscalation, column: 'investigation_id' },
  { entity: ReferralFeedback, column: 'investigation_id' },
];

/**
 * The audit events of an investigation and of every record of its case, in commit order: the case's
 * timeline, with the agency's feedback and escalations in it. Each record is read through the caller's
 * scope, so a caller sees the events of exactly the records it may see (a brand partner: the
 * investigation, its leads naming its brand, its sent referrals and their outcomes; an agency: what was
 * referred and disclosed to it). One statement: (entity_type, entity_id) IN (one scoped list per kind of
 * record), each an index lookup on audit_event (entity_type, entity_id, seq).
 */
export function investigationHistory(
  ctx: RequestContext,
  investigationId: string,
  args: ConnectionArgs,
): Promise<Page<AuditEvent>> {
  const params: Record<string, unknown> = { historyInvestigationId: investigationId };
  const lists = SOURCES.map(({ entity, join, column }, i) => {
    const a = `h${i}`;
    const qb = scopedQuery(ctx, entity, a).select(`'${entity.name}'::text`).addSelect(`${a}.id`);
    if (join)
      qb.innerJoin(join.table, `${a}_j`, `${a}_j.id = ${a}.${join.column}`).andWhere(
        `${a}_j.${column} = :historyInvestigationId`,
      );
    else qb.andWhere(`${a}.${column} = :historyInvestigationId`);
    Object.assign(params, qb.getParameters());
    return qb.getQuery();
  });
  const qb = ctx.db
    .createQueryBuilder(AuditEvent, 't')
    .where(`(t.entity_type, t.entity_id) IN (${lists.join(' UNION ALL ')})`, params);
  return paginate(ctx, `Investigation.history:${investigationId}`, qb, HISTORY_ORDERING, args);
}
