import type { Redis } from 'ioredis';
import type { DeviceLimits } from './limits.ts';
import { ownerToken, RedisScript } from './redisScript.ts';

// Redis's own clock in ms, one clock for every server; or the caller's, when given.
const NOW = `
local now = tonumber(ARGV[#ARGV])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 end`;

// The token bucket of TokenBuckets.take, refilled and spent in one step whichever server asks.
const TAKE = new RedisScript(`${NOW}
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(saved[1]) or burst, tonumber(saved[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) / 1000 * rate); at = now end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.max(1, math.ceil((1 - tokens) / rate)) end
-- %.17g keeps every bit: tostring's 14 digits would lose a little at each step
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
-- Forgotten once full again: a missing bucket is a full one.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return wait`);

// Counts an open request if the device has a free slot; leases that lapsed free theirs first.
const ENTER = new RedisScript(`${NOW}
local max, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= max then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1`);

// Extends the leases of a server's requests still open (those not lapsed meanwhile).
const RENEW = new RedisScript(`${NOW}
local lease = tonumber(ARGV[1])
for i = 2, #ARGV - 1 do redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease)
return 0`);

/** Token buckets by key in Redis, shared by every server; as TokenBuckets.take. */
export class RedisTokenBuckets {
  constructor(
    private readonly redis: Redis,
    private readonly opts: { rate: number; burst: number; prefix: string },
  ) {}

  /**
   * Takes a token if there is one: 0 when taken, else the seconds to wait for the next. `now` (ms)
   * is for tests; by default Redis's clock, so servers with skewed clocks share one bucket.
   */
  async take(key: string, now?: number): Promise<number> {
    const { rate, burst, prefix } = this.opts;
    const args = [rate, burst, now ?? ''];
    return Number(await TAKE.run(this.redis, [`${prefix}bucket:${key}`], args));
  }
}

/** Options of RedisDeviceLimits; every server of a fleet must use the same values and Redis. */
export type RedisDeviceLimitsOptions = {
  redis: Redis;
  /** Requests per second on average (TENDER_DEVICE_RATE). */
  rate: number;
  /** Requests saved up (TENDER_DEVICE_BURST). */
  burst: number;
  /** PATCH/POST open at once per device (TENDER_DEVICE_MAX_OPEN). */
  maxOpen: number;
  /** Key prefix. Default `tender:`. */
  prefix?: string;
  /**
   * An open request's slot is freed this long after its server last renewed it (every third of it),
   * so a crashed server's requests do not hold a device's slots. Default 10000 ms.
   */
  leaseMs?: number;
};

/**
 * Per-device limits shared by a fleet in Redis: the token bucket in one Lua step, and open requests
 * as a sorted set per device scored by lease expiry, renewed by the server holding them.
 */
export class RedisDeviceLimits implements DeviceLimits {
  private readonly redis: Redis;
  private readonly buckets: RedisTokenBuckets;
  private readonly maxOpen: number;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly open = new Map<object, { deviceId: string; member: string }>();
  private readonly renewal: NodeJS.Timeout;

  constructor(opts: RedisDeviceLimitsOptions) {
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? 'tender:';
    this.buckets = new RedisTokenBuckets(opts.redis, {
      rate: opts.rate,
      burst: opts.burst,
      prefix: this.prefix,
    });
    this.maxOpen = opts.maxOpen;
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.renewal = setInterval(() => void this.renew(), this.leaseMs / 3);
    this.renewal.unref();
  }

  take(deviceId: string): Promise<number> {
    return this.buckets.take(deviceId);
  }

  async enter(deviceId: string, request: object): Promise<boolean> {
    const member = ownerToken();
    const args = [member, this.maxOpen, this.leaseMs, ''];
    const entered = Number(await ENTER.run(this.redis, [this.key(deviceId)], args)) === 1;
    if (entered) this.open.set(request, { deviceId, member });
    return entered;
  }

  leave(deviceId: string, request: object): void {
    const entry = this.open.get(request);
    if (!entry || entry.deviceId !== deviceId) return;
    this.open.delete(request);
    this.redis.zrem(this.key(deviceId), entry.member).catch(() => {}); // else its lease lapses
  }

  /** Stops renewing; slots still held are freed when their leases lapse. */
  close(): void {
    clearInterval(this.renewal);
    this.open.clear();
  }

  private key(deviceId: string) {
    return `${this.prefix}open:${deviceId}`;
  }

  private async renew() {
    const byDevice = new Map<string, string[]>();
    for (const { deviceId, member } of this.open.values()) {
      byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), member]);
    }
    await Promise.all(
      [...byDevice].map(([deviceId, members]) =>
        RENEW.run(this.redis, [this.key(deviceId)], [this.leaseMs, ...members, '']).catch(() => {}),
      ),
    );
  }
}
