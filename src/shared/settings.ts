import { AgencyKind } from './agency-kind.js';

/**
 * Settings of the case features (referral deadlines, the encryption of seller identifiers), read from
 * the environment like src/shared/config.ts and validated the same way: every problem is named with its
 * variable, values of secrets are never repeated. Kept apart from config.ts so that the features own
 * their settings; `featureSettings()` is read once (when the schema is built, so that a bad value stops
 * the server at start) and cached.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | DEADLINE_ACK_DAYS | 5 | days an agency has to acknowledge a sent referral |
 * | DEADLINE_ACTION_DAYS | 60 | days an agency has to report a first action (raid, arrest, seizure, fine) |
 * | DEADLINE_ACK_DAYS_<KIND>, DEADLINE_ACTION_DAYS_<KIND> | the two above | the same for one agency kind, e.g. DEADLINE_ACK_DAYS_CUSTOMS |
 * | IDENTIFIER_ENCRYPTION_KEY | a demo key outside production | AES-256-GCM key of raw seller identifiers: 32 bytes, base64 or hex; required in production |
 * | IDENTIFIER_ENCRYPTION_KEY_ID | k1 | id of that key, stored with every value it encrypts |
 * | IDENTIFIER_ENCRYPTION_OLD_KEYS | none | retired keys still needed to decrypt older values: `id:key,id:key` |
 * | FAST_TRACK_ACCURACY | 0.9 | reporter accuracy (confirmed / decided reports) from which a brand's reports are triaged first |
 * | FAST_TRACK_MIN_DECIDED | 10 | decided reports (leads) a brand needs, within the window, before its accuracy counts |
 * | FAST_TRACK_WINDOW_DAYS | 365 | reports made in the last this many days count for the fast track (a rolling window) |
 * | STRIKES_TO_WARN, STRIKES_TO_RESTRICT, STRIKES_TO_SUSPEND | 1, 3, 5 | active strikes from which a seller is WARNED, RESTRICTED, SUSPENDED |
 * | STRIKE_SAME_LISTING_WINDOW_DAYS | 30 | a listing taken down again within this many days of its last strike counts no new strike |
 * | STRIKE_EXPIRY_DAYS | 365 | days a strike stays active (counts towards the thresholds) after its takedown |
 *
 * What these numbers mean, and the rules around them: docs/enforcement-policy.md and
 * src/modules/enforcement-policy/enforcement-policy.ts.
 */
export interface DeadlineSettings {
  acknowledgeDays: Record<AgencyKind, number>;
  actionDays: Record<AgencyKind, number>;
}

export interface IdentifierEncryptionSettings {
  /** Id of the key new values are encrypted with. */
  currentKeyId: string;
  /** Every key that can decrypt: the current one and retired ones, by id. */
  keys: Map<string, Buffer>;
}

export interface FastTrackSettings {
  /** Accuracy (0-1) from which a brand's reports go to the front of the triage queue. */
  accuracy: number;
  /** Decided reports (leads) a brand needs, within the window, before its accuracy counts. */
  minDecided: number;
  /** Reports made in the last this many days count (a rolling window). */
  windowDays: number;
}

export interface StrikeSettings {
  /** Active strikes from which a seller is WARNED, RESTRICTED, SUSPENDED (non-decreasing). */
  toWarn: number;
  toRestrict: number;
  toSuspend: number;
  /** A listing taken down again within this many days of its last (kept) strike counts no new strike. */
  sameListingWindowDays: number;
  /** Days a strike counts (is active) after its takedown. */
  expiryDays: number;
}

export interface FeatureSettings {
  deadlines: DeadlineSettings;
  identifierEncryption: IdentifierEncryptionSettings;
  fastTrack: FastTrackSettings;
  strikes: StrikeSettings;
}

export class SettingsError extends Error {}

/** Not a secret: the key the demo and the tests encrypt with outside production (refused in production). */
export const DEMO_IDENTIFIER_ENCRYPTION_KEY = Buffer.from('demo-identifier-encryption-key!!', 'utf8').toString(
  'base64',
);
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_DAYS = 3650;

export function loadFeatureSettings(env: NodeJS.ProcessEnv = process.env): FeatureSettings {
  const problems: string[] = [];
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const production = get('NODE_ENV') === 'production';

  const days = (name: string, fallback: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1 || value > MAX_DAYS) {
      problems.push(`${name} must be a whole number of days from 1 to ${MAX_DAYS}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const acknowledgeDefault = days('DEADLINE_ACK_DAYS', 5);
  const actionDefault = days('DEADLINE_ACTION_DAYS', 60);
  const acknowledgeDays = {} as Record<AgencyKind, number>;
  const actionDays = {} as Record<AgencyKind, number>;
  for (const kind of Object.values(AgencyKind)) {
    acknowledgeDays[kind] = days(`DEADLINE_ACK_DAYS_${kind}`, acknowledgeDefault);
    actionDays[kind] = days(`DEADLINE_ACTION_DAYS_${kind}`, actionDefault);
    if (actionDays[kind] < acknowledgeDays[kind]) {
      problems.push(
        `the action deadline of ${kind} agencies (${actionDays[kind]} days) is shorter than their acknowledgement deadline (${acknowledgeDays[kind]} days)`,
      );
    }
  }

  const keys = new Map<string, Buffer>();
  const currentKeyId = get('IDENTIFIER_ENCRYPTION_KEY_ID') ?? 'k1';
  if (!KEY_ID.test(currentKeyId))
    problems.push('IDENTIFIER_ENCRYPTION_KEY_ID must be 1 to 32 letters, digits, "-" or "_"');
  const rawKey = get('IDENTIFIER_ENCRYPTION_KEY') ?? (production ? undefined : DEMO_IDENTIFIER_ENCRYPTION_KEY);
  if (rawKey === undefined) {
    problems.push('IDENTIFIER_ENCRYPTION_KEY is required in production (32 random bytes, base64 or hex)');
  } else if (production && rawKey === DEMO_IDENTIFIER_ENCRYPTION_KEY) {
    problems.push('IDENTIFIER_ENCRYPTION_KEY must be a secret of your own in production (the demo key is refused)');
  } else {
    const key = decodeKey(rawKey);
    if (!key)
      problems.push(
        'IDENTIFIER_ENCRYPTION_KEY must be 32 bytes written as base64 (44 characters) or hex (64 characters)',
      );
    else keys.set(currentKeyId, key);
  }
  for (const entry of (get('IDENTIFIER_ENCRYPTION_OLD_KEYS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, Math.max(separator, 0));
    const key = separator > 0 ? decodeKey(entry.slice(separator + 1)) : null;
    if (!KEY_ID.test(id) || !key)
      problems.push(
        'IDENTIFIER_ENCRYPTION_OLD_KEYS must be a comma-separated list of id:key (each key 32 bytes, base64 or hex)',
      );
    else if (keys.has(id))
      problems.push(`IDENTIFIER_ENCRYPTION_OLD_KEYS names the key id "${id}" twice (or the current key id)`);
    else keys.set(id, key);
  }

  const accuracyRaw = get('FAST_TRACK_ACCURACY') ?? '0.9';
  const accuracy = Number(accuracyRaw);
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(accuracyRaw))
    problems.push(`FAST_TRACK_ACCURACY must be a share from 0 to 1 (e.g. 0.9), got "${accuracyRaw}"`);
  const minDecidedRaw = get('FAST_TRACK_MIN_DECIDED') ?? '10';
  const minDecided = Number(minDecidedRaw);
  if (!/^\d+$/.test(minDecidedRaw) || minDecided < 1 || minDecided > 1_000_000)
    problems.push(`FAST_TRACK_MIN_DECIDED must be a whole number from 1 to 1000000, got "${minDecidedRaw}"`);
  const windowDays = days('FAST_TRACK_WINDOW_DAYS', 365);

  const count = (name: string, fallback: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1 || value > 1000) {
      problems.push(`${name} must be a whole number of strikes from 1 to 1000, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const strikes: StrikeSettings = {
    toWarn: count('STRIKES_TO_WARN', 1),
    toRestrict: count('STRIKES_TO_RESTRICT', 3),
    toSuspend: count('STRIKES_TO_SUSPEND', 5),
    sameListingWindowDays: days('STRIKE_SAME_LISTING_WINDOW_DAYS', 30),
    expiryDays: days('STRIKE_EXPIRY_DAYS', 365),
  };
  if (!(strikes.toWarn <= strikes.toRestrict && strikes.toRestrict <= strikes.toSuspend)) {
    problems.push(
      `the strike thresholds must not decrease: STRIKES_TO_WARN (${strikes.toWarn}) <= STRIKES_TO_RESTRICT (${strikes.toRestrict}) <= STRIKES_TO_SUSPEND (${strikes.toSuspend})`,
    );
  }
  if (strikes.sameListingWindowDays > strikes.expiryDays) {
    problems.push(
      `STRIKE_SAME_LISTING_WINDOW_DAYS (${strikes.sameListingWindowDays}) must not exceed STRIKE_EXPIRY_DAYS (${strikes.expiryDays}): a listing's strike would expire while it still stops a new one`,
    );
  }

  if (problems.length) throw new SettingsError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    deadlines: { acknowledgeDays, actionDays },
    identifierEncryption: { currentKeyId, keys },
    fastTrack: { accuracy, minDecided, windowDays },
    strikes,
  };
}

function decodeKey(raw: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(raw) || /^[A-Za-z0-9_-]{43}$/.test(raw)) {
    const key = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}

let cached: FeatureSettings | undefined;

/** The settings of this process, read from its environment once. */
export function featureSettings(): FeatureSettings {
  cached ??= loadFeatureSettings(process.env);
  return cached;
}
