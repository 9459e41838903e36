import { ConfigError, loadConfig } from '../../src/config';

/** The query limits and rate limit settings: defaults, every variable read, bad values named, secrets never echoed. */

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('query limits and rate limit configuration', () => {
  it('has defaults that fit the canonical client queries', () => {
    const { queryLimits, rateLimit } = loadConfig({});
    expect(queryLimits).toEqual({
      maxBodyBytes: 1_000_000,
      maxQueryChars: 10_000,
      maxTokens: 2000,
      maxDepth: 8,
      maxAliases: 15,
      maxDirectives: 10,
      maxCost: 150_000,
    });
    expect(rateLimit).toEqual({
      maximumAvailable: 600_000,
      restoreRate: 30_000,
      redisUrl: undefined,
      redisKeyPrefix: 'eca:cost:',
    });
  });

  it('reads every variable, and `off` turns a limit off', () => {
    const config = loadConfig({
      GRAPHQL_MAX_BODY_BYTES: '2000000',
      GRAPHQL_MAX_QUERY_CHARS: 'off',
      GRAPHQL_MAX_TOKENS: '1000',
      GRAPHQL_MAX_DEPTH: '6',
      GRAPHQL_MAX_ALIASES: '0',
      GRAPHQL_MAX_DIRECTIVES: 'off',
      GRAPHQL_MAX_COST: '1000',
      RATE_LIMIT_MAXIMUM_AVAILABLE: '2000',
      RATE_LIMIT_RESTORE_RATE: '100',
      REDIS_URL: 'rediss://api:s3cret@cache.internal:6380/2',
      REDIS_KEY_PREFIX: 'eca-prod:',
    });
    expect(config.queryLimits).toEqual({
      maxBodyBytes: 2_000_000,
      maxQueryChars: null,
      maxTokens: 1000,
      maxDepth: 6,
      maxAliases: 0,
      maxDirectives: null,
      maxCost: 1000,
    });
    expect(config.rateLimit).toEqual({
      maximumAvailable: 2000,
      restoreRate: 100,
      redisUrl: 'rediss://api:s3cret@cache.internal:6380/2',
      redisKeyPrefix: 'eca-prod:',
    });
    expect(
      loadConfig({ RATE_LIMIT_MAXIMUM_AVAILABLE: 'off', GRAPHQL_MAX_COST: 'off' }).rateLimit.maximumAvailable,
    ).toBeNull();
  });

  it('names every bad value, and never repeats the Redis URL (it may hold a password)', () => {
    const message = problemsOf({
      GRAPHQL_MAX_BODY_BYTES: 'off',
      GRAPHQL_MAX_TOKENS: '10',
      GRAPHQL_MAX_DEPTH: 'deep',
      GRAPHQL_MAX_ALIASES: '-1',
      GRAPHQL_MAX_COST: '1.5',
      RATE_LIMIT_RESTORE_RATE: '0',
      REDIS_URL: 'http://user:hunter2@cache:6379',
    });
    for (const name of [
      'GRAPHQL_MAX_BODY_BYTES',
      'GRAPHQL_MAX_TOKENS',
      'GRAPHQL_MAX_DEPTH',
      'GRAPHQL_MAX_ALIASES',
      'GRAPHQL_MAX_COST',
      'RATE_LIMIT_RESTORE_RATE',
      'REDIS_URL',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('hunter2');
  });

  it('refuses a bucket smaller than the most a query may cost, or a bucket without a cost limit', () => {
    expect(problemsOf({ RATE_LIMIT_MAXIMUM_AVAILABLE: '1000', GRAPHQL_MAX_COST: '5000' })).toMatch(
      /RATE_LIMIT_MAXIMUM_AVAILABLE \(1000\) must be at least GRAPHQL_MAX_COST \(5000\)/,
    );
    expect(problemsOf({ GRAPHQL_MAX_COST: 'off' })).toMatch(/GRAPHQL_MAX_COST \(off\)/);
  });
});
