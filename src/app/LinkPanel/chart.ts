import type { LinkHistoryPoint } from '../../shared/linkEstimator.ts';

/** One bar of the link chart: a stretch of time, what reached shore in it, and how much it was down. */
export interface ChartBar {
  at: number;
  /** Bytes per second reaching the server while it was busy, or null when nothing was sent. */
  rateBps: number | null;
  /** Share of the measured time the link was down, 0–1; null when it was not measured at all. */
  downShare: number | null;
}

/**
 * The last `hours` of per-minute history in `bars` equal stretches, oldest first, for a small chart.
 * Minutes without any record (the worker was not running) count as unknown, never as zero.
 */
export function chartBars(
  history: readonly LinkHistoryPoint[],
  now: number,
  hours = 6,
  bars = 36,
): ChartBar[] {
  const span = (hours * 3_600_000) / bars;
  const start = now - hours * 3_600_000;
  const out: ChartBar[] = Array.from({ length: bars }, (_, i) => ({
    at: start + i * span,
    rateBps: null,
    downShare: null,
  }));
  const sums = out.map(() => ({ bytes: 0, busyMs: 0, upMs: 0, downMs: 0 }));
  for (const point of history) {
    const index = Math.floor((point.at - start) / span);
    const sum = sums[index];
    if (!sum) continue;
    sum.bytes += point.bytes;
    sum.busyMs += point.busyMs;
    sum.upMs += point.upMs;
    sum.downMs += point.downMs;
  }
  sums.forEach((sum, i) => {
    const bar = out[i] as ChartBar;
    if (sum.busyMs > 0) bar.rateBps = (sum.bytes * 1000) / sum.busyMs;
    if (sum.upMs + sum.downMs > 0) bar.downShare = sum.downMs / (sum.upMs + sum.downMs);
  });
  return out;
}

/** The chart in words, for screen readers and for anyone who prefers a sentence. */
export function chartSummary(
  bars: readonly ChartBar[],
  hours: number,
  formatRate: (bps: number) => string,
): string {
  const measured = bars.filter((b) => b.downShare !== null);
  if (!measured.length) return `No link measurements in the last ${hours} hours.`;
  const up = 1 - measured.reduce((s, b) => s + (b.downShare ?? 0), 0) / measured.length;
  const rates = bars.flatMap((b) => (b.rateBps === null ? [] : [b.rateBps]));
  const speed = rates.length ? `, best ${formatRate(Math.max(...rates))} while sending` : '';
  return `Last ${hours} hours: shore answered ${Math.round(up * 100)}% of the measured time${speed}.`;
}
