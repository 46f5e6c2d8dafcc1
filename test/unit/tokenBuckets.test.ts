import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../server/tokenBuckets.ts';

describe('TokenBuckets', () => {
  it('allows a burst, then one token per 1/rate seconds, and says how long to wait', () => {
    const buckets = new TokenBuckets({ rate: 2, burst: 3 });
    expect([0, 0, 0].map(() => buckets.take('a', 0))).toEqual([0, 0, 0]);
    expect(buckets.take('a', 0)).toBe(1); // half a second to the next token, rounded up to 1 s
    expect(buckets.take('a', 499)).toBe(1);
    expect(buckets.take('a', 500)).toBe(0);
    expect(buckets.take('b', 500)).toBe(0); // each key has its own bucket
  });

  it('counts failures without going below empty, and forgets keys that filled up again', () => {
    const buckets = new TokenBuckets({ rate: 1, burst: 2 });
    for (let i = 0; i < 5; i++) buckets.spend('x', 0);
    expect(buckets.wait('x', 0)).toBe(1);
    expect(buckets.wait('x', 1000)).toBe(0);
    buckets.spend('y', 1000);
    buckets.forgetFull(2000); // x is full again at 2 s, y at 2 s too
    expect(buckets.size).toBe(0);
    buckets.spend('z', 2000);
    buckets.forgetFull(2500);
    expect(buckets.size).toBe(1);
  });
});
