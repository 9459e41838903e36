// The analyst, typed: the enforcement funnel, the repeat offenders and the referrals past a deadline.
//
//   npm run codegen && npx tsc -p examples/clients && node dist/examples/clients/analyst.js
import {
  AnalystOverviewDocument,
  OverdueReferralsDocument,
  type AnalystOverviewQuery,
  type AnalyticsFilter,
  type OverdueReferralsQuery,
} from '../generated/graphql.js';
import { commandLineSettings, createApiClient, paginate, present, type ApiClientOptions } from './api-client.js';

export interface AnalystOptions extends ApiClientOptions {
  filter?: AnalyticsFilter;
  /** How many repeat offenders (default 10). */
  offenders?: number;
  /** Overdue referrals per page (1-100; default 100). */
  pageSize?: number;
}

export interface AnalystResult {
  analytics: NonNullable<AnalystOverviewQuery['analytics']>;
  overdue: NonNullable<OverdueReferralsQuery['referrals']>['nodes'];
  overdueTotal: number;
  pages: number;
}

export async function runAnalyst(options: AnalystOptions): Promise<AnalystResult> {
  const api = createApiClient(options);
  const analytics = present(
    (await api.query(AnalystOverviewDocument, { filter: options.filter ?? null, offenders: options.offenders ?? 10 }))
      .analytics,
    'analytics',
  );
  let overdueTotal = 0;
  const { nodes: overdue, pages } = await paginate(async (after) => {
    const referrals = present(
      (await api.query(OverdueReferralsDocument, { first: options.pageSize ?? 100, after })).referrals,
      'referrals',
    );
    overdueTotal = referrals.totalCount;
    return referrals;
  });
  return { analytics, overdue, overdueTotal, pages };
}

if (require.main === module) {
  runAnalyst(commandLineSettings('ANALYST')).then(
    ({ analytics, overdue }) => {
      console.log(`as of ${analytics.asOf}`);
      for (const stage of analytics.enforcementFunnel.stages) {
        const rate =
          stage.conversionFromPrevious === null ? '' : ` (${(stage.conversionFromPrevious * 100).toFixed(1)}%)`;
        console.log(`${stage.stage.padEnd(13)} ${String(stage.count).padStart(6)}${rate}`);
      }
      for (const o of analytics.repeatOffenders.sellers)
        console.log(
          `repeat offender ${o.seller.displayName} (${o.seller.region}): ${o.strikes} strike(s), ${o.leads} lead(s)`,
        );
      for (const a of analytics.overdueReferrals)
        console.log(`${a.agency.code}: ${a.overdue} of ${a.waiting} waiting referral(s) overdue`);
      for (const r of overdue)
        console.log(`overdue ${r.reference} ${r.status} at ${r.agency?.code ?? '?'}: missed ${r.missedDeadline}`);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
