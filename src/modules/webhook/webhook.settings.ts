import { SettingsError } from '../../shared/settings.js';

/**
 * Settings of webhook delivery, read from the environment like src/shared/settings.ts (every problem named
 * with its variable); read once and cached.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | WEBHOOK_WORKER | on | `off`: this server delivers no webhooks (another process does: `eca webhooks work`) |
 * | WEBHOOK_MAX_ATTEMPTS | 8 | attempts of one delivery before it is dead-lettered (DEAD) and the next one proceeds |
 * | WEBHOOK_TIMEOUT_MS | 10000 | how long a receiver has to answer one attempt |
 * | WEBHOOK_BACKOFF_BASE_MS, WEBHOOK_BACKOFF_MAX_MS | 1000, 3600000 | retry n waits a random time up to min(max, base * 2^(n-1)) (full jitter) |
 * | WEBHOOK_POLL_MS | 1000 | how often the worker looks for new events and due deliveries |
 * | WEBHOOK_SECRET_OVERLAP_HOURS | 24 | after a rotation, how long the previous secret still signs (two v1 values) |
 * | WEBHOOK_DEADLINE_NOTICE_HOURS | 24 | REFERRAL_DEADLINE_APPROACHING this long before a referral's deadline; 0: never |
 * | WEBHOOK_RETENTION_DAYS | 30 | delivered and dead-lettered deliveries, and events no delivery waits for, are deleted after this |
 */
export interface WebhookSettings {
  worker: boolean;
  maxAttempts: number;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  pollMs: number;
  secretOverlapMs: number;
  deadlineNoticeMs: number;
  retentionMs: number;
}

const NUMBERS: [keyof WebhookSettings, string, number, number, number, number][] = [
  // field, variable, default, minimum, maximum, unit in ms
  ['maxAttempts', 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 100, 1],
  ['timeoutMs', 'WEBHOOK_TIMEOUT_MS', 10_000, 1, 120_000, 1],
  ['backoffBaseMs', 'WEBHOOK_BACKOFF_BASE_MS', 1000, 0, 3_600_000, 1],
  ['backoffMaxMs', 'WEBHOOK_BACKOFF_MAX_MS', 3_600_000, 0, 86_400_000, 1],
  ['pollMs', 'WEBHOOK_POLL_MS', 1000, 10, 600_000, 1],
  ['secretOverlapMs', 'WEBHOOK_SECRET_OVERLAP_HOURS', 24, 0, 720, 3_600_000],
  ['deadlineNoticeMs', 'WEBHOOK_DEADLINE_NOTICE_HOURS', 24, 0, 720, 3_600_000],
  ['retentionMs', 'WEBHOOK_RETENTION_DAYS', 30, 1, 3650, 86_400_000],
];

export function loadWebhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const problems: string[] = [];
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const worker = get('WEBHOOK_WORKER') ?? 'on';
  if (worker !== 'on' && worker !== 'off') problems.push(`WEBHOOK_WORKER must be on or off, got "${worker}"`);
  const settings = { worker: worker !== 'off' } as WebhookSettings;
  for (const [field, variable, fallback, min, max, unit] of NUMBERS) {
    const raw = get(variable) ?? String(fallback);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max)
      problems.push(`${variable} must be a whole number from ${min} to ${max}, got "${raw}"`);
    (settings as unknown as Record<string, number | boolean>)[field] = value * unit;
  }
  if (problems.length) throw new SettingsError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return settings;
}

let cached: WebhookSettings | undefined;

/** The settings of this process, read from its environment once. */
export function webhookSettings(): WebhookSettings {
  cached ??= loadWebhookSettings(process.env);
  return cached;
}
