import { describe, expect, it } from 'vitest';
import { ChunkSizer, defaultChunkBounds } from '../../src/shared/chunkSizer.ts';
import { LinkEstimator } from '../../src/shared/linkEstimator.ts';
import { StallJudge, stallLimits } from '../../src/shared/stallJudge.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
/** 2 Mbit/s in bytes per second. */
const GEO_RATE = 250_000;

class Clock {
  time = Date.UTC(2026, 10, 30, 8, 0, 0);
  now = () => this.time;
}

describe('ChunkSizer', () => {
  const far = 1e9;

  it('starts at 1 MiB when nothing is measured', () => {
    expect(new ChunkSizer().next({ goodputBps: null, rttMs: null, msLeft: far })).toBe(MiB);
  });

  it('grows ×4 per chunk while chunks are too quick to measure', () => {
    const sizer = new ChunkSizer();
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const size = sizer.next({ goodputBps: null, rttMs: 1, msLeft: far });
      sizes.push(size);
      sizer.succeeded(size);
    }
    expect(sizes).toEqual([MiB, 4 * MiB, 16 * MiB, 64 * MiB, 256 * MiB]);
  });

  it('grows at most ×4 per chunk on a steady GEO link, up to 30 s of it', () => {
    const sizer = new ChunkSizer();
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const size = sizer.next({ goodputBps: GEO_RATE, rttMs: 600, msLeft: far });
      sizes.push(size);
      sizer.succeeded(size);
    }
    // 30 s at 250 kB/s is 7.5 MB, floored to 64 KiB units.
    const target = Math.floor((GEO_RATE * 30) / (64 * KiB)) * 64 * KiB;
    expect(sizes).toEqual([4 * MiB, target, target, target, target, target]);
  });

  it('reaches the 256 MiB ceiling on a LAN and never passes it', () => {
    const sizer = new ChunkSizer();
    let size = 0;
    for (let i = 0; i < 8; i++) {
      size = sizer.next({ goodputBps: 100 * MiB, rttMs: 1, msLeft: far });
      sizer.succeeded(size);
    }
    expect(size).toBe(defaultChunkBounds.maxBytes);
  });

  it('halves after a stall and grows back by doubling', () => {
    const sizer = new ChunkSizer();
    const ctx = { goodputBps: GEO_RATE, rttMs: 600, msLeft: far };
    let size = 0;
    for (let i = 0; i < 3; i++) {
      size = sizer.next(ctx);
      sizer.succeeded(size);
    }
    sizer.failed(size);
    const after = sizer.next(ctx);
    expect(after).toBeLessThanOrEqual(size / 2);
    sizer.succeeded(after);
    const next = sizer.next(ctx);
    expect(next).toBeGreaterThan(after);
    expect(next).toBeLessThanOrEqual(after * 2);
  });

  it('fits the chunk inside the time left in the run', () => {
    const sizer = new ChunkSizer();
    sizer.succeeded(4 * MiB);
    const size = sizer.next({ goodputBps: GEO_RATE, rttMs: 600, msLeft: 10_000 });
    // (10 s − 2 round trips) × 80% of the link.
    expect(size).toBeLessThanOrEqual(GEO_RATE * 8.8 * 0.8);
    expect(size).toBeGreaterThan(GEO_RATE * 8.8 * 0.8 - 64 * KiB);
  });

  it('keeps every size a whole number of 64 KiB within the bounds', () => {
    const sizer = new ChunkSizer();
    for (const goodput of [1, 10_000, 123_457, GEO_RATE, 9_876_543, 1e10]) {
      for (const msLeft of [0, 5_000, far]) {
        const size = sizer.next({ goodputBps: goodput, rttMs: 600, msLeft });
        expect(size % (64 * KiB)).toBe(0);
        expect(size).toBeGreaterThanOrEqual(defaultChunkBounds.minBytes);
        expect(size).toBeLessThanOrEqual(defaultChunkBounds.maxBytes);
      }
    }
  });
});

describe('stall limits', () => {
  it('gives a silent PATCH on a GEO link up within seconds', () => {
    const geo = stallLimits(600, 100);
    expect(geo.readEveryMs).toBe(1500);
    expect(geo.silentMs).toBe(5000);
    expect(geo.answerMs).toBe(3000);
  });

  it('keeps floors on a LAN and ceilings on a terrible link', () => {
    expect(stallLimits(2, 1)).toMatchObject({ readEveryMs: 1000, silentMs: 3000, answerMs: 2500 });
    expect(stallLimits(8000, 4000)).toMatchObject({ readEveryMs: 3000, silentMs: 30_000, answerMs: 30_000 });
  });

  it('assumes a 1 s round trip before one is measured', () => {
    expect(stallLimits(null)).toEqual(stallLimits(1000, 500));
  });
});

describe('StallJudge', () => {
  const limits = stallLimits(600, 100); // reads every 1.5 s, silent after 5 s, blind after 10 s

  /** Replays reads (ms after the start → received, or null for a read with no answer). */
  function replay(reads: [number, number | null][], bodyBytes = 10 * MiB) {
    const judge = new StallJudge(limits, 0, bodyBytes, 0);
    for (const [at, received] of reads) {
      if (received !== null) judge.read(received, at);
      const verdict = judge.verdict(at);
      if (verdict) return { at, verdict };
    }
    return null;
  }

  it('calls a connection silent 5 s after the server count stopped', () => {
    const reads: [number, number][] = [];
    for (let t = 1500; t <= 30_000; t += 1500) reads.push([t, Math.min(t, 9000) * 250]);
    expect(replay(reads)).toEqual({ at: 15_000, verdict: 'silent' });
  });

  it('never stalls a slow link that keeps moving (2 kB per read, 20 minutes)', () => {
    const reads: [number, number][] = [];
    for (let t = 1500; t <= 1_200_000; t += 1500) reads.push([t, (t / 1500) * 2000]);
    expect(replay(reads, 10 * MiB)).toBeNull();
  });

  it('calls a trickle of a byte a second silent: it is as good as dead', () => {
    const reads: [number, number][] = [];
    for (let t = 1500; t <= 30_000; t += 1500) reads.push([t, 1000 + t / 1000]);
    expect(replay(reads)?.verdict).toBe('silent');
  });

  it('waits for the blind limit when the reads themselves get no answer', () => {
    const reads: [number, number | null][] = [[1500, 100_000]];
    for (let t = 3000; t <= 30_000; t += 1500) reads.push([t, null]);
    // Moved at 1.5 s; no read answered since, so only the 10 s blind limit applies.
    expect(replay(reads)).toEqual({ at: 12_000, verdict: 'blind' });
  });

  it('dates movement by when the server last got a byte, not by when a late read came back', () => {
    const judge = new StallJudge(limits, 0, 10 * MiB, 0);
    judge.read(100_000, 1500);
    // Reads hung on dead connections; this one, 4 s later, shows bytes that arrived 3.5 s ago.
    judge.read(150_000, 5500, 3500);
    expect(judge.verdict(5500 + 1)).toBeNull();
    expect(judge.verdict(2000 + limits.silentMs + 1)).toBe('silent');
  });

  it('waits longer for the answer once the server holds the whole body', () => {
    const judge = new StallJudge(limits, 0, 1000, 0);
    judge.read(1000, 1500);
    expect(judge.verdict(1500 + limits.silentMs + 1)).toBeNull();
    expect(judge.verdict(1500 + limits.settleMs + 1)).toBe('no-answer');
  });
});

describe('LinkEstimator', () => {
  it('learns goodput from transfers and round trips from answers', () => {
    const clock = new Clock();
    const link = new LinkEstimator(clock);
    expect(link.goodputBps).toBeNull();
    for (let i = 0; i < 40; i++) {
      clock.time += 1500;
      link.transferred(GEO_RATE * 1.5, 1500);
      link.answered(600 + (i % 2 ? 50 : -50));
    }
    expect(link.goodputBps).toBeCloseTo(GEO_RATE, -3);
    expect(link.rttMs).toBeGreaterThan(550);
    expect(link.rttMs).toBeLessThan(650);
    expect(link.state).toBe('up');
  });

  it('follows a fall in rate within 20 s of samples, a rise more slowly', () => {
    const clock = new Clock();
    const link = new LinkEstimator(clock);
    for (let i = 0; i < 60; i++) link.transferred(2_500_000, 1000); // 20 Mbit/s
    for (let i = 0; i < 20; i++) link.transferred(GEO_RATE, 1000); // failover to VSAT
    expect(link.goodputBps).toBeLessThan(GEO_RATE * 1.3);
    for (let i = 0; i < 20; i++) link.transferred(2_500_000, 1000);
    expect(link.goodputBps).toBeGreaterThan(GEO_RATE * 5);
    expect(link.goodputBps).toBeLessThan(2_500_000 * 0.9);
  });

  it('gathers transfers too short to time until together they measure a rate', () => {
    const link = new LinkEstimator(new Clock());
    link.transferred(1_000_000, 5);
    expect(link.goodputBps).toBeNull();
    for (let i = 0; i < 60; i++) link.transferred(1_000_000, 5); // 1 MB chunks in 5 ms: a LAN
    expect(link.goodputBps).toBe(200_000_000);
  });

  it('goes down on a failure, probes soon, then less often as the outage lasts', () => {
    const clock = new Clock();
    const link = new LinkEstimator(clock);
    link.answered(600);
    link.failed();
    expect(link.state).toBe('down');
    expect(link.probeDelayMs()).toBe(500);
    link.probed(false);
    expect(link.probeDelayMs()).toBe(1000);
    clock.time += 11 * 60_000;
    expect(link.probeDelayMs()).toBe(5000);
    clock.time += 20 * 60_000;
    expect(link.probeDelayMs()).toBe(15_000);
    link.probed(true, 700);
    expect(link.state).toBe('up');
    expect(link.probeDelayMs()).toBe(0);
  });

  it('believes the browser about offline, not about online', () => {
    const link = new LinkEstimator(new Clock());
    link.hint({ online: false });
    expect(link.state).toBe('down');
    expect(link.recommendation()).toMatchObject({
      shouldUpload: false,
      reason: 'This device has no network.',
    });
    link.hint({ online: true, effectiveType: '4g' });
    expect(link.state).toBe('down');
    expect(link.recommendation().shouldUpload).toBe(false);
    link.probed(true, 600);
    expect(link.recommendation().shouldUpload).toBe(true);
  });

  it('scores a steady link high, a flapping one lower, a dead one low', () => {
    const steady = new Clock();
    const a = new LinkEstimator(steady);
    a.answered(600);
    steady.time += 30 * 60_000;
    expect(a.quality()).toBeGreaterThanOrEqual(0.95);

    const flapping = new Clock();
    const b = new LinkEstimator(flapping);
    for (let i = 0; i < 30; i++) {
      b.answered(600);
      flapping.time += 40_000;
      b.failed();
      flapping.time += 20_000;
    }
    b.answered(600);
    expect(b.quality()).toBeLessThan(0.7);
    expect(b.quality()).toBeGreaterThan(0.3);

    const dead = new Clock();
    const c = new LinkEstimator(dead);
    c.answered(600);
    dead.time += 60_000;
    c.failed();
    dead.time += 29 * 60_000;
    expect(c.quality()).toBeLessThan(0.35);
  });

  it('keeps six hours of minute history with up and down time', () => {
    const clock = new Clock();
    const link = new LinkEstimator(clock);
    link.answered(600);
    clock.time += 90_000;
    link.failed();
    clock.time += 30_000;
    const history = link.history();
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ upMs: 60_000, downMs: 0, rttMs: 600 });
    expect(history[1]).toMatchObject({ upMs: 30_000, downMs: 30_000, failures: 1 });
    clock.time += 7 * 3_600_000;
    link.answered(600);
    expect(link.history().length).toBeLessThanOrEqual(361);
    expect(link.history()[0]?.at).toBeGreaterThan(clock.time - 6 * 3_600_000 - 60_000);
  });

  it('starts from a saved snapshot with its rates but an unknown state', () => {
    const clock = new Clock();
    const first = new LinkEstimator(clock);
    first.answered(600);
    first.transferred(GEO_RATE * 2, 2000);
    const again = new LinkEstimator(clock, structuredClone(first.snapshot()));
    expect(again.goodputBps).toBe(GEO_RATE);
    expect(again.rttMs).toBe(600);
    expect(again.state).toBe('unknown');
    expect(again.history()).toHaveLength(1);
  });

  it('keeps what it measured itself over a snapshot restored late', () => {
    const clock = new Clock();
    const saved = new LinkEstimator(clock);
    saved.answered(600);
    saved.transferred(GEO_RATE * 2, 2000);
    const snapshot = structuredClone(saved.snapshot());
    clock.time += 60_000;
    const fresh = new LinkEstimator(clock);
    fresh.answered(40);
    fresh.transferred(2_500_000, 1000);
    fresh.restore(snapshot);
    expect(fresh.rttMs).toBe(40);
    expect(fresh.goodputBps).toBe(2_500_000);
    expect(fresh.history()).toHaveLength(2);
  });
});
