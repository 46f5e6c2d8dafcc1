import { describe, expect, it } from 'vitest';

/** Token buckets to test, fresh and empty, taking the time (ms) from the caller. */
export type BucketsUnderTest = { take(key: string, now: number): Promise<number> };

/** What every token bucket store keeps, in memory or shared by a fleet. */
export function tokenBucketsContract(
  name: string,
  make: (opts: { rate: number; burst: number }) => Promise<BucketsUnderTest> | BucketsUnderTest,
) {
  describe(`${name}: the contract every token bucket keeps`, () => {
    it('allows a burst, then one token per 1/rate seconds, and says how long to wait', async () => {
      const buckets = await make({ rate: 2, burst: 3 });
      const burst = [];
      for (let i = 0; i < 3; i++) burst.push(await buckets.take('a', 0));
      expect(burst).toEqual([0, 0, 0]);
      expect(await buckets.take('a', 0)).toBe(1); // half a second to the next token, rounded up to 1 s
      expect(await buckets.take('a', 499)).toBe(1);
      expect(await buckets.take('a', 500)).toBe(0);
      expect(await buckets.take('b', 500)).toBe(0); // each key has its own bucket
    });

    it('saves up no more than the burst, and a slow rate says a longer wait', async () => {
      const buckets = await make({ rate: 0.25, burst: 2 });
      expect([await buckets.take('c', 0), await buckets.take('c', 0)]).toEqual([0, 0]);
      expect(await buckets.take('c', 0)).toBe(4); // one token per 4 s
      expect(await buckets.take('c', 1000)).toBe(3);
      const later = 3_600_000; // an hour idle fills it to the burst, not to 900 tokens
      const taken = [];
      for (let i = 0; i < 3; i++) taken.push(await buckets.take('c', later));
      expect(taken).toEqual([0, 0, 4]);
    });
  });
}
