import { SettingsError } from '../../shared/settings.js';

/**
 * Settings of repeat-offender matching, read from the environment and validated like src/shared/settings.ts
 * (every problem named with its variable); read once and cached.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | REPEAT_OFFENDER_SANCTION | inherit | what confirming a match does to the new seller: `inherit` the earlier seller's status (CLOSED for a closed one), at least SUSPENDED; `suspend`: SUSPENDED; `none`: nothing. Never lowers a status |
 * | REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS | 300 | how often a server sweeps for offenders already sharing identifiers with other sellers; 0: never (the command line's `repeat-offenders sweep` still does) |
 */
export enum RepeatOffenderSanction {
  INHERIT = 'inherit',
  SUSPEND = 'suspend',
  NONE = 'none',
}

export interface RepeatOffenderSettings {
  sanction: RepeatOffenderSanction;
  /** Milliseconds between two sweeps of a server; 0: no timer. */
  sweepIntervalMs: number;
}

const MAX_INTERVAL_SECONDS = 86_400;

export function loadRepeatOffenderSettings(env: NodeJS.ProcessEnv = process.env): RepeatOffenderSettings {
  const problems: string[] = [];
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const sanctionRaw = get('REPEAT_OFFENDER_SANCTION') ?? RepeatOffenderSanction.INHERIT;
  const sanctions = Object.values(RepeatOffenderSanction) as string[];
  if (!sanctions.includes(sanctionRaw))
    problems.push(`REPEAT_OFFENDER_SANCTION must be one of ${sanctions.join(', ')}, got "${sanctionRaw}"`);
  const intervalRaw = get('REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS') ?? '300';
  const interval = Number(intervalRaw);
  if (!/^\d+$/.test(intervalRaw) || interval > MAX_INTERVAL_SECONDS) {
    problems.push(
      `REPEAT_OFFENDER_SWEEP_INTERVAL_SECONDS must be a whole number of seconds from 0 (no sweeps) to ${MAX_INTERVAL_SECONDS}, got "${intervalRaw}"`,
    );
  }
  if (problems.length) throw new SettingsError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return { sanction: sanctionRaw as RepeatOffenderSanction, sweepIntervalMs: interval * 1000 };
}

let cached: RepeatOffenderSettings | undefined;

/** The settings of this process, read from its environment once. */
export function repeatOffenderSettings(): RepeatOffenderSettings {
  cached ??= loadRepeatOffenderSettings(process.env);
  return cached;
}
