import { describe, expect, it } from 'vitest';
import {
  allDoneIn,
  bytesOnServer,
  filterCounts,
  filterItems,
  finishTimes,
  goesByItself,
  matchesFilter,
  paceOf,
  type QueueFilter,
  queueTotals,
  type RateSource,
  ROUND_TRIPS_PER_FILE,
} from '../../src/shared/queueView.ts';
import type { UploadStatus, WaitReason } from '../../src/shared/types.ts';
import { makeItem } from './fakes.ts';

describe('which filter shows which status', () => {
  const table: [UploadStatus, Record<QueueFilter, boolean>][] = [
    ['waiting', { all: true, waiting: true, uploaded: false, failed: false }],
    ['uploading', { all: true, waiting: true, uploaded: false, failed: false }],
    ['paused', { all: true, waiting: true, uploaded: false, failed: false }],
    ['uploaded', { all: true, waiting: false, uploaded: true, failed: false }],
    ['failed', { all: true, waiting: false, uploaded: false, failed: true }],
  ];
  it.each(table)('%s', (status, shown) => {
    for (const [filter, expected] of Object.entries(shown))
      expect(matchesFilter({ status }, filter as QueueFilter), filter).toBe(expected);
  });

  it('counts each filter and keeps the order when filtering', () => {
    const items = [
      makeItem('a', 'uploaded'),
      makeItem('b', 'waiting'),
      makeItem('c', 'failed'),
      makeItem('d', 'paused'),
      makeItem('e', 'uploading'),
      makeItem('f', 'uploaded'),
    ];
    expect(filterCounts(items)).toEqual({ all: 6, waiting: 3, uploaded: 2, failed: 1 });
    expect(filterItems(items, 'uploaded').map((i) => i.id)).toEqual(['a', 'f']);
    expect(filterItems(items, 'waiting').map((i) => i.id)).toEqual(['b', 'd', 'e']);
    expect(filterItems(items, 'all')).toBe(items);
    expect(filterCounts([])).toEqual({ all: 0, waiting: 0, uploaded: 0, failed: 0 });
  });
});

describe('what goes by itself', () => {
  const table: [UploadStatus, WaitReason | null, boolean][] = [
    ['uploading', null, true],
    ['waiting', 'queued', true],
    ['waiting', 'checking', true],
    ['waiting', 'offline', true],
    ['waiting', 'backoff', true],
    ['waiting', 'runner-stopped', true],
    ['waiting', null, true],
    ['waiting', 'signed-out', false],
    ['waiting', 'budget-day', false],
    ['waiting', 'budget-month', false],
    ['waiting', 'metered', false],
    ['waiting', 'save-data', false],
    ['paused', null, false],
    ['paused', 'duplicate', false],
    ['failed', null, false],
    ['uploaded', null, false],
  ];
  it.each(table)('%s (%s) → %s', (status, waitReason, expected) => {
    expect(goesByItself({ status, waitReason })).toBe(expected);
  });
});

describe('bytes on the server', () => {
  const table: [number, number, number | undefined, number][] = [
    [1000, 200, undefined, 200],
    [1000, 200, 500, 500],
    [1000, 600, 500, 600],
    [1000, 0, 5000, 1000],
    [0, 0, undefined, 0],
  ];
  it.each(table)('size %i, confirmed %i, live %s → %i', (size, bytesConfirmed, live, expected) => {
    expect(bytesOnServer({ size, bytesConfirmed }, live)).toBe(expected);
  });
});

describe('totals', () => {
  it('adds up what goes by itself and counts the rest apart', () => {
    const items = [
      makeItem('up', 'uploading', 10_000, { bytesConfirmed: 2_000 }),
      makeItem('next', 'waiting', 5_000),
      makeItem('offline', 'waiting', 1_000, { waitReason: 'offline' }),
      makeItem('budget', 'waiting', 7_000, { waitReason: 'budget-day' }),
      makeItem('paused', 'paused', 3_000),
      makeItem('failed', 'failed', 4_000),
      makeItem('done', 'uploaded', 9_000, { bytesConfirmed: 9_000 }),
    ];
    expect(queueTotals(items, { up: 6_000 })).toEqual({
      toSend: 3,
      bytesLeft: 4_000 + 5_000 + 1_000,
      heldBack: 1,
      paused: 1,
      failed: 1,
    });
    expect(queueTotals([], {})).toEqual({ toSend: 0, bytesLeft: 0, heldBack: 0, paused: 0, failed: 0 });
  });
});

describe('the pace to estimate with', () => {
  const link = (patch: Partial<RateSource>): RateSource => ({
    state: 'up',
    goodputBps: 100_000,
    rttMs: 600,
    ...patch,
  });
  const table: [string, RateSource | null, boolean, { bytesPerSec: number; perFileSec: number } | null][] = [
    ['measured, up', link({}), true, { bytesPerSec: 100_000, perFileSec: 1.8 }],
    [
      'measured, state not checked yet',
      link({ state: 'unknown' }),
      true,
      { bytesPerSec: 100_000, perFileSec: 1.8 },
    ],
    ['no round trip yet', link({ rttMs: null }), true, { bytesPerSec: 100_000, perFileSec: 0 }],
    ['nothing measured', link({ goodputBps: null }), true, null],
    ['a rate of zero', link({ goodputBps: 0 }), true, null],
    ['a rate that is not a number', link({ goodputBps: Number.NaN }), true, null],
    ['link down', link({ state: 'down' }), true, null],
    ['browser offline', link({}), false, null],
    ['no snapshot from the worker', null, true, null],
  ];
  it.each(table)('%s', (_, source, online, expected) => {
    const pace = paceOf(source, online);
    if (expected === null) expect(pace).toBeNull();
    else {
      expect(pace?.bytesPerSec).toBe(expected.bytesPerSec);
      expect(pace?.perFileSec).toBeCloseTo(expected.perFileSec, 9);
    }
  });
});

describe('when each file should be done', () => {
  const pace = { bytesPerSec: 1_000, perFileSec: 0.3 };

  it('sends the running file first, then the others in order, skipping what does not go by itself', () => {
    const items = [
      makeItem('urgent', 'waiting', 2_000),
      makeItem('running', 'uploading', 5_000, { bytesConfirmed: 1_000 }),
      makeItem('paused', 'paused', 50_000),
      makeItem('held', 'waiting', 50_000, { waitReason: 'metered' }),
      makeItem('last', 'waiting', 1_000),
      makeItem('done', 'uploaded', 1_000, { bytesConfirmed: 1_000 }),
    ];
    const times = finishTimes(items, { running: 3_000 }, pace);
    const running = 2 + 0.3 / ROUND_TRIPS_PER_FILE;
    expect([...times.keys()]).toEqual(['running', 'urgent', 'last']);
    expect(times.get('running')).toBeCloseTo(running, 9);
    expect(times.get('urgent')).toBeCloseTo(running + 2.3, 9);
    expect(times.get('last')).toBeCloseTo(running + 2.3 + 1.3, 9);
    expect(allDoneIn(times)).toBeCloseTo(running + 3.6, 9);
  });

  it('says nothing when the pace is unknown', () => {
    const times = finishTimes([makeItem('a', 'uploading'), makeItem('b', 'waiting')], {}, null);
    expect(times.size).toBe(0);
    expect(times.get('a')).toBeUndefined();
  });

  it('counts each file’s round trips, so many small files are not taken for a moment', () => {
    const small = Array.from({ length: 100 }, (_, i) => makeItem(`f${i}`, 'waiting', 10));
    const slowLink = paceOf({ state: 'up', goodputBps: 250_000, rttMs: 600 }, true);
    expect(allDoneIn(finishTimes(small, {}, slowLink))).toBeGreaterThan(100 * 3 * 0.6);
  });

  it('nothing to send is done now', () => {
    expect(allDoneIn(finishTimes([makeItem('a', 'uploaded')], {}, pace))).toBe(0);
  });
});
