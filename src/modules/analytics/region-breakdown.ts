import { RequestContext } from '../../shared/context.js';
import { ResolvedFilter, Statement } from '../../shared/data-access/statement.js';
import { Lead } from '../lead/lead.entity.js';
import {
  filteredOutcomes,
  funnelColumns,
  leadStages,
  outcomeColumns,
  OutcomeRow,
  STAGES,
  toFunnel,
  toOutcomeTotals,
} from './analytics.service.js';
import { leadConditions, onlyRegions } from './analytics.sql.js';
import { RegionFigures } from './analytics.types.js';
import { rollupAsOf } from './rollup-refresh.js';

/**
 * The funnel per region of the leads' sellers. The region of a lead is the region of each of its sellers (a lead
 * without sellers has none): one row per lead and region in lead_region, kept by triggers in the writes'
 * transactions (migration 1764200100000), instead of each lead-seller link's seller read through the seller policy.
 *
 * An internal caller whose filter names at most regions reads `region_funnel`, the same counts over every lead,
 * refreshed on the servers' schedule (migration 1764700200000), and is told when (`funnelAsOf`): counted live,
 * every lead was joined to its regions in a plan chosen for the ~700 leads the lead policy's estimate expects,
 * not the 90,000 at scale 10 (170-200 ms). Before the rollup's first refresh, and for everyone else, live.
 */
async function regionFunnels(ctx: RequestContext, filter: ResolvedFilter) {
  const s = new Statement(ctx, filter);
  const filtersAtMostRegions =
    !filter.from && !filter.to && !filter.brandIds && !filter.platforms && !filter.agencyIds && !filter.leadSources;
  if (s.internal && filtersAtMostRegions) {
    const funnelAsOf = await rollupAsOf(ctx, 'region_funnel');
    if (funnelAsOf) {
      const columns = STAGES.flatMap((stage, i) => {
        const column = stage.toLowerCase();
        return [`${column} AS "${stage}"`, ...(i > 0 ? [`${column}_from_previous AS "${stage}_from_previous"`] : [])];
      });
      const funnelRows = await s.rows<Record<string, unknown>>(
        `SELECT region, ${columns.join(', ')} FROM region_funnel WHERE ${onlyRegions(s, 'region')}`,
      );
      return { funnelRows, funnelAsOf };
    }
  }
  const funnelRows = await s.rows<Record<string, unknown>>(`
    SELECT f.region, ${funnelColumns('f.')}
    FROM (SELECT l.*, lr.region FROM ${leadStages(s)} l JOIN lead_region lr ON lr.lead_id = l.id
          WHERE ${onlyRegions(s, 'lr.region')}) f
    GROUP BY f.region`);
  return { funnelRows, funnelAsOf: null };
}

export async function regionBreakdown(ctx: RequestContext, filter: ResolvedFilter): Promise<RegionFigures[]> {
  const { funnelRows, funnelAsOf } = await regionFunnels(ctx, filter);

  // An outcome counts in each region of the leads (of the filter, visible) behind its referral; its money
  // (seized value, fine) is split between those regions, equally to the minor unit, the units left over
  // going one each to its regions in alphabetical order: the regions' money adds up to the total once.
  // The split is over all of the case's regions, whatever the regions filter lists.
  const outcomes = new Statement(ctx, filter);
  const regionsOfInvestigations = outcomes
    .scoped(Lead, 'rl')
    .innerJoin('lead_region', 'rl_r', 'rl_r.lead_id = rl.id')
    .select('rl.investigation_id', 'investigation_id')
    .addSelect('rl_r.region', 'region')
    .distinct(true)
    .andWhere(
      `rl.investigation_id IS NOT NULL AND ${leadConditions(outcomes, 'rl', { period: false, agencies: false, regions: false })}`,
    )
    // Only the investigations with outcomes (of the filter): a few thousand of the 23,000 at scale 10.
    .andWhere('rl.investigation_id IN (SELECT oc.investigation_id FROM oc)');
  const part = (amount: string) =>
    `(${amount} / ir.regions + CASE WHEN ir.region_rank <= ${amount} % ir.regions THEN 1 ELSE 0 END)`;
  const outcomeRows = await outcomes.rows<OutcomeRow>(`
    WITH oc AS MATERIALIZED ${filteredOutcomes(outcomes)}
    SELECT ir.region, ${outcomeColumns({ seized: part('o.seized_amount'), fine: part('o.fine_amount') })}
    FROM oc o
    JOIN (SELECT x.investigation_id, x.region, row_number() OVER (PARTITION BY x.investigation_id ORDER BY x.region) AS region_rank,
                 count(*) OVER (PARTITION BY x.investigation_id) AS regions
          FROM ${outcomes.derived(regionsOfInvestigations)} x) ir ON ir.investigation_id = o.investigation_id
    WHERE ${onlyRegions(outcomes, 'ir.region')}
    GROUP BY GROUPING SETS ((ir.region), (ir.region, o.seized_currency), (ir.region, o.fine_currency))`);

  const regions = [
    ...new Set([...funnelRows.map((row) => String(row.region)), ...outcomeRows.map((row) => String(row.region))]),
  ].sort();
  return regions.map((region) =>
    Object.assign(new RegionFigures(), {
      region,
      funnel: toFunnel(funnelRows.find((row) => row.region === region)),
      funnelAsOf,
      outcomes: toOutcomeTotals(outcomeRows.filter((row) => row.region === region)),
    }),
  );
}
