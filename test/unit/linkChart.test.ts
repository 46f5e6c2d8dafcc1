import { describe, expect, it } from 'vitest';
import { chartBars, chartSummary } from '../../src/app/LinkPanel/chart.ts';
import type { LinkHistoryPoint } from '../../src/shared/linkEstimator.ts';

const HOUR = 3_600_000;
const NOW = 100 * HOUR;
const minute = (at: number, over: Partial<LinkHistoryPoint> = {}): LinkHistoryPoint => ({
  at,
  bytes: 0,
  busyMs: 0,
  upMs: 60_000,
  downMs: 0,
  failures: 0,
  rttMs: null,
  ...over,
});
const rate = (bps: number) => `${bps} B/s`;

describe('the link chart', () => {
  it('puts each minute in its stretch and leaves unmeasured stretches unknown, not zero', () => {
    const bars = chartBars(
      [
        minute(NOW - 6 * HOUR + 1, { bytes: 600_000, busyMs: 60_000 }),
        minute(NOW - 30 * 60_000, { upMs: 30_000, downMs: 30_000 }),
        minute(NOW - 7 * HOUR, { bytes: 1 }),
      ],
      NOW,
    );
    expect(bars).toHaveLength(36);
    expect(bars[0]).toMatchObject({ rateBps: 10_000, downShare: 0 });
    expect(bars[33]).toMatchObject({ rateBps: null, downShare: 0.5 });
    expect(bars[10]).toMatchObject({ rateBps: null, downShare: null });
  });

  it('says in words how the link was', () => {
    const bars = chartBars(
      [
        minute(NOW - HOUR, { bytes: 250_000, busyMs: 1_000 }),
        minute(NOW - 2 * HOUR, { upMs: 0, downMs: 60_000 }),
      ],
      NOW,
    );
    expect(chartSummary(bars, 6, rate)).toBe(
      'Last 6 hours: shore answered 50% of the measured time, best 250000 B/s while sending.',
    );
    expect(chartSummary(chartBars([], NOW), 6, rate)).toBe('No link measurements in the last 6 hours.');
  });
});
