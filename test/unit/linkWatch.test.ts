import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/shared/engine.ts';
import type { LinkSnapshot } from '../../src/shared/linkEstimator.ts';
import { defaultSettings, type LinkSettings } from '../../src/shared/linkSettings.ts';
import { type LinkHome, LinkWatch, PROBE_BYTES } from '../../src/shared/linkWatch.ts';
import { type DaySpend, emptyDay, type SpendKind, SpendLedger } from '../../src/shared/spendLedger.ts';
import { timerClock } from '../../src/shared/timerClock.ts';
import type { SignalLike } from '../../src/shared/types.ts';
import { type SpendStore, UploadRules } from '../../src/shared/uploadRules.ts';
import { localDay } from '../../src/shared/zonedDate.ts';
import { VirtualClock } from './fakes.ts';

/** A probe that answers from a script: a number is an answer of that many bytes, 'fail' a refusal, 'hang' no answer until aborted. */
type ProbeStep = number | 'fail' | 'hang';

function watchWith(script: ProbeStep[], clock: Clock = timerClock({ setTimeout, clearTimeout })) {
  const spent: [number, SpendKind][] = [];
  const shown: LinkSnapshot[] = [];
  let saved: LinkSnapshot | undefined;
  const probes = { started: 0, inFlight: 0, maxInFlight: 0, aborted: 0 };
  const home: LinkHome = {
    clock,
    probe: (signal: SignalLike) => {
      const step = script[probes.started] ?? script[script.length - 1] ?? 'fail';
      probes.started++;
      probes.inFlight++;
      probes.maxInFlight = Math.max(probes.maxInFlight, probes.inFlight);
      const settle = () => probes.inFlight--;
      if (typeof step === 'number') {
        settle();
        return Promise.resolve(step);
      }
      if (step === 'fail') {
        settle();
        return Promise.reject(new Error('refused'));
      }
      return new Promise<number>((_, reject) =>
        signal.addEventListener('abort', () => {
          settle();
          probes.aborted++;
          reject(new Error('aborted'));
        }),
      );
    },
    hints: () => ({}),
    snapshots: {
      linkSnapshot: async () => saved,
      setLinkSnapshot: async (s) => {
        saved = s;
      },
    },
    show: (s) => shown.push(s),
    spent: (bytes, kind) => spent.push([bytes, kind]),
  };
  return { watch: new LinkWatch(home), clock, spent, shown, probes, saved: () => saved };
}

describe('LinkWatch.untilShoreAnswers', () => {
  // The platform's own timers, faked: concurrent waits overlap as they do in a worker or in Node.
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 30, 9, 0, 0) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs the wait with the fake timers advanced by `ms`. */
  async function waited(wait: Promise<boolean>, ms: number): Promise<boolean> {
    await vi.advanceTimersByTimeAsync(ms);
    return wait;
  }

  it('resolves true at the first probe shore answers, counting every probe as probe bytes', async () => {
    const { watch, spent, probes } = watchWith(['fail', 'fail', 12]);
    expect(await waited(watch.untilShoreAnswers(Date.now() + 60_000), 5_000)).toBe(true);
    expect(probes.started).toBe(3);
    expect(spent).toEqual([
      [PROBE_BYTES, 'probe'],
      [PROBE_BYTES, 'probe'],
      [PROBE_BYTES + 12, 'probe'],
    ]);
    expect(watch.estimator.snapshot().state).toBe('up');
  });

  it('gives up at the deadline when shore never answers, probing more rarely as the outage lasts', async () => {
    const { watch, probes } = watchWith(['fail']);
    const start = Date.now();
    const wait = watch.untilShoreAnswers(start + 20 * 60_000);
    await vi.advanceTimersByTimeAsync(20 * 60_000 - 1);
    expect(probes.started).toBeGreaterThan(0);
    let ended = false;
    void wait.then(() => {
      ended = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toBe(false);
    expect(await waited(wait, 1)).toBe(false);
    // Every 0.5–1 s for the first 10 minutes, every 5 s after: far fewer than one a second.
    expect(probes.started).toBeGreaterThan(600);
    expect(probes.started).toBeLessThan(10 * 60 + 10 * 12 + 10);
  });

  it('keeps at most four probes out at once into a dead link, and calls them off when it ends', async () => {
    const { watch, probes } = watchWith(['hang']);
    expect(await waited(watch.untilShoreAnswers(Date.now() + 30_000), 30_000)).toBe(false);
    expect(probes.maxInFlight).toBe(4);
    expect(probes.started).toBe(4);
    expect(probes.aborted).toBe(4);
    expect(probes.inFlight).toBe(0);
  });

  it('probes at once when a request elsewhere fails, without waiting for the schedule', async () => {
    const { watch, probes } = watchWith(['fail', 'fail', 'fail', 'fail', 'fail', 8]);
    const wait = watch.untilShoreAnswers(Date.now() + 60 * 60_000);
    // The first probe failed; the next is half a second away.
    await vi.advanceTimersByTimeAsync(0);
    const before = probes.started;
    watch.traffic.failed();
    await vi.advanceTimersByTimeAsync(0);
    expect(probes.started).toBe(before + 1);
    expect(await waited(wait, 60_000)).toBe(true);
  });

  it('gives each probe a whole number of milliseconds, which Node’s AbortSignal.timeout requires', async () => {
    const timeouts: number[] = [];
    const watch = new LinkWatch({
      clock: timerClock({ setTimeout, clearTimeout }),
      probe: async (_signal, timeoutMs) => {
        timeouts.push(timeoutMs);
        AbortSignal.timeout(timeoutMs);
        return 2;
      },
      hints: () => ({}),
      snapshots: { linkSnapshot: async () => undefined, setLinkSnapshot: async () => {} },
      show() {},
      spent() {},
    });
    // Round trips measured to the sub-millisecond make fractional limits.
    watch.traffic.answered(1278.953);
    watch.traffic.answered(641.3);
    expect(watch.limits().answerMs % 1).not.toBe(0);
    expect(await waited(watch.untilShoreAnswers(Date.now() + 10_000), 1_000)).toBe(true);
    expect(timeouts.length).toBe(1);
    expect(Number.isInteger(timeouts[0])).toBe(true);
  });

  it('ends false at once when the caller aborts', async () => {
    const { watch } = watchWith(['fail']);
    const signal = { aborted: true, addEventListener() {}, removeEventListener() {} };
    expect(await watch.untilShoreAnswers(Date.now() + 60_000, signal)).toBe(false);
  });
});

describe('LinkWatch', () => {
  it('keeps what it learned and takes it up again in a new process', async () => {
    const first = watchWith([40]);
    first.watch.traffic.answered(640);
    first.watch.traffic.transferred(2_000_000, 8_000);
    await first.watch.save();
    const stored = first.saved();
    expect(stored?.goodputBps).toBe(250_000);

    const third = new LinkWatch({
      clock: new VirtualClock(),
      probe: async () => 0,
      hints: () => ({}),
      snapshots: { linkSnapshot: async () => stored, setLinkSnapshot: async () => {} },
      show() {},
      spent() {},
    });
    await third.restore();
    expect(third.estimator.goodputBps).toBe(250_000);
    expect(third.limits().answerMs).toBe(first.watch.limits().answerMs);
  });
});

/** A spend store in memory that counts its writes. */
class MemorySpend implements SpendStore {
  days = new Map<string, DaySpend>();
  writes = 0;
  async record(bytes: number, atMs: number, kind: SpendKind, timeZone: string) {
    const day = localDay(atMs, timeZone);
    const next = { ...(this.days.get(day) ?? emptyDay(day)) };
    next[kind] += bytes;
    this.days.set(day, next);
    this.writes++;
    return next;
  }
  async ledger(timeZone: string) {
    return new SpendLedger(timeZone, [...this.days.values()]);
  }
}

function rulesWith(settings: Partial<LinkSettings>, spend = new MemorySpend()) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 30, 9, 0, 0));
  const warnings: string[] = [];
  const rules = new UploadRules({
    clock,
    settings: { settings: async () => ({ ...defaultSettings('UTC'), ...settings }) },
    spend,
    hints: () => ({ saveData: false }),
    showSettings() {},
    showSpend() {},
    warn: (message) => warnings.push(message),
  });
  return { rules, spend, clock, warnings };
}

describe('UploadRules', () => {
  it('cuts chunks to a few seconds of the cap and to what the daily budget has left', async () => {
    const { rules } = rulesWith({ capKbps: 800, dailyBudgetBytes: 5_000_000 });
    await rules.load();
    // 800 kbit/s is 100,000 bytes/s: a chunk carries 3 s of it.
    expect(rules.chunkFor({ priority: 5 }, 8_000_000)).toBe(300_000);
    rules.count(4_900_000, 'payload');
    expect(rules.chunkFor({ priority: 5 }, 8_000_000)).toBe(100_000);
    rules.count(200_000, 'payload');
    expect(rules.chunkFor({ priority: 5 }, 8_000_000)).toBe(1);
    expect(rules.admitLoaded({ size: 10, priority: 5 }).ok).toBe(false);
  });

  it('writes counted bytes in one write per kind, and they are in the ledger a new process reads', async () => {
    const { rules, spend } = rulesWith({});
    await rules.load();
    for (let i = 0; i < 50; i++) rules.count(1000, 'payload');
    rules.count(600, 'probe');
    expect(spend.writes).toBe(0);
    await rules.flush();
    expect(spend.writes).toBe(2);
    const again = rulesWith({}, spend).rules;
    expect((await again.totals()).todayBytes).toBe(50_600);
  });

  it('keeps the settings in force when they cannot be read, and says so', async () => {
    const { rules, warnings } = rulesWith({ capKbps: 800 });
    await rules.load();
    const broken = new UploadRules({
      clock: new VirtualClock(),
      settings: {
        settings: async () => {
          throw new Error('disk');
        },
      },
      spend: new MemorySpend(),
      hints: () => ({ saveData: false }),
      showSettings() {},
      showSpend() {},
      warn: (message) => warnings.push(message),
    });
    expect((await broken.load()).capKbps).toBeNull();
    expect(warnings).toEqual(['link settings could not be read; keeping the ones in force']);
    expect(rules.current.capKbps).toBe(800);
  });
});
