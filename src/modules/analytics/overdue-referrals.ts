import { Ctx, Field, FieldResolver, Float, Int, ObjectType, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { Agency } from '../agency/agency.entity.js';
import { acknowledgementOverdueSql, actionOverdueSql, overdueSql } from '../referral/referral.deadlines.js';
import { Referral } from '../referral/referral.entity.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { inPeriod, referralConditions } from './analytics.sql.js';
import { Analytics } from './analytics.types.js';

/** The deadlines of one agency's open referrals. */
@ObjectType({
  description:
    "One agency's referrals that still wait for it (SENT or ACKNOWLEDGED), and how many of them are past a deadline.",
})
export class AgencyDeadlineFigures {
  @Field(() => Agency, { description: 'The agency these figures are for.' })
  agency!: Agency;

  @Field(() => Int, {
    description: 'Referrals waiting for its acknowledgement or first action (SENT or ACKNOWLEDGED).',
  })
  waiting!: number;

  @Field(() => Int, { description: 'Of those, past a deadline (`Referral.overdue`).' })
  overdue!: number;

  @Field(() => Int, { description: 'Still SENT after `acknowledgeBy`.' })
  acknowledgementOverdue!: number;

  @Field(() => Int, { description: 'No first action (nor decline) after `actionBy`.' })
  actionOverdue!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'The longest lateness among them, in days: since the earliest deadline missed, acknowledgement or action (a referral late on both counts ' +
      'from the earlier of the two); null when none is overdue.',
  })
  longestOverdueDays!: number | null;
}

interface Row {
  agency_id: string;
  waiting: string;
  overdue: string;
  acknowledgement_overdue: string;
  action_overdue: string;
  longest_days: string | null;
}

/**
 * Per agency, over the referrals you may see (a brand partner: those behind its leads; an agency: its own)
 * sent in the period and matching the filter: one statement, grouped in PostgreSQL, most overdue first.
 */
export async function overdueReferrals(ctx: RequestContext, filter: ResolvedFilter): Promise<AgencyDeadlineFigures[]> {
  const s = new Statement(ctx, filter);
  const r = 'r';
  const referrals = s
    .scoped(Referral, r)
    .select(`${r}.agency_id`, 'agency_id')
    .addSelect(`${r}.status`, 'status')
    .addSelect(`${r}.acknowledge_by`, 'acknowledge_by')
    .addSelect(`${r}.action_by`, 'action_by')
    .addSelect(overdueSql(r), 'overdue')
    .addSelect(acknowledgementOverdueSql(r), 'acknowledgement_overdue')
    .addSelect(actionOverdueSql(r), 'action_overdue')
    .andWhere(`${r}.status IN ('SENT', 'ACKNOWLEDGED')`)
    .andWhere([...inPeriod(s, `${r}.sent_at`), referralConditions(s, r)].join(' AND ') || 'TRUE');
  // A referral's earliest missed deadline: either may be missed alone, or both (least() skips a NULL).
  // While it is SENT the acknowledgement deadline, usually the earlier, is missed first: 40 days late on
  // it and 10 on the action deadline is 40 days late.
  const earliestMissed =
    'least(CASE WHEN x.acknowledgement_overdue THEN x.acknowledge_by END, CASE WHEN x.action_overdue THEN x.action_by END)';
  const rows = await s.rows<Row>(`
    SELECT x.agency_id::text, count(*) AS waiting, count(*) FILTER (WHERE x.overdue) AS overdue,
           count(*) FILTER (WHERE x.acknowledgement_overdue) AS acknowledgement_overdue, count(*) FILTER (WHERE x.action_overdue) AS action_overdue,
           extract(epoch FROM now() - min(${earliestMissed})) / 86400.0 AS longest_days
    FROM ${s.derived(referrals)} x
    GROUP BY x.agency_id
    ORDER BY count(*) FILTER (WHERE x.overdue) DESC, count(*) DESC, x.agency_id`);
  const agencies = await Promise.all(rows.map((row) => loadById(ctx, Agency, row.agency_id)));
  return rows.flatMap((row, i) =>
    agencies[i]
      ? [
          {
            agency: agencies[i]!,
            waiting: Number(row.waiting),
            overdue: Number(row.overdue),
            acknowledgementOverdue: Number(row.acknowledgement_overdue),
            actionOverdue: Number(row.action_overdue),
            longestOverdueDays: row.longest_days === null ? null : Math.round(Number(row.longest_days) * 1000) / 1000,
          },
        ]
      : [],
  );
}

type AnalyticsRoot = Analytics & { resolved: ResolvedFilter };

@Resolver(() => Analytics)
export class OverdueReferralsResolver {
  @FieldResolver(() => [AgencyDeadlineFigures], {
    description:
      'Per agency: referrals waiting for it (sent in the period) and how many are past their acknowledgement or action deadline, most overdue first.',
  })
  overdueReferrals(@Root() root: AnalyticsRoot, @Ctx() ctx: RequestContext): Promise<AgencyDeadlineFigures[]> {
    return overdueReferrals(ctx, root.resolved);
  }
}
