// Upload locks shared by a fleet in Redis: two lockers on their own connections stand for two servers.
import { randomUUID } from 'node:crypto';
import { ERRORS } from '@tus/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLocker, type RedisLockerOptions } from '../../server/redisLocker.ts';
import { type RedisService, startRedis } from '../support/fleet/redis.ts';
import { pollUntil } from '../support/pollUntil.ts';
import { lockerContract } from '../unit/lockerContract.ts';

let service: RedisService;
const opened: Array<{ locker: RedisLocker; redis: Redis }> = [];

beforeAll(async () => {
  service = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const { locker, redis } of opened) {
    await locker.close();
    redis.disconnect();
  }
  await service?.stop();
});

/** A server's locker on its own connection, under `prefix`. */
async function server(prefix: string, opts: Partial<RedisLockerOptions> = {}) {
  const redis = new Redis(service.url);
  const locker = await RedisLocker.open({ redis, prefix, ...opts });
  opened.push({ locker, redis });
  return { locker, redis };
}

const signal = () => new AbortController().signal;
const ms = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]?.toFixed(2);

lockerContract('RedisLocker on two servers', async ({ acquireTimeoutMs }) => {
  const prefix = `${randomUUID()}:`;
  return [
    (await server(prefix, { acquireTimeoutMs })).locker,
    (await server(prefix, { acquireTimeoutMs })).locker,
  ];
});

describe('RedisLocker leases', () => {
  it("a crashed server's lock lapses within its lease, and its holder is told it lost it", async () => {
    const prefix = `${randomUUID()}:`;
    const a = await server(prefix, { leaseMs: 600 });
    const b = await server(prefix, { leaseMs: 600 });
    const asked: number[] = [];
    await a.locker.newLock('upload').lock(signal(), () => {
      asked.push(performance.now());
    });
    // Held past several leases while its server renews it.
    const waited = b.locker.newLock('upload').lock(signal(), () => {});
    const renewing = await Promise.race([
      waited.then(() => 'taken'),
      new Promise((resolve) => setTimeout(() => resolve('still held'), 1500)),
    ]);
    expect(renewing).toBe('still held');
    expect(asked.length).toBeGreaterThan(0); // b asked, through Redis; the holder ignores it
    // Server a loses Redis (a crash as far as Redis can tell).
    const crashedAt = performance.now();
    a.redis.disconnect();
    await waited;
    const lapsed = performance.now() - crashedAt;
    expect(lapsed).toBeLessThan(600 + 300);
    // Not freed at the cut: its last renewal was at most a third of the lease (200 ms) before it.
    expect(lapsed).toBeGreaterThan(150);
    // Unable to renew for a whole lease, server a tells its holder to stop.
    await pollUntil(
      'a to count the lock lost',
      () => a.locker.lost,
      (n) => n === 1,
      { timeoutMs: 2000 },
    );
    const lostAt = asked.at(-1) ?? 0;
    expect(lostAt - crashedAt).toBeGreaterThan(0);
    expect(lostAt - crashedAt).toBeLessThan(600 + 300);
    console.info(`crashed holder's lock (600 ms lease) lapsed after ${lapsed.toFixed(0)} ms`);
  });

  it('a holder is told to stop when Redis stops answering for a whole lease', async () => {
    const prefix = `${randomUUID()}:`;
    const a = await server(prefix, { leaseMs: 600 });
    const admin = await server(prefix);
    const asked: number[] = [];
    const lock = a.locker.newLock('upload');
    await lock.lock(signal(), () => {
      asked.push(performance.now());
    });
    const pausedAt = performance.now();
    await admin.redis.call('CLIENT', 'PAUSE', '1200', 'ALL');
    await pollUntil(
      'the holder to be told',
      () => asked.length,
      (n) => n > 0,
      { timeoutMs: 2000 },
    );
    const told = (asked[0] ?? 0) - pausedAt;
    expect(told).toBeGreaterThan(200);
    expect(told).toBeLessThan(600 + 400);
    expect(a.locker.lost).toBe(1);
    await admin.redis.call('CLIENT', 'UNPAUSE');
    await lock.unlock();
  });

  it('a holder whose lease was taken over cannot release the new holder’s lock', async () => {
    const prefix = `${randomUUID()}:`;
    const a = await server(prefix, { leaseMs: 600 });
    const b = await server(prefix, { acquireTimeoutMs: 400 });
    let told = 0;
    const old = a.locker.newLock('upload');
    await old.lock(signal(), () => {
      told++;
    });
    // The key vanishes as it does when Redis fails over to a replica that had not seen it.
    await b.redis.del(`${prefix}lock:upload`);
    const taken = b.locker.newLock('upload');
    await taken.lock(signal(), () => {});
    // a's next renewal finds the lock someone else's and tells its holder to stop.
    await pollUntil(
      'the old holder to be told',
      () => told,
      (n) => n > 0,
      { timeoutMs: 2000 },
    );
    expect(a.locker.lost).toBe(1);
    await old.unlock();
    expect(await b.redis.exists(`${prefix}lock:upload`)).toBe(1);
    await expect(b.locker.newLock('upload').lock(signal(), () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    await taken.unlock();
    expect(await b.redis.exists(`${prefix}lock:upload`)).toBe(0);
  });

  it('a waiter gives up with the lock timeout error when Redis does not answer', async () => {
    const prefix = `${randomUUID()}:`;
    const a = await server(prefix, { acquireTimeoutMs: 300 });
    const admin = await server(prefix);
    // Redis holds every client's commands, as when it is unreachable or stuck.
    await admin.redis.call('CLIENT', 'PAUSE', '700', 'ALL');
    const startedAt = performance.now();
    await expect(a.locker.newLock('upload').lock(signal(), () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    const waited = performance.now() - startedAt;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1000);
    await admin.redis.call('CLIENT', 'UNPAUSE');
  });

  it('measures acquire, release and hand-over between servers', async () => {
    const prefix = `${randomUUID()}:`;
    const a = await server(prefix);
    const b = await server(prefix);
    const acquire: number[] = [];
    const release: number[] = [];
    for (let i = 0; i < 300; i++) {
      const lock = a.locker.newLock(`upload-${i % 7}`);
      const t0 = performance.now();
      await lock.lock(signal(), () => {});
      const t1 = performance.now();
      await lock.unlock();
      acquire.push(t1 - t0);
      release.push(performance.now() - t1);
    }
    const handover: number[] = [];
    for (let i = 0; i < 40; i++) {
      let asked = 0;
      const held = a.locker.newLock('upload');
      await held.lock(signal(), () => {
        asked++;
      });
      const waiting = b.locker.newLock('upload');
      const taken = waiting.lock(signal(), () => {}).then(() => performance.now());
      // Released once the waiter has asked, so it is waiting, not on its first attempt.
      await pollUntil(
        'the waiter to ask',
        () => asked,
        (n) => n > 0,
      );
      const unlockedAt = performance.now();
      await held.unlock();
      handover.push((await taken) - unlockedAt);
      await waiting.unlock();
    }
    console.info(
      `RedisLocker on loopback: acquire median ${ms(acquire, 0.5)} ms, p99 ${ms(acquire, 0.99)}; release median ${ms(release, 0.5)} ms, p99 ${ms(release, 0.99)}; hand-over to another server median ${ms(handover, 0.5)} ms, p99 ${ms(handover, 0.99)}`,
    );
    expect(Number(ms(acquire, 0.5))).toBeLessThan(20);
    expect(Number(ms(handover, 0.5))).toBeLessThan(50);
  });
});
