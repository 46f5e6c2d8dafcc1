/** Per-device request rate (token bucket) and open-upload-request limits. */
export class DeviceLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly open = new Map<string, Set<object>>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxOpen: number;

  /** `rate` requests per second on average, bursts of `burst`, at most `maxOpen` PATCH/POST at once. */
  constructor(opts: { rate: number; burst: number; maxOpen: number }) {
    this.rate = opts.rate;
    this.burst = opts.burst;
    this.maxOpen = opts.maxOpen;
  }

  /** Takes one request token; returns 0 when allowed, else the seconds to wait for the next token. */
  take(deviceId: string, now = Date.now()): number {
    const bucket = this.buckets.get(deviceId) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.set(deviceId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate));
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
