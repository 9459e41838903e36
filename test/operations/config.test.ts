import { ConfigError, DEMO_IDENTIFIER_HASH_KEY, loadConfig } from '../../src/config';

const SECRET = 'a-production-secret-of-at-least-32-characters';
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://api:s3cret@db.internal:5432/enforcement',
  IDENTIFIER_HASH_KEY: SECRET,
  CURSOR_KEY: 'c0'.repeat(32),
  AUDIT_SIGNING_KEY: 'a5'.repeat(32),
  EVIDENCE_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    expect(loadConfig({})).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      databaseUrl: undefined,
      dataDir: '.data',
      poolSize: 10,
      databaseConnectTimeoutMs: 5000,
      statementTimeoutMs: 15000,
      shutdownGraceMs: 10000,
      identifierHashKey: DEMO_IDENTIFIER_HASH_KEY,
      introspection: true,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...PRODUCTION,
      PORT: '8080',
      DATA_DIR: '/var/lib/eca',
      DATABASE_POOL_SIZE: '25',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      SHUTDOWN_GRACE_MS: '30000',
      GRAPHQL_INTROSPECTION: 'true',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      databaseUrl: PRODUCTION.DATABASE_URL,
      dataDir: '/var/lib/eca',
      poolSize: 25,
      databaseConnectTimeoutMs: 2000,
      statementTimeoutMs: 0,
      shutdownGraceMs: 30000,
      identifierHashKey: SECRET,
      introspection: true,
      logLevel: 'warn',
    });
  });

  it('turns introspection off in production unless asked for', () => {
    expect(loadConfig(PRODUCTION).introspection).toBe(false);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '', DATABASE_URL: '' })).toMatchObject({
      port: 4000,
      logLevel: 'info',
      databaseUrl: undefined,
    });
  });

  it('names every bad variable at once, with what was expected', () => {
    const message = problemsOf({
      NODE_ENV: 'staging',
      PORT: '70000',
      DATABASE_POOL_SIZE: '0',
      DATABASE_CONNECT_TIMEOUT_MS: 'soon',
      DATABASE_STATEMENT_TIMEOUT_MS: '-1',
      SHUTDOWN_GRACE_MS: '1.5',
      LOG_LEVEL: 'verbose',
      GRAPHQL_INTROSPECTION: 'yes',
      DATABASE_URL: 'mysql://localhost/x',
      IDENTIFIER_HASH_KEY: 'short',
    });
    expect(message).toContain('NODE_ENV must be one of development, production, test, got "staging"');
    expect(message).toContain('PORT must be a whole number from 0 to 65535, got "70000"');
    expect(message).toContain('DATABASE_POOL_SIZE must be a whole number from 1 to 500, got "0"');
    expect(message).toContain('DATABASE_CONNECT_TIMEOUT_MS must be a whole number from 100 to 60000, got "soon"');
    expect(message).toContain('DATABASE_STATEMENT_TIMEOUT_MS must be a whole number from 0 to 3600000, got "-1"');
    expect(message).toContain('SHUTDOWN_GRACE_MS must be a whole number from 0 to 600000, got "1.5"');
    expect(message).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"');
    expect(message).toContain('GRAPHQL_INTROSPECTION must be true or false, got "yes"');
    expect(message).toContain('DATABASE_URL must be a URL such as postgres://');
    expect(message).toContain('IDENTIFIER_HASH_KEY must be at least 32 characters long (it has 5)');
  });

  it('never repeats a secret in its messages', () => {
    const message = problemsOf({
      DATABASE_URL: 'postgres//user:hunter2-password@db/x',
      IDENTIFIER_HASH_KEY: 'tooshort-secret-value',
    });
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('tooshort-secret-value');
  });

  describe('in production', () => {
    it('refuses the demo identifier key, or none', () => {
      expect(problemsOf({ ...PRODUCTION, IDENTIFIER_HASH_KEY: DEMO_IDENTIFIER_HASH_KEY })).toContain(
        'IDENTIFIER_HASH_KEY must be set to a secret of your own in production',
      );
      const { IDENTIFIER_HASH_KEY: _key, ...withoutKey } = PRODUCTION;
      expect(problemsOf(withoutKey)).toContain('IDENTIFIER_HASH_KEY must be set to a secret of your own in production');
    });

    it('refuses the embedded demo database and its password', () => {
      const { DATABASE_URL: _url, ...withoutUrl } = PRODUCTION;
      expect(problemsOf(withoutUrl)).toContain('DATABASE_URL is required in production');
      expect(problemsOf({ ...PRODUCTION, DATABASE_URL: 'postgres://postgres:postgres@db:5432/enforcement' })).toContain(
        'DATABASE_URL uses the demo password',
      );
    });

    it('accepts the demo password outside production', () => {
      expect(loadConfig({ DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:5432/x' }).databaseUrl).toBe(
        'postgres://postgres:postgres@127.0.0.1:5432/x',
      );
    });
  });
});
