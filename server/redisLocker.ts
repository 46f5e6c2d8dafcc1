import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import type { Redis } from 'ioredis';
import { ownerToken, RedisScript } from './redisScript.ts';

// Takes the lock with a lease, or asks its holder (on any server) to let go and says how long its
// lease has left.
const ACQUIRE = new RedisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
redis.call('PUBLISH', KEYS[2], ARGV[3])
return redis.call('PTTL', KEYS[1])`);
// Extends the lease only for its owner: a lease that lapsed and was taken by another stays theirs.
const RENEW = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);
// Releases only for its owner, and tells the servers waiting for it.
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1`);

/** Options of a RedisLocker; every server of a fleet must use the same `prefix` and Redis. */
export type RedisLockerOptions = {
  /** Commands. The locker takes a second connection from it (`duplicate()`) for its subscriptions. */
  redis: Redis;
  /** Key and channel prefix. Default `tender:`. */
  prefix?: string;
  /**
   * How long a lock outlives its holder's last renewal (renewed every third of it while held): the
   * longest a crashed server's locks stay taken. Default 5000 ms.
   */
  leaseMs?: number;
  /** How long lock() waits before failing with @tus/server's ERR_LOCK_TIMEOUT. Default 30000 ms. */
  acquireTimeoutMs?: number;
  /** Longest pause between attempts while waiting, in case a release notice is lost. Default 200 ms. */
  retryMs?: number;
};

type Holding = { token: string; requestRelease: RequestRelease; renewedAt: number; timer: NodeJS.Timeout };

/**
 * Upload locks shared by the servers of a fleet, in Redis: one key per upload with a lease, renewed
 * while held and released only by its holder, so a crashed server's locks lapse within `leaseMs`.
 * A server that wants a lock held elsewhere publishes a release request; the holder's server calls
 * its `requestRelease` (a stale PATCH then ends) and the release notice wakes the waiter at once.
 * A holder whose lease was lost (Redis unreachable for a whole lease) is told to release too.
 */
export class RedisLocker implements Locker {
  /** Locks whose lease was found lost while held. */
  lost = 0;
  readonly leaseMs: number;
  readonly acquireTimeoutMs: number;
  readonly retryMs: number;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly held = new Map<string, Holding>();
  private readonly waiters = new Map<string, Set<() => void>>();

  private constructor(opts: RedisLockerOptions) {
    this.redis = opts.redis;
    this.subscriber = opts.redis.duplicate();
    // It reconnects by itself; the command connection's owner reports Redis being away.
    this.subscriber.on('error', () => {});
    this.prefix = opts.prefix ?? 'tender:';
    this.leaseMs = opts.leaseMs ?? 5000;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? 30_000;
    this.retryMs = opts.retryMs ?? 200;
  }

  /** A locker subscribed to release requests and notices; resolves once it hears them. */
  static async open(opts: RedisLockerOptions): Promise<RedisLocker> {
    const locker = new RedisLocker(opts);
    locker.subscriber.on('message', (channel: string, id: string) => locker.heard(channel, id));
    await locker.subscriber.subscribe(locker.channel('release'), locker.channel('released'));
    return locker;
  }

  newLock(id: string): Lock {
    let token: string | undefined;
    return {
      lock: async (signal, requestRelease) => {
        token = await this.acquire(id, signal, requestRelease);
      },
      unlock: async () => {
        if (token) await this.release(id, token);
        token = undefined;
      },
    };
  }

  /** Stops renewing and listening; locks still held lapse after their lease. */
  async close(): Promise<void> {
    for (const holding of this.held.values()) clearInterval(holding.timer);
    this.held.clear();
    this.subscriber.disconnect();
  }

  private channel(name: 'release' | 'released') {
    return `${this.prefix}lock-${name}`;
  }

  private key(id: string) {
    return `${this.prefix}lock:${id}`;
  }

  private heard(channel: string, id: string) {
    if (channel === this.channel('release')) {
      void Promise.resolve(this.held.get(id)?.requestRelease()).catch(() => {});
    } else {
      for (const wake of this.waiters.get(id) ?? []) wake();
    }
  }

  private async acquire(id: string, signal: AbortSignal, requestRelease: RequestRelease): Promise<string> {
    const token = ownerToken();
    const deadline = Date.now() + this.acquireTimeoutMs;
    for (;;) {
      if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
      // Listening before trying, so a release between the attempt and the wait is not missed.
      const released = this.nextRelease(id);
      try {
        const attempt = ACQUIRE.run(
          this.redis,
          [this.key(id), this.channel('release')],
          [token, this.leaseMs, id],
        );
        const ttl = Number(await byDeadline(attempt, deadline));
        if (ttl === -1) {
          this.hold(id, token, requestRelease);
          return token;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw ERRORS.ERR_LOCK_TIMEOUT;
        // A lease with no holder left lapses after `ttl`; try again then at the latest.
        await released.within(Math.min(left, this.retryMs, Math.max(1, ttl)), signal);
      } finally {
        released.cancel();
      }
    }
  }

  private nextRelease(id: string) {
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const set = this.waiters.get(id) ?? new Set();
    set.add(wake);
    this.waiters.set(id, set);
    let timer: NodeJS.Timeout | undefined;
    return {
      within: (ms: number, signal: AbortSignal) => {
        timer = setTimeout(wake, ms);
        signal.addEventListener('abort', wake, { once: true });
        return woken.finally(() => signal.removeEventListener('abort', wake));
      },
      cancel: () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
      },
    };
  }

  private hold(id: string, token: string, requestRelease: RequestRelease) {
    const holding: Holding = {
      token,
      requestRelease,
      renewedAt: Date.now(),
      timer: setInterval(() => void this.renew(id, holding), this.leaseMs / 3),
    };
    holding.timer.unref();
    this.held.set(id, holding);
  }

  private async renew(id: string, holding: Holding) {
    const asked = Date.now();
    const renewal = RENEW.run(this.redis, [this.key(id)], [holding.token, this.leaseMs]);
    const renewed = await byDeadline(renewal, asked + this.leaseMs / 3).then(
      (answer) => answer === 1,
      () => undefined, // unknown: Redis did not answer in time
    );
    if (this.held.get(id) !== holding) return;
    if (renewed) holding.renewedAt = asked;
    if (renewed === false || Date.now() - holding.renewedAt >= this.leaseMs) {
      // Another server may hold it now: the holder must stop writing.
      this.lost++;
      this.drop(id, holding);
      void Promise.resolve(holding.requestRelease()).catch(() => {});
    }
  }

  private drop(id: string, holding: Holding) {
    clearInterval(holding.timer);
    if (this.held.get(id) === holding) this.held.delete(id);
  }

  private async release(id: string, token: string) {
    const holding = this.held.get(id);
    if (holding?.token === token) this.drop(id, holding);
    await RELEASE.run(this.redis, [this.key(id), this.channel('released')], [token, id]);
  }
}

/**
 * `promise`, or ERR_LOCK_TIMEOUT once `deadline` passes: ioredis queues commands while Redis is
 * unreachable. A lock taken by a late attempt lapses with its lease, renewed by no one.
 */
function byDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(ERRORS.ERR_LOCK_TIMEOUT), Math.max(0, deadline - Date.now()));
  });
  promise.catch(() => {}); // a late failure is no longer anyone's concern
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
