import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Config } from '../../shared/config.js';
import { applyScope } from '../../shared/auth/scope.js';
import { inTransaction, RequestContext, systemContext } from '../../shared/context.js';
import { startPeriodic } from '../../shared/periodic.js';
import { sweepOnce } from './repeat-offender-match.service.js';
import { repeatOffenderSettings } from './repeat-offender.settings.js';

export interface SweepOptions {
  /** Matches raised at most by this run (the next run goes on); default 1,000. */
  maxMatches?: number;
  /** Pairs raised per transaction: short transactions, each committed on its own; default 50. */
  perTransaction?: number;
}

export interface SweepResult {
  raised: number;
  /** False when the run stopped at `maxMatches` with pairs left for the next run. */
  complete: boolean;
}

/**
 * The scheduled sweep: raises a match, with its lead, for every pair of an offender (a CLOSED seller, or one
 * named by a case that ended in a conviction) and a seller already sharing an identifier with it, not CLOSED,
 * never matched with it before. Idempotent: a pair already raised, confirmed or rejected is never raised again,
 * so a sweep that finds nothing new does nothing. Run by a server every REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS
 * and by `eca repeat-offenders sweep`. It catches what no change raised in its own transaction: a seller
 * closed (the seller service does not sweep), identifiers linked by the re-keying of version 2, data loaded
 * by `seed`.
 */
export async function sweepRepeatOffenders(
  dataSource: DataSource,
  config: Config,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const maxMatches = options.maxMatches ?? 1000;
  const perTransaction = options.perTransaction ?? 50;
  const ctx = systemContext(dataSource, config, 'repeat-offender sweep');
  let raised = 0;
  while (raised < maxMatches) {
    const limit = Math.min(perTransaction, maxMatches - raised);
    const matches = await inTransaction(ctx, async (tx) => {
      await internalScope(tx);
      return sweepOnce(tx, limit);
    });
    raised += matches.length;
    if (matches.length < limit) return { raised, complete: true };
  }
  return { raised, complete: false };
}

/** The server's connections are subject to row-level security: the sweep reads and writes as the internal scope. */
async function internalScope(ctx: RequestContext): Promise<void> {
  await applyScope(ctx.db, ctx.scope);
}

/**
 * A server's sweeps: one every REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS (none when 0), never two at once, the
 * first one interval after start. `stop` ends the timer and waits for a sweep under way.
 */
export function startRepeatOffenderSweeps(
  dataSource: DataSource,
  config: Config,
  logger: Logger,
): { stop(): Promise<void> } {
  return startPeriodic(
    repeatOffenderSettings().sweepIntervalMs,
    async () => {
      const { raised, complete } = await sweepRepeatOffenders(dataSource, config);
      if (raised) logger.info({ raised, complete }, 'repeat-offender sweep raised matches');
    },
    (error) => logger.error({ err: error }, 'repeat-offender sweep failed; the next one tries again'),
  );
}
