import { describe, expect, it } from 'vitest';
import { CAP_CHUNK_SECONDS, chunkSizeForCap, paceDelayMs } from '../../src/shared/pacing.ts';
import { HEADER_BYTES_ESTIMATE } from '../../src/shared/spendLedger.ts';

/** A chunk size chosen without a cap. */
const UNCAPPED = 2 * 1024 * 1024;

describe('the wait after a request', () => {
  const rows: [string, number | null, number, number, number][] = [
    ['no cap never waits', null, 5_000_000, 10, 0],
    ['8000 bytes at 64 kbit/s take 1 s; sent in 0.25 s, wait 0.75 s', 64, 8000, 250, 750],
    ['a request as slow as the cap needs no wait', 64, 8000, 1000, 0],
    ['slower than the cap: no wait, no debt', 64, 8000, 5000, 0],
    ['1 MB at 1000 kbit/s is 8 s', 1000, 1_000_000, 0, 8000],
    ['nothing sent, nothing to wait', 64, 0, 0, 0],
  ];
  it.each(rows)('%s', (_name, cap, bytes, elapsed, wait) => {
    expect(paceDelayMs(cap, bytes, elapsed)).toBe(wait);
  });
});

describe('the chunk under a cap', () => {
  it(`carries at most ${CAP_CHUNK_SECONDS} s of the cap, never more than the uncapped chunk`, () => {
    expect(chunkSizeForCap(null, UNCAPPED)).toBe(UNCAPPED);
    expect(chunkSizeForCap(1000, UNCAPPED)).toBe(375_000);
    expect(chunkSizeForCap(64, UNCAPPED)).toBe(24_000);
    expect(chunkSizeForCap(100_000, UNCAPPED)).toBe(UNCAPPED);
  });
});

/**
 * Uploads over a simulated link for `totalMs`: each request carries one chunk plus its headers,
 * takes a round trip plus its bytes at the link's speed, then waits as paceDelayMs says. Returns
 * when each request started and what it carried, and when the last one's wait ended.
 */
function simulate(capKbps: number, linkKbps: number, rttMs: number, chunk: number, totalMs: number) {
  const sends: { at: number; bytes: number }[] = [];
  let t = 0;
  while (t < totalMs) {
    const bytes = chunk + HEADER_BYTES_ESTIMATE;
    const elapsed = rttMs + (bytes * 8) / linkKbps;
    sends.push({ at: t, bytes });
    t += elapsed + paceDelayMs(capKbps, bytes, elapsed);
  }
  return { sends, end: t };
}

describe('over 30 s the link stays within 10% of the cap', () => {
  const WINDOW_MS = 30_000;
  // [cap kbit/s, link kbit/s, round trip ms, chunk the uploader would use without a cap]
  const combos: [number, number, number, number][] = [
    [64, 512, 700, UNCAPPED],
    [64, 96, 700, UNCAPPED],
    [256, 2048, 600, UNCAPPED],
    [500, 5000, 0, 64 * 1024],
    [1000, 4000, 700, UNCAPPED],
    [1000, 50_000, 20, 256 * 1024],
    [4000, 8000, 700, UNCAPPED],
    [2000, 100_000, 5, 16 * 1024],
  ];
  it.each(combos)(
    'cap %i kbit/s on a %i kbit/s link, %i ms round trip, chunk %i',
    (cap, link, rtt, chunk) => {
      const { sends, end } = simulate(cap, link, rtt, chunkSizeForCap(cap, chunk), 10 * 60_000);
      const capBytes = (cap * 1000 * (WINDOW_MS / 1000)) / 8;
      // Every 30 s window that starts at a request, counting each request's bytes at its start (the
      // harshest count: a burst at the window's end counts in full).
      let worst = 0;
      let inWindow = 0;
      let last = 0;
      for (let first = 0; first < sends.length; first++) {
        const start = sends[first]?.at ?? 0;
        if (start + WINDOW_MS > end) break;
        while (last < sends.length && (sends[last]?.at ?? 0) < start + WINDOW_MS)
          inWindow += sends[last++]?.bytes ?? 0;
        worst = Math.max(worst, inWindow);
        inWindow -= sends[first]?.bytes ?? 0;
      }
      expect(worst / capBytes).toBeLessThanOrEqual(1.1);
      // And the cap is used, not wasted: over the whole run the average is within 10% below it.
      const total = sends.reduce((n, s) => n + s.bytes, 0);
      expect((total * 8) / end / cap).toBeGreaterThanOrEqual(0.9);
    },
  );
});
