// Device limits and PATCH progress shared by a fleet in Redis: instances on their own connections
// stand for servers; the contracts are the ones the in-memory versions pass.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDeviceLimits, RedisTokenBuckets } from '../../server/redisDeviceLimits.ts';
import { RedisPatchProgress } from '../../server/redisPatchProgress.ts';
import { openRedisShared } from '../../server/redisShared.ts';
import { type RedisService, startRedis } from '../support/fleet/redis.ts';
import { pollUntil } from '../support/pollUntil.ts';
import { deviceLimitsContract } from '../unit/deviceLimitsContract.ts';
import { patchProgressContract } from '../unit/patchProgressContract.ts';
import { tokenBucketsContract } from '../unit/tokenBucketsContract.ts';

let service: RedisService;
const cleanups: Array<() => void | Promise<void>> = [];

beforeAll(async () => {
  service = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await service?.stop();
});

/** A connection of one server's own. */
function connect() {
  const redis = new Redis(service.url);
  cleanups.push(() => redis.disconnect());
  return redis;
}

function limits(prefix: string, opts: { rate: number; burst: number; maxOpen: number; leaseMs?: number }) {
  const made = new RedisDeviceLimits({ redis: connect(), prefix, ...opts });
  cleanups.push(() => made.close());
  return made;
}

function progress(prefix: string, ttlMs?: number) {
  const made = new RedisPatchProgress({ redis: connect(), prefix, ttlMs });
  cleanups.push(() => made.close());
  return made;
}

tokenBucketsContract('RedisTokenBuckets', (opts) => {
  return new RedisTokenBuckets(connect(), { ...opts, prefix: `${randomUUID()}:` });
});

deviceLimitsContract('RedisDeviceLimits on two servers', async (opts) => {
  const prefix = `${randomUUID()}:`;
  return [limits(prefix, opts), limits(prefix, opts)];
});

patchProgressContract('RedisPatchProgress on two servers', async () => {
  const prefix = `${randomUUID()}:`;
  return [progress(prefix), progress(prefix)];
});

describe('RedisDeviceLimits leases', () => {
  it("keeps a live server's open requests past their lease, and frees a crashed server's", async () => {
    const prefix = `${randomUUID()}:`;
    const a = limits(prefix, { rate: 100, burst: 100, maxOpen: 2, leaseMs: 600 });
    const b = limits(prefix, { rate: 100, burst: 100, maxOpen: 2, leaseMs: 600 });
    expect([await a.enter('d', {}), await a.enter('d', {})]).toEqual([true, true]);
    // Refused throughout three leases while a renews them.
    const until = performance.now() + 1800;
    while (performance.now() < until) {
      expect(await b.enter('d', {})).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // a stops renewing, as a crashed server does; its slots come free within a lease.
    const crashedAt = performance.now();
    a.close();
    await pollUntil(
      'a free slot',
      () => b.enter('d', {}),
      (entered) => entered,
      { timeoutMs: 2000 },
    );
    const freedAfter = performance.now() - crashedAt;
    expect(freedAfter).toBeLessThan(600 + 300);
    expect(await b.enter('d', {})).toBe(true); // both of a's slots
    console.info(
      `a crashed server's open-request slots (600 ms lease) came free after ${freedAfter.toFixed(0)} ms`,
    );
  });
});

describe('RedisPatchProgress leases', () => {
  it('reports a stalled PATCH past its TTL with the time its last bytes came', async () => {
    const prefix = `${randomUUID()}:`;
    const [writer, reader] = [progress(prefix, 600), progress(prefix, 600)];
    writer.update('upload', 4096);
    const first = await pollUntil(
      'progress',
      () => reader.read('upload'),
      (r) => r !== undefined,
    );
    const until = performance.now() + 1800;
    while (performance.now() < until) {
      expect(await reader.read('upload')).toEqual(first);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    writer.end('upload');
  });

  it("forgets a crashed server's PATCHes within the TTL", async () => {
    const prefix = `${randomUUID()}:`;
    const [writer, reader] = [progress(prefix, 600), progress(prefix, 600)];
    writer.update('upload', 4096);
    await pollUntil(
      'progress',
      () => reader.read('upload'),
      (r) => r !== undefined,
    );
    const crashedAt = performance.now();
    writer.close(); // no end(): its entry stays until it lapses
    await pollUntil(
      'the entry to lapse',
      () => reader.read('upload'),
      (r) => r === undefined,
    );
    expect(performance.now() - crashedAt).toBeLessThan(600 + 300);
  });

  it('the end of a stale PATCH leaves the progress of the PATCH that replaced it', async () => {
    const prefix = `${randomUUID()}:`;
    const [stale, resumed] = [progress(prefix), progress(prefix)];
    stale.update('upload', 1000);
    await pollUntil(
      'stale progress',
      () => resumed.read('upload'),
      (r) => r?.received === 1000,
    );
    resumed.update('upload', 1000);
    resumed.update('upload', 1500);
    await pollUntil(
      'resumed progress',
      () => stale.read('upload'),
      (r) => r?.received === 1500,
    );
    stale.end('upload');
    // Read on the stale server's connection, so after its end was carried out.
    expect(await stale.read('upload')).toMatchObject({ received: 1500 });
    resumed.end('upload');
    await pollUntil(
      'the end',
      () => stale.read('upload'),
      (r) => r === undefined,
      { timeoutMs: 1000 },
    );
  });
});

describe('openRedisShared', () => {
  it('opens the locks, progress and limits a server needs over one connection', async () => {
    const shared = await openRedisShared({
      url: service.url,
      prefix: `${randomUUID()}:`,
      limits: { rate: 5, burst: 2, maxOpen: 1 },
    });
    try {
      const lock = shared.locker.newLock('upload');
      await lock.lock(new AbortController().signal, () => {});
      shared.receiving.update('upload', 42);
      await pollUntil(
        'progress',
        () => shared.receiving.read('upload'),
        (r) => r?.received === 42,
      );
      expect([
        await shared.limits.take('d'),
        await shared.limits.take('d'),
        await shared.limits.take('d'),
      ]).toEqual([0, 0, 1]);
      expect([await shared.limits.enter('d', {}), await shared.limits.enter('d', {})]).toEqual([true, false]);
      await lock.unlock();
    } finally {
      await shared.close();
    }
  });
});
