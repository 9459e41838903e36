import type { Logger } from 'pino';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../../shared/context.js';
import { startPeriodic } from '../../shared/periodic.js';
import { SettingsError } from '../../shared/settings.js';

/**
 * The schedule of the refreshed analytics rollups (seller networks, offences per scope: docs/analytics.md,
 * "Rollups"). Every server calls `refresh_analytics_rollups(max_age)` every ANALYTICS_ROLLUP_REFRESH_SECONDS
 * (default 900; 0: never); the function does nothing when the rollups are younger than that (another server
 * refreshed them) and lets one refresh run at a time (advisory lock), so several servers refresh once per
 * interval between them. Reads never refresh: each answer says how fresh it is (`asOf`).
 */
export function rollupRefreshIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ANALYTICS_ROLLUP_REFRESH_SECONDS || '900';
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds > 86_400) {
    throw new SettingsError(
      `Invalid configuration:\n  - ANALYTICS_ROLLUP_REFRESH_SECONDS must be a whole number of seconds from 0 (never) to 86400, got "${raw}"`,
    );
  }
  return seconds * 1000;
}

/**
 * One refresh on a pooled connection of its own, without the request limits (statement timeout, client
 * timeout): at scale 10 a refresh takes 20 s to a few minutes, which no request may.
 */
export async function refreshRollupsIfOlderThan(dataSource: DataSource, maxAgeMs: number): Promise<number> {
  const [client, release] = (await dataSource.driver.obtainMasterConnection()) as [PoolClient, () => void];
  // pg takes a query_timeout per query (its typings do not list it): an hour, over the pool's request-sized one.
  const query = (text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> =>
    client.query({ text, values, query_timeout: 3_600_000 } as { text: string; values?: unknown[] });
  try {
    await query('BEGIN');
    await query('SET LOCAL statement_timeout = 0');
    const { rows } = await query('SELECT refresh_analytics_rollups(make_interval(secs => $1)) AS refreshed', [
      maxAgeMs / 1000,
    ]);
    await query('COMMIT');
    return Number(rows[0].refreshed);
  } catch (error) {
    await query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    release();
  }
}

/** A server's refreshes: one check every interval (none when 0), never two at once. `stop` waits for one under way. */
export function startRollupRefreshes(dataSource: DataSource, logger: Logger): { stop(): Promise<void> } {
  const intervalMs = rollupRefreshIntervalMs();
  return startPeriodic(
    intervalMs,
    async () => {
      // Slightly younger than the interval counts as fresh: the servers' timers drift, one refresh per interval.
      const refreshed = await refreshRollupsIfOlderThan(dataSource, intervalMs * 0.9);
      if (refreshed > 0) logger.info({ networkRows: refreshed }, 'analytics rollups refreshed');
    },
    (error) => logger.error({ err: error }, 'analytics rollup refresh failed; the next one tries again'),
  );
}

/** The rollups that `refresh_analytics_rollups` refreshes, by their name in `analytics_rollup`. */
export type Rollup =
  | 'seller_network'
  | 'seller_offence'
  | 'scoped_seller_offence'
  | 'network_offence'
  | 'reporter_accuracy_day'
  | 'region_funnel';

/** When a rollup was last refreshed (by the schedule, the seed or the migration that created it), null if never. */
export async function rollupAsOf(ctx: RequestContext, rollup: Rollup): Promise<Date | null> {
  const [row] = await ctx.db.query('SELECT refreshed_at FROM analytics_rollup WHERE name = $1', [rollup]);
  return row ? new Date(row.refreshed_at) : null;
}
