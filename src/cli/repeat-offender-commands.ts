import { Command, InvalidArgumentError } from 'commander';
import { print, say } from './output.js';

/** `repeat-offenders sweep`. */
export function addRepeatOffenderCommands(program: Command): void {
  const group = program
    .command('repeat-offenders')
    .description('sellers matched with earlier offenders through shared identifiers');

  group
    .command('sweep')
    .description(
      'match every offender (a closed seller, or one of a case that ended in a conviction) with the sellers already sharing an identifier with it, each new pair with a lead; prints how many were raised',
    )
    .option('--limit <N>', 'matches raised at most by this run (the next run goes on)', parseLimit, 1000)
    .addHelpText(
      'after',
      `
A pair already raised, confirmed or rejected is never raised again: running it twice raises nothing new.
A server sweeps by itself every REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS (default 300; 0: never).`,
    )
    .action(async (options: { limit: number }) => {
      const [{ withDatabase }, { sweepRepeatOffenders }] = await Promise.all([
        import('./session.js'),
        import('../modules/repeat-offender/repeat-offender-sweep.js'),
      ]);
      await withDatabase(async ({ config, dataSource }) => {
        const { raised, complete } = await sweepRepeatOffenders(dataSource, config, { maxMatches: options.limit });
        print(String(raised));
        say(
          complete
            ? `raised ${raised} repeat-offender match${raised === 1 ? '' : 'es'}; none left`
            : `raised ${raised} (the --limit): run it again for the rest`,
        );
      });
    });
}

function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > 1_000_000)
    throw new InvalidArgumentError('Give a whole number from 1 to 1000000.');
  return limit;
}
