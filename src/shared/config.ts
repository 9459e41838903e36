import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { boolean, decodeKey, integer, limitOrOff, oneOf, parseUrl } from './config-values.js';
import { ed25519KeyFromSeed, ed25519PublicKey, parseSigningKey, rawPublicKey } from './ed25519-keys.js';
import { EvidenceStorageConfig, evidenceStorageConfig } from './storage/evidence-storage-config.js';

// Configuration comes from the environment only, validated once at start so that a bad value
// stops the process with a message naming the variable instead of failing later mid-request.
// Every variable is documented in `.env.example`.

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  /** The API's own login (not the owner's: src/database/logins.ts). Unset: an embedded PostgreSQL is started under `dataDir`. */
  databaseUrl?: string;
  /**
   * The owner's login: migrations, seeding and the command line (which falls back to `databaseUrl` without
   * it). The server migrates with it at start outside production, and refuses it in production.
   */
  migrationDatabaseUrl?: string;
  dataDir: string;
  poolSize: number;
  /** How long to wait for a new database connection, or for a free one from the pool, before failing. */
  databaseConnectTimeoutMs: number;
  /** PostgreSQL `statement_timeout` of the server's connections; 0 turns it off. */
  statementTimeoutMs: number;
  /** Client-side bound on waiting for one statement's answer: a frozen database cannot hold a request longer. */
  queryTimeoutMs: number;
  /** On SIGTERM, how long requests in flight may take to finish before their connections are cut. */
  shutdownGraceMs: number;
  /** Key of the HMAC that turns seller identifiers into linkable, non-reversible hashes. */
  identifierHashKey: string;
  /** AES-256-GCM key of pagination cursors (src/shared/relay/cursor.ts): new cursors are made under it. */
  cursorKey: Buffer;
  /** Retired cursor keys, still accepted for decoding, so that a rotation does not break the cursors clients keep. */
  cursorOldKeys: Buffer[];
  introspection: boolean;
  /** Whether a read's selection is compiled into one SQL statement per root field (src/shared/data-access/selection-sql.ts). */
  compileSelections: boolean;
  /** Whether the browser pages are served: the GraphQL IDE (GET /graphql from a browser) and the analytics dashboard. */
  graphqlIde: boolean;
  /** Bearer token that `GET /metrics` requires; unset: /metrics is served without one in development only, not at all otherwise. */
  metricsToken?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Per-document limits checked before a query runs (src/http/query-limits.ts); refused as QUERY_LIMIT_EXCEEDED. */
  queryLimits: QueryLimits;
  /** Per-API-key budget of query cost (src/http/rate-limit.ts); over it, RATE_LIMITED with HTTP 429. */
  rateLimit: RateLimitConfig;
  /** The audit log's signing key and checkpoints (src/shared/audit/, README "Verifying the audit log"). */
  audit: AuditConfig;
  /** Evidence files: size limit, storage (local folder or S3 bucket), encryption key (src/shared/storage/). */
  evidenceStorage: EvidenceStorageConfig;
}

export interface AuditConfig {
  /** Ed25519 key that signs every appended audit event and every checkpoint; never stored in the database. */
  signingKey: KeyObject;
  /** Id of that key, stored with what it signs (default: the first 16 hex digits of SHA-256 of its public key). */
  keyId: string;
  /** Every public key that verifies, by id: the current one and the retired ones (AUDIT_OLD_PUBLIC_KEYS). */
  publicKeys: Map<string, KeyObject>;
  /** A checkpoint is signed once this many events were appended since the last one... */
  checkpointEvery: number;
  /** ... or, if the log grew at all, after this many seconds. */
  checkpointSeconds: number;
}

export interface QueryLimits {
  /** Request bodies above this size are refused (413) before they are parsed. */
  maxBodyBytes: number;
  // null: the limit is off.
  /** Characters of the query text. */
  maxQueryChars: number | null;
  /** Lexical tokens of the query document (graphql-js stops parsing past it). */
  maxTokens: number | null;
  /** Nesting of fields (fragments count as the fields they contain). */
  maxDepth: number | null;
  /** Aliased fields, `__typename` included. */
  maxAliases: number | null;
  /** Directives, anywhere in the document. */
  maxDirectives: number | null;
  /** Calculated cost of one operation (a connection costs `first` times its node selection). */
  maxCost: number | null;
}

export interface RateLimitConfig {
  /** The bucket: cost points a key may spend at once (`throttleStatus.maximumAvailable`); null: no rate limit. */
  maximumAvailable: number | null;
  /** Points given back per second (`throttleStatus.restoreRate`). */
  restoreRate: number;
  /** Shared buckets in Redis when set; in this process's memory otherwise. */
  redisUrl?: string;
  redisKeyPrefix: string;
}

export const DEMO_IDENTIFIER_HASH_KEY = 'demo-identifier-hash-key-do-not-use-in-production';
/**
 * Not a secret: the cursor key outside production, derived from a fixed text so that every development or
 * test instance, and the same one after a restart, reads the cursors of the others (refused in production).
 */
export const DEMO_CURSOR_KEY = createHash('sha256')
  .update('eca demo cursor key: do not use in production')
  .digest('hex');
/**
 * Not a secret: the seed of the audit log's Ed25519 signing key outside production, derived from a fixed text
 * so that every development or test instance signs with the same key (refused in production).
 */
export const DEMO_AUDIT_SIGNING_SEED = createHash('sha256')
  .update('eca demo audit signing key: do not use in production')
  .digest('base64');
/** The password of the embedded demo PostgreSQL (src/database/embedded.ts): never a production secret. */
const DEMO_DATABASE_PASSWORD = 'postgres';

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  // An empty variable (`PORT=` in an env file) means "unset", as if it were absent.
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

  const nodeEnv = oneOf(
    get('NODE_ENV') ?? 'development',
    ['development', 'production', 'test'] as const,
    'NODE_ENV',
    problems,
  );
  const production = nodeEnv === 'production';
  const port = integer(get('PORT') ?? '4000', 'PORT', 0, 65535, problems);
  const poolSize = integer(get('DATABASE_POOL_SIZE') ?? '10', 'DATABASE_POOL_SIZE', 1, 500, problems);
  const databaseConnectTimeoutMs = integer(
    get('DATABASE_CONNECT_TIMEOUT_MS') ?? '5000',
    'DATABASE_CONNECT_TIMEOUT_MS',
    100,
    60_000,
    problems,
  );
  const statementTimeoutMs = integer(
    get('DATABASE_STATEMENT_TIMEOUT_MS') ?? '15000',
    'DATABASE_STATEMENT_TIMEOUT_MS',
    0,
    3_600_000,
    problems,
  );
  // Past the statement timeout (PostgreSQL cancels first when it can answer at all), so that it fires only for a hung database.
  const queryTimeoutMs = integer(
    get('DATABASE_QUERY_TIMEOUT_MS') ?? String(statementTimeoutMs > 0 ? statementTimeoutMs + 2000 : 30_000),
    'DATABASE_QUERY_TIMEOUT_MS',
    100,
    3_600_000,
    problems,
  );
  const shutdownGraceMs = integer(get('SHUTDOWN_GRACE_MS') ?? '10000', 'SHUTDOWN_GRACE_MS', 0, 600_000, problems);
  const logLevel = oneOf(
    get('LOG_LEVEL') ?? 'info',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
    'LOG_LEVEL',
    problems,
  );
  const compileSelections = boolean(
    get('GRAPHQL_COMPILE_SELECTIONS') ?? 'true',
    'GRAPHQL_COMPILE_SELECTIONS',
    problems,
  );
  const introspection = boolean(
    get('GRAPHQL_INTROSPECTION') ?? (production ? 'false' : 'true'),
    'GRAPHQL_INTROSPECTION',
    problems,
  );
  const graphqlIde = boolean(get('GRAPHQL_IDE') ?? (production ? 'false' : 'true'), 'GRAPHQL_IDE', problems);
  const metricsToken = get('METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{32,}$/.test(metricsToken)) {
    problems.push(
      `METRICS_TOKEN must be at least 32 printable characters without spaces (e.g. \`openssl rand -hex 32\`), got ${metricsToken.length} characters`,
    );
  }
  // Per-document limits; `off` turns one off (for trusted batch tools and test harnesses, not for a public API).
  const queryLimits: QueryLimits = {
    maxBodyBytes: integer(
      get('GRAPHQL_MAX_BODY_BYTES') ?? '1000000',
      'GRAPHQL_MAX_BODY_BYTES',
      1_000,
      100_000_000,
      problems,
    ),
    maxQueryChars: limitOrOff(
      get('GRAPHQL_MAX_QUERY_CHARS') ?? '10000',
      'GRAPHQL_MAX_QUERY_CHARS',
      100,
      10_000_000,
      problems,
    ),
    maxTokens: limitOrOff(get('GRAPHQL_MAX_TOKENS') ?? '2000', 'GRAPHQL_MAX_TOKENS', 50, 1_000_000, problems),
    maxDepth: limitOrOff(get('GRAPHQL_MAX_DEPTH') ?? '8', 'GRAPHQL_MAX_DEPTH', 2, 1_000, problems),
    maxAliases: limitOrOff(get('GRAPHQL_MAX_ALIASES') ?? '15', 'GRAPHQL_MAX_ALIASES', 0, 100_000, problems),
    maxDirectives: limitOrOff(get('GRAPHQL_MAX_DIRECTIVES') ?? '10', 'GRAPHQL_MAX_DIRECTIVES', 0, 100_000, problems),
    maxCost: limitOrOff(get('GRAPHQL_MAX_COST') ?? '150000', 'GRAPHQL_MAX_COST', 1, 100_000_000, problems),
  };
  const rateLimit: RateLimitConfig = {
    maximumAvailable: limitOrOff(
      get('RATE_LIMIT_MAXIMUM_AVAILABLE') ?? '600000',
      'RATE_LIMIT_MAXIMUM_AVAILABLE',
      1,
      1_000_000_000,
      problems,
    ),
    restoreRate: integer(
      get('RATE_LIMIT_RESTORE_RATE') ?? '30000',
      'RATE_LIMIT_RESTORE_RATE',
      1,
      1_000_000_000,
      problems,
    ),
    redisUrl: get('REDIS_URL'),
    redisKeyPrefix: get('REDIS_KEY_PREFIX') ?? 'eca:cost:',
  };
  if (
    rateLimit.maximumAvailable !== null &&
    (queryLimits.maxCost === null || rateLimit.maximumAvailable < queryLimits.maxCost)
  ) {
    problems.push(
      `RATE_LIMIT_MAXIMUM_AVAILABLE (${rateLimit.maximumAvailable}) must be at least GRAPHQL_MAX_COST (${queryLimits.maxCost ?? 'off'}): a query over the bucket could never run`,
    );
  }

  // Values of secrets are never repeated in messages: they end up in terminals and log collectors.
  const databaseUrl = get('DATABASE_URL');
  const migrationDatabaseUrl = get('MIGRATION_DATABASE_URL');
  for (const [name, value] of [
    ['DATABASE_URL', databaseUrl],
    ['MIGRATION_DATABASE_URL', migrationDatabaseUrl],
  ] as const) {
    if (!value) continue;
    const url = parseUrl(value);
    if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || !url.hostname) {
      problems.push(`${name} must be a URL such as postgres://user:password@host:5432/database`);
    } else if (production && decodeURIComponent(url.password) === DEMO_DATABASE_PASSWORD) {
      problems.push(`${name} uses the demo password "postgres": set a password of your own in production`);
    }
  }
  // The command line of a production migration step may have the owner's URL alone; the server checks for its own.
  if (production && !databaseUrl && !migrationDatabaseUrl) {
    problems.push('DATABASE_URL is required in production (the embedded demo database is for development only)');
  }

  const identifierHashKey = get('IDENTIFIER_HASH_KEY') ?? (production ? '' : DEMO_IDENTIFIER_HASH_KEY);
  if (production && (!identifierHashKey || identifierHashKey === DEMO_IDENTIFIER_HASH_KEY)) {
    problems.push('IDENTIFIER_HASH_KEY must be set to a secret of your own in production (the demo key is refused)');
  } else if (identifierHashKey.length < 32) {
    problems.push(`IDENTIFIER_HASH_KEY must be at least 32 characters long (it has ${identifierHashKey.length})`);
  }

  const demoCursorKey = Buffer.from(DEMO_CURSOR_KEY, 'hex');
  const rawCursorKey = get('CURSOR_KEY') ?? (production ? undefined : DEMO_CURSOR_KEY);
  let cursorKey: Buffer = demoCursorKey;
  if (rawCursorKey === undefined) {
    problems.push('CURSOR_KEY is required in production (32 random bytes, hex or base64, e.g. `openssl rand -hex 32`)');
  } else {
    const key = decodeKey(rawCursorKey);
    if (!key)
      problems.push(
        `CURSOR_KEY must be 32 bytes written as hex (64 characters) or base64 (44 characters), got ${rawCursorKey.length} characters`,
      );
    else if (production && key.equals(demoCursorKey))
      problems.push('CURSOR_KEY must be a secret of your own in production (the demo key is refused)');
    else cursorKey = key;
  }
  const cursorOldKeys: Buffer[] = [];
  for (const [i, raw] of (get('CURSOR_OLD_KEYS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const key = decodeKey(raw);
    if (!key)
      problems.push(
        `CURSOR_OLD_KEYS must be a comma-separated list of keys of 32 bytes, each hex (64 characters) or base64 (44 characters); key ${i + 1} has ${raw.length} characters`,
      );
    else if (production && key.equals(demoCursorKey))
      problems.push(
        'CURSOR_OLD_KEYS holds the demo cursor key: refused in production (anyone could make cursors with it)',
      );
    else if (key.equals(cursorKey) || cursorOldKeys.some((old) => old.equals(key)))
      problems.push(`CURSOR_OLD_KEYS key ${i + 1} is the current CURSOR_KEY or another old key again`);
    else cursorOldKeys.push(key);
  }

  const audit = auditConfig(get, production, problems);
  const evidenceStorage = evidenceStorageConfig(get, production, get('DATA_DIR') ?? '.data', problems);

  if (rateLimit.redisUrl) {
    const url = parseUrl(rateLimit.redisUrl);
    if (!url || !['redis:', 'rediss:'].includes(url.protocol) || !url.hostname)
      problems.push('REDIS_URL must be a URL such as redis://host:6379 or rediss://user:password@host:6380/0');
  }

  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    nodeEnv,
    port,
    databaseUrl,
    migrationDatabaseUrl,
    dataDir: get('DATA_DIR') ?? '.data',
    poolSize,
    databaseConnectTimeoutMs,
    statementTimeoutMs,
    queryTimeoutMs,
    shutdownGraceMs,
    identifierHashKey,
    cursorKey,
    cursorOldKeys,
    introspection,
    compileSelections,
    graphqlIde,
    metricsToken,
    logLevel,
    queryLimits,
    rateLimit,
    audit,
    evidenceStorage,
  };
}

const AUDIT_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * AUDIT_SIGNING_KEY (PKCS#8 PEM, or a 32-byte seed in base64 or hex), AUDIT_SIGNING_KEY_ID,
 * AUDIT_OLD_PUBLIC_KEYS (`id:key,id:key`, each key the 32 raw bytes of a retired public key in base64 or
 * hex), AUDIT_CHECKPOINT_EVERY, AUDIT_CHECKPOINT_SECONDS. The key is required in production, where the
 * demo key is refused, also among the old keys: anyone can sign with it.
 */
function auditConfig(get: (name: string) => string | undefined, production: boolean, problems: string[]): AuditConfig {
  const demoKey = ed25519KeyFromSeed(Buffer.from(DEMO_AUDIT_SIGNING_SEED, 'base64'));
  const demoPublic = rawPublicKey(demoKey);
  const raw = get('AUDIT_SIGNING_KEY') ?? (production ? undefined : DEMO_AUDIT_SIGNING_SEED);
  let signingKey = demoKey;
  if (raw === undefined) {
    problems.push(
      'AUDIT_SIGNING_KEY is required in production: an Ed25519 private key, PKCS#8 PEM (`openssl genpkey -algorithm ed25519`) or a 32-byte seed in base64 or hex (docs/operations.md, "The audit signing key")',
    );
  } else {
    const key = parseSigningKey(raw);
    if (!key)
      problems.push(
        'AUDIT_SIGNING_KEY must be an Ed25519 private key: PKCS#8 PEM (-----BEGIN PRIVATE KEY-----, newlines may be written \\n) or a 32-byte seed in base64 (44 characters) or hex (64 characters)',
      );
    else if (production && rawPublicKey(key).equals(demoPublic))
      problems.push('AUDIT_SIGNING_KEY must be a key of your own in production (the demo key is refused)');
    else signingKey = key;
  }
  const currentPublic = rawPublicKey(signingKey);
  const keyId = get('AUDIT_SIGNING_KEY_ID') ?? createHash('sha256').update(currentPublic).digest('hex').slice(0, 16);
  if (!AUDIT_KEY_ID.test(keyId)) problems.push('AUDIT_SIGNING_KEY_ID must be 1 to 64 letters, digits, ".", "-" or "_"');
  const publicKeys = new Map<string, KeyObject>([[keyId, createPublicKey(signingKey)]]);
  for (const [i, entry] of (get('AUDIT_OLD_PUBLIC_KEYS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, Math.max(separator, 0));
    const key = separator > 0 ? decodeKey(entry.slice(separator + 1)) : null;
    if (!AUDIT_KEY_ID.test(id) || !key)
      problems.push(
        `AUDIT_OLD_PUBLIC_KEYS must be a comma-separated list of id:key, each key the 32 bytes of an Ed25519 public key in base64 or hex (as GET /audit/keys shows it); entry ${i + 1} is not`,
      );
    else if (publicKeys.has(id))
      problems.push(`AUDIT_OLD_PUBLIC_KEYS names the key id "${id}" twice (or the current AUDIT_SIGNING_KEY_ID)`);
    else if (key.equals(currentPublic))
      problems.push(`AUDIT_OLD_PUBLIC_KEYS entry "${id}" is the public key of the current AUDIT_SIGNING_KEY`);
    else if (production && key.equals(demoPublic))
      problems.push('AUDIT_OLD_PUBLIC_KEYS holds the demo public key: refused in production (anyone can sign with it)');
    else publicKeys.set(id, ed25519PublicKey(key));
  }
  return {
    signingKey,
    keyId,
    publicKeys,
    checkpointEvery: integer(
      get('AUDIT_CHECKPOINT_EVERY') ?? '1000',
      'AUDIT_CHECKPOINT_EVERY',
      1,
      10_000_000,
      problems,
    ),
    checkpointSeconds: integer(
      get('AUDIT_CHECKPOINT_SECONDS') ?? '60',
      'AUDIT_CHECKPOINT_SECONDS',
      1,
      86_400,
      problems,
    ),
  };
}
