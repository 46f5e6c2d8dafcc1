import { TokenBuckets } from './tokenBuckets.ts';

/** Per-device request rate (token bucket) and open-upload-request limits. */
export class DeviceLimits {
  private readonly buckets: TokenBuckets;
  private readonly open = new Map<string, Set<object>>();
  private readonly maxOpen: number;

  /** `rate` requests per second on average, bursts of `burst`, at most `maxOpen` PATCH/POST at once. */
  constructor(opts: { rate: number; burst: number; maxOpen: number }) {
    this.buckets = new TokenBuckets(opts);
    this.maxOpen = opts.maxOpen;
  }

  /** Takes one request token; returns 0 when allowed, else the seconds to wait for the next token. */
  take(deviceId: string, now = Date.now()): number {
    return this.buckets.take(deviceId, now);
  }

  /** Counts an open request against the device; false if it already has the maximum open. */
  enter(deviceId: string, request: object): boolean {
    const set = this.open.get(deviceId) ?? new Set();
    if (set.size >= this.maxOpen) return false;
    set.add(request);
    this.open.set(deviceId, set);
    return true;
  }

  /** Releases a request counted by enter(); harmless if already released. */
  leave(deviceId: string, request: object): void {
    const set = this.open.get(deviceId);
    set?.delete(request);
    if (set?.size === 0) this.open.delete(deviceId);
  }
}
