import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../server/tokenBuckets.ts';
import { tokenBucketsContract } from './tokenBucketsContract.ts';

tokenBucketsContract('TokenBuckets', (opts) => {
  const buckets = new TokenBuckets(opts);
  return { take: async (key, now) => buckets.take(key, now) };
});

describe('TokenBuckets', () => {
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
