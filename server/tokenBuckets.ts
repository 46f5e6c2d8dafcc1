/**
 * Token buckets by key (a device, an address): `rate` tokens a second on average, at most `burst`
 * saved up. A key with no bucket has a full one.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(opts: { rate: number; burst: number }) {
    this.rate = opts.rate;
    this.burst = opts.burst;
  }

  /** Keys with a bucket that is not full. */
  get size(): number {
    return this.buckets.size;
  }

  /** Seconds until `key` has a whole token; 0 when it has one now. Takes nothing. */
  wait(key: string, now = Date.now()): number {
    const tokens = this.refill(key, now)?.tokens ?? this.burst;
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rate));
  }

  /** Takes a token if there is one: 0 when taken, else the seconds to wait for the next. */
  take(key: string, now = Date.now()): number {
    const wait = this.wait(key, now);
    if (wait === 0) this.spend(key, now);
    return wait;
  }

  /** Spends a token whether or not there is one (never below zero): for counting failures. */
  spend(key: string, now = Date.now()): void {
    const bucket = this.refill(key, now) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(key, bucket);
  }

  /** Forgets keys whose buckets have filled up again: they are as good as new. */
  forgetFull(now = Date.now()): void {
    for (const key of [...this.buckets.keys()]) {
      if ((this.refill(key, now)?.tokens ?? 0) >= this.burst) this.buckets.delete(key);
    }
  }

  private refill(key: string, now: number) {
    const bucket = this.buckets.get(key);
    if (!bucket) return undefined;
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    return bucket;
  }
}
