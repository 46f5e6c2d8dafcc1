import { TokenBuckets } from './tokenBuckets.ts';

/**
 * Per-device request rate and open upload requests. A shared implementation makes the limits hold
 * for a device whichever server its requests reach.
 */
export interface DeviceLimits {
  /** Takes one request token; 0 when allowed, else the seconds to wait for the next token. */
  take(deviceId: string): Promise<number>;
  /** Counts an open request against the device; false if it already has the maximum open. */
  enter(deviceId: string, request: object): Promise<boolean>;
  /** Releases a request counted by enter(); harmless if already released. */
  leave(deviceId: string, request: object): void;
}

/** Device limits in this process's memory: a token bucket per device and a set of its open requests. */
export class MemoryDeviceLimits implements DeviceLimits {
  private readonly buckets: TokenBuckets;
  private readonly open = new Map<string, Set<object>>();
  private readonly maxOpen: number;

  /** `rate` requests per second on average, bursts of `burst`, at most `maxOpen` PATCH/POST at once. */
  constructor(opts: { rate: number; burst: number; maxOpen: number }) {
    this.buckets = new TokenBuckets(opts);
    this.maxOpen = opts.maxOpen;
  }

  async take(deviceId: string): Promise<number> {
    return this.buckets.take(deviceId);
  }

  async enter(deviceId: string, request: object): Promise<boolean> {
    const set = this.open.get(deviceId) ?? new Set();
    if (set.size >= this.maxOpen) return false;
    set.add(request);
    this.open.set(deviceId, set);
    return true;
  }

  leave(deviceId: string, request: object): void {
    const set = this.open.get(deviceId);
    set?.delete(request);
    if (set?.size === 0) this.open.delete(deviceId);
  }
}
