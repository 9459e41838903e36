import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../shared/config.js';

/**
 * Per-API-key budgets of query cost: a leaky bucket like Shopify's calculated query cost. A key's bucket
 * holds up to `maximumAvailable` points and gets `restoreRate` points back per second; an operation
 * whose cost is more than what is left is refused (nothing is taken) and told when to retry.
 *
 * The buckets live in this process's memory, or in Redis when REDIS_URL is set, so that every instance
 * of the API draws on the same budget. Each take is one Lua script (atomic in Redis) that refills by the
 * time elapsed on Redis's own clock, so instances with skewed clocks agree. While Redis cannot be
 * reached, the instance falls back to its own memory buckets (logged), rather than refusing every caller.
 */
export interface Throttle {
  allowed: boolean;
  /** Points left after this take (before it, when refused). */
  currentlyAvailable: number;
  /** Whole seconds until the refused cost would fit; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface CostBuckets {
  readonly maximumAvailable: number;
  readonly restoreRate: number;
  /** Takes `cost` points from `key`'s bucket if it has them. A cost of 0 only reads the bucket. */
  take(key: string, cost: number): Promise<Throttle>;
  close(): Promise<void>;
}

/** The bucket key of an API key: a hash of the token, never the token nor the hash stored in the database. */
export function bucketKeyOf(token: string): string {
  return createHash('sha256').update(`eca-cost-bucket:${token}`).digest('hex').slice(0, 32);
}

const retryAfter = (missing: number, rate: number) => Math.max(1, Math.ceil(missing / rate));

export class MemoryCostBuckets implements CostBuckets {
  private readonly buckets = new Map<string, { available: number; at: number }>();

  constructor(
    readonly maximumAvailable: number,
    readonly restoreRate: number,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {}

  async take(key: string, cost: number): Promise<Throttle> {
    return this.takeNow(key, cost);
  }

  takeNow(key: string, cost: number): Throttle {
    const now = this.now();
    const bucket = this.buckets.get(key);
    let available = bucket
      ? Math.min(this.maximumAvailable, bucket.available + (now - bucket.at) * this.restoreRate)
      : this.maximumAvailable;
    const allowed = cost <= available;
    if (allowed) available -= cost;
    if (available >= this.maximumAvailable) this.buckets.delete(key);
    else {
      if (this.buckets.size >= 100_000 && !bucket) this.sweep(now);
      this.buckets.set(key, { available, at: now });
    }
    return {
      allowed,
      currentlyAvailable: available,
      retryAfterSeconds: allowed ? 0 : retryAfter(cost - available, this.restoreRate),
    };
  }

  /** Forgets buckets that have filled up again (a full bucket is the same as no bucket). */
  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.available + (now - b.at) * this.restoreRate >= this.maximumAvailable) this.buckets.delete(key);
    }
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

// KEYS[1] bucket; ARGV: maximumAvailable, restoreRate, cost. Returns { allowed (0/1), available (string) }.
// The state is a hash of points available (a) and when (t, seconds on Redis's clock); the key expires when
// the bucket would be full again, so idle keys cost nothing.
const TAKE_SCRIPT = `
local max = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'a', 't')
local available = max
if state[1] then
  available = math.min(max, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
end
local allowed = 0
if cost <= available then
  available = available - cost
  allowed = 1
end
if available >= max then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'a', tostring(available), 't', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((max - available) / rate * 1000) + 1000)
end
return { allowed, tostring(available) }
`;

type RedisWithTake = Redis & {
  ecaTakeCost(key: string, max: number, rate: number, cost: number): Promise<[number, string]>;
};

export class RedisCostBuckets implements CostBuckets {
  readonly maximumAvailable: number;
  readonly restoreRate: number;
  private readonly redis: RedisWithTake;
  private readonly fallback: MemoryCostBuckets;
  private readonly prefix: string;
  private degraded = false;

  constructor(
    config: RateLimitConfig & { redisUrl: string; maximumAvailable: number },
    private readonly logger: Logger,
  ) {
    this.maximumAvailable = config.maximumAvailable;
    this.restoreRate = config.restoreRate;
    this.fallback = new MemoryCostBuckets(config.maximumAvailable, config.restoreRate);
    this.prefix = config.redisKeyPrefix;
    // Fail fast while Redis is away (no offline queue, one attempt per command): requests fall back to
    // the memory buckets instead of waiting; ioredis keeps reconnecting in the background.
    this.redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    }) as RedisWithTake;
    this.redis.defineCommand('ecaTakeCost', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    // Never log the URL: it may hold a password.
    this.redis.on('error', (error: Error) => this.degrade(error));
    this.redis.on('ready', () => {
      if (this.degraded) this.logger.info('rate limit buckets shared through Redis again');
      this.degraded = false;
    });
  }

  /** Resolves when Redis is connected, or after `timeoutMs` (the memory buckets serve meanwhile). */
  async ready(timeoutMs = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.redis.once('ready', onReady);
    });
  }

  async take(key: string, cost: number): Promise<Throttle> {
    try {
      const [allowed, available] = await this.redis.ecaTakeCost(
        this.prefix + key,
        this.maximumAvailable,
        this.restoreRate,
        cost,
      );
      const currentlyAvailable = Number(available);
      return {
        allowed: allowed === 1,
        currentlyAvailable,
        retryAfterSeconds: allowed === 1 ? 0 : retryAfter(cost - currentlyAvailable, this.restoreRate),
      };
    } catch (error) {
      this.degrade(error as Error);
      return this.fallback.takeNow(key, cost);
    }
  }

  private degrade(error: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      { err: { message: error.message, code: (error as { code?: string }).code } },
      "Redis unreachable: rate limit buckets kept in this instance's memory until it is back",
    );
  }

  async close(): Promise<void> {
    this.redis.removeAllListeners('error');
    this.redis.on('error', () => undefined);
    // QUIT lets commands in flight finish; a client not connected is only told to stop reconnecting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else if (this.redis.status !== 'end') {
      const ended = new Promise<void>((resolve) => {
        this.redis.once('end', resolve);
        setTimeout(resolve, 1000).unref();
      });
      this.redis.disconnect();
      await ended;
    }
    await this.fallback.close();
  }
}

/** The buckets configured, or null when rate limiting is off (RATE_LIMIT_MAXIMUM_AVAILABLE=off). */
export function createCostBuckets(config: RateLimitConfig, logger: Logger): CostBuckets | null {
  const { maximumAvailable, redisUrl } = config;
  if (maximumAvailable === null) return null;
  return redisUrl
    ? new RedisCostBuckets({ ...config, maximumAvailable, redisUrl }, logger)
    : new MemoryCostBuckets(maximumAvailable, config.restoreRate);
}
