import { Redis, type RedisOptions } from 'ioredis';
import { RedisDeviceLimits } from './redisDeviceLimits.ts';
import { RedisLocker } from './redisLocker.ts';
import { RedisPatchProgress } from './redisPatchProgress.ts';

/** Where the fleet's shared upload state lives and how it behaves; every server must agree. */
export type RedisSharedOptions = {
  /** `redis://host:port/db` (or `rediss://` for TLS); see ioredis for user and password. */
  url: string;
  /** Further ioredis options, e.g. `maxRetriesPerRequest`. */
  redisOptions?: RedisOptions;
  /** Prefix of every key and channel, so several fleets can share one Redis. Default `tender:`. */
  prefix?: string;
  /** Per-device token bucket and open requests (TENDER_DEVICE_RATE, _BURST, _MAX_OPEN). */
  limits: { rate: number; burst: number; maxOpen: number };
  /** How long a crashed server's upload locks stay taken at most. Default 5000 ms. */
  lockLeaseMs?: number;
  /** How long a request waits for an upload's lock before failing (500). Default 30000 ms. */
  lockTimeoutMs?: number;
  /** How long a crashed server's open requests keep their device's slots at most. Default 10000 ms. */
  openLeaseMs?: number;
  /** How long a crashed server's PATCHes are still reported as receiving. Default 6000 ms. */
  progressTtlMs?: number;
};

/** The upload locks, PATCH progress and device limits a fleet shares, over one Redis connection. */
export type RedisShared = {
  locker: RedisLocker;
  receiving: RedisPatchProgress;
  limits: RedisDeviceLimits;
  redis: Redis;
  /** Stops renewals and closes the connections; what this server still held lapses with its leases. */
  close(): Promise<void>;
};

/** Connects to Redis and opens the shared state; rejects if Redis does not answer. */
export async function openRedisShared(opts: RedisSharedOptions): Promise<RedisShared> {
  const redis = new Redis(opts.url, { lazyConnect: true, ...opts.redisOptions });
  await redis.connect();
  const prefix = opts.prefix ?? 'tender:';
  try {
    const locker = await RedisLocker.open({
      redis,
      prefix,
      leaseMs: opts.lockLeaseMs,
      acquireTimeoutMs: opts.lockTimeoutMs,
    });
    const receiving = new RedisPatchProgress({ redis, prefix, ttlMs: opts.progressTtlMs });
    const limits = new RedisDeviceLimits({ redis, prefix, leaseMs: opts.openLeaseMs, ...opts.limits });
    return {
      locker,
      receiving,
      limits,
      redis,
      close: async () => {
        receiving.close();
        limits.close();
        await locker.close();
        redis.disconnect();
      },
    };
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}
