/** Parsers of the settings' text values: each adds a message naming the variable to `problems` when it fails. */

export function integer(raw: string, name: string, min: number, max: number, problems: string[]): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** A limit: a whole number in range, or `off` (null). */
export function limitOrOff(raw: string, name: string, min: number, max: number, problems: string[]): number | null {
  if (raw === 'off') return null;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    problems.push(`${name} must be a whole number from ${min} to ${max}, or off, got "${raw}"`);
  return value;
}

export function oneOf<T extends string>(raw: string, allowed: readonly T[], name: string, problems: string[]): T {
  if (!allowed.includes(raw as T)) problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function boolean(raw: string, name: string, problems: string[]): boolean {
  if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

/** A key of 32 bytes written as hex or base64 (as IDENTIFIER_ENCRYPTION_KEY in src/shared/settings.ts), or null. */
export function decodeKey(raw: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(raw) || /^[A-Za-z0-9_-]{43}$/.test(raw)) {
    const key = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}

export function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}
