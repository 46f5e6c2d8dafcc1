import type { Redis } from 'ioredis';
import type { PatchProgress, Receiving } from './patchProgress.ts';
import { ownerToken, RedisScript } from './redisScript.ts';

// Ends only the PATCH that wrote the entry: a newer PATCH on the same upload (through another
// server, once the lock passed) keeps its own.
const END = new RedisScript(`
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, -string.len(ARGV[1])) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`);

/** Options of a RedisPatchProgress; every server of a fleet must use the same `prefix` and Redis. */
export type RedisPatchProgressOptions = {
  redis: Redis;
  /** Key prefix. Default `tender:`. */
  prefix?: string;
  /** Updates of this server's PATCHes are written at most this often. Default 100 ms. */
  flushMs?: number;
  /**
   * An entry lapses this long after its last write, so a crashed server's PATCHes stop being
   * reported; entries of open PATCHes are rewritten every third of it. Default 6000 ms.
   */
  ttlMs?: number;
};

type Open = { owner: string; received: number; at: number; dirty: boolean };

/**
 * Progress of open PATCHes in Redis, so any server can answer /api/progress for a PATCH another is
 * receiving: `"received at owner"` under one key per upload, with a short TTL. Updates are batched:
 * reads lag by at most `flushMs` plus a round trip.
 */
export class RedisPatchProgress implements PatchProgress {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly flushMs: number;
  private readonly ttlMs: number;
  private readonly open = new Map<string, Open>();
  private flushing: NodeJS.Timeout | undefined;
  private readonly refresh: NodeJS.Timeout;

  constructor(opts: RedisPatchProgressOptions) {
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? 'tender:';
    this.flushMs = opts.flushMs ?? 100;
    this.ttlMs = opts.ttlMs ?? 6000;
    this.refresh = setInterval(() => this.rewriteAll(), this.ttlMs / 3);
    this.refresh.unref();
  }

  update(id: string, received: number): void {
    const entry = this.open.get(id);
    if (entry) Object.assign(entry, { received, at: Date.now(), dirty: true });
    else this.open.set(id, { owner: ownerToken(), received, at: Date.now(), dirty: true });
    this.flushing ??= setTimeout(() => this.flush(), this.flushMs);
  }

  end(id: string): void {
    const entry = this.open.get(id);
    if (!entry) return;
    this.open.delete(id);
    END.run(this.redis, [this.key(id)], [` ${entry.owner}`]).catch(() => {});
  }

  async read(id: string): Promise<Receiving | undefined> {
    const value = await this.redis.get(this.key(id));
    const [received, at] = (value ?? '').split(' ').map(Number);
    if (received === undefined || at === undefined) return undefined;
    if (!Number.isSafeInteger(received) || !Number.isSafeInteger(at)) return undefined;
    return { received, at };
  }

  /** Stops writing; entries of PATCHes still open lapse after `ttlMs`. */
  close(): void {
    clearTimeout(this.flushing);
    clearInterval(this.refresh);
    this.open.clear();
  }

  private key(id: string) {
    return `${this.prefix}progress:${id}`;
  }

  private flush() {
    this.flushing = undefined;
    for (const [id, entry] of this.open) if (entry.dirty) this.write(id, entry);
  }

  private rewriteAll() {
    for (const [id, entry] of this.open) this.write(id, entry);
  }

  private write(id: string, entry: Open) {
    entry.dirty = false;
    this.redis
      .set(this.key(id), `${entry.received} ${entry.at} ${entry.owner}`, 'PX', this.ttlMs)
      .catch(() => {
        entry.dirty = true; // written again at the next refresh
      });
  }
}
