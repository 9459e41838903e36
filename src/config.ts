// Configuration comes from the environment only, validated once at start so that a bad value
// stops the process with a message naming the variable instead of failing later mid-request.

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  /** Unset: an embedded PostgreSQL is started under `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
  /** Key of the HMAC that turns seller identifiers into linkable, non-reversible hashes. */
  identifierHashKey: string;
  introspection: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

export const DEMO_IDENTIFIER_HASH_KEY = 'demo-identifier-hash-key-do-not-use-in-production';

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const nodeEnv = oneOf(env.NODE_ENV ?? 'development', ['development', 'production', 'test'] as const, 'NODE_ENV', problems);
  const port = integer(env.PORT ?? '4000', 'PORT', 0, 65535, problems);
  const poolSize = integer(env.DATABASE_POOL_SIZE ?? '10', 'DATABASE_POOL_SIZE', 1, 500, problems);
  const logLevel = oneOf(env.LOG_LEVEL ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'LOG_LEVEL', problems);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const identifierHashKey = env.IDENTIFIER_HASH_KEY || (nodeEnv === 'production' ? '' : DEMO_IDENTIFIER_HASH_KEY);
  if (nodeEnv === 'production' && (!identifierHashKey || identifierHashKey === DEMO_IDENTIFIER_HASH_KEY)) {
    problems.push('IDENTIFIER_HASH_KEY must be set to a secret of your own in production (the demo key is refused)');
  } else if (identifierHashKey.length < 32) {
    problems.push('IDENTIFIER_HASH_KEY must be at least 32 characters long');
  }
  const introspection = boolean(env.GRAPHQL_INTROSPECTION ?? (nodeEnv === 'production' ? 'false' : 'true'), 'GRAPHQL_INTROSPECTION', problems);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    nodeEnv,
    port,
    databaseUrl,
    dataDir: env.DATA_DIR || '.data',
    poolSize,
    identifierHashKey,
    introspection,
    logLevel,
  };
}

function integer(raw: string, name: string, min: number, max: number, problems: string[]): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

function oneOf<T extends string>(raw: string, allowed: readonly T[], name: string, problems: string[]): T {
  if (!allowed.includes(raw as T)) problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function boolean(raw: string, name: string, problems: string[]): boolean {
  if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}
