import { describe, expect, it } from 'vitest';
import type { SeenRequest } from '../support/httpObserver.ts';
import type { LinkFault, LinkStateChange } from '../support/linkEmulator.ts';
import { linkFigures, longestIdle, medianOf, restoresOf, spansIn } from '../support/linkFigures.ts';

/** A request seen by the link, answered at `end` (null: cut or still in flight). */
function req(
  method: string,
  path: string,
  start: number,
  end: number | null,
  body: { bytes?: number; from?: number; to?: number | null } = {},
): SeenRequest {
  return {
    connection: 1,
    method,
    path,
    headBytes: 200,
    bodyBytes: body.bytes ?? 0,
    upBytes: 200 + (body.bytes ?? 0),
    startedAt: start,
    bodyStartedAt: body.from ?? null,
    sentAt: body.to ?? null,
    endedAt: end,
    status: end === null ? null : 200,
    answerBytes: end === null ? 0 : 100,
  };
}
const state = (at: number, s: LinkStateChange['state']): LinkStateChange => ({
  at,
  state: s,
  firstUplinkByteAt: null,
});
const fault = (at: number, kind: LinkFault['kind'], connections = 1): LinkFault => ({
  at,
  kind,
  connections,
  firstUplinkByteAt: null,
});

describe('spans and idle time', () => {
  it('cuts the timeline to the spans in one state', () => {
    const timeline = [
      state(0, 'up'),
      state(100, 'down'),
      state(300, 'up'),
      state(400, 'loss'),
      state(450, 'up'),
    ];
    expect(spansIn(timeline, 50, 500)).toEqual([
      [50, 100],
      [300, 400],
      [450, 500],
    ]);
    expect(spansIn(timeline, 0, 500, 'down')).toEqual([[100, 300]]);
  });

  it('counts idle time only while the link was up, and splits a gap across an outage', () => {
    const up: [number, number][] = [
      [0, 100],
      [300, 1000],
    ];
    // Busy 0–50 and 600–1000: the gap 50–600 is up 50–100 and 300–600.
    expect(
      longestIdle(
        [
          [0, 50],
          [600, 1000],
        ],
        up,
        0,
        1000,
      ),
    ).toBe(300);
    // Overlapping requests leave no gap; the tail after the last one counts.
    expect(
      longestIdle(
        [
          [0, 500],
          [400, 900],
        ],
        up,
        0,
        1000,
      ),
    ).toBe(100);
  });

  it('takes the median of an odd or even count, and none of nothing', () => {
    expect(medianOf([5, 1, 3])).toBe(3);
    expect(medianOf([4, 1, 3, 2])).toBe(2.5);
    expect(medianOf([])).toBeNull();
  });
});

describe('returns of the link', () => {
  it('counts the end of an outage and of a satellite drop, and resets and blackholes while up', () => {
    const timeline = [
      state(0, 'up'),
      state(1000, 'down'),
      state(2000, 'up'),
      state(5000, 'hang'),
      state(6000, 'up'),
      state(8000, 'loss'),
      state(8500, 'up'),
    ];
    const faults = [
      fault(1000, 'reset'), // the outage's own reset
      fault(3000, 'reset'),
      fault(4000, 'blackhole', 0), // nothing was open: nothing to come back from
      fault(4999.9, 'blackhole'), // the satellite drop's own blackhole
      fault(7000, 'blackhole'),
    ];
    const requests = [
      req('PATCH', '/files/a', 100, null, { bytes: 10, from: 400 }),
      req('GET', '/probe', 2100, 2200),
      req('HEAD', '/files/a', 2500, 3000),
      req('GET', '/api/progress/a', 3200, 3900),
      // Sent on a connection that never opened, then abandoned: no work on the link.
      { ...req('HEAD', '/files/a', 3100, 3100), upBytes: 0, status: null },
      req('PATCH', '/files/a', 4000, null, { bytes: 10, from: 4300 }),
      req('PATCH', '/files/a', 6100, null, { bytes: 10, from: 6400 }),
      req('PATCH', '/files/a', 9000, 9900, { bytes: 10, from: 9300, to: 9800 }),
    ];
    const restores = restoresOf(timeline, faults, requests, 100, 10_000);
    expect(restores).toEqual([
      { at: 2000, kind: 'outage', toRequestMs: 500, toByteMs: 2300 },
      { at: 3000, kind: 'reset', toRequestMs: 200, toByteMs: 1300 },
      { at: 6000, kind: 'satDown', toRequestMs: 100, toByteMs: 400 },
      { at: 7000, kind: 'blackhole', toRequestMs: 2000, toByteMs: 2300 },
    ]);
  });
});

describe('figures of a run', () => {
  it('measures wire bytes, the share of the link, idle time and probe bytes', () => {
    const MB = 1_000_000;
    // 1 MB/s; the file of 2 MB went in two PATCHes from 1.0 s to 3.5 s, with a 1 s outage in between.
    const timeline = [state(0, 'up'), state(2000, 'down'), state(2500, 'up')];
    const requests = [
      req('GET', '/index.html', -500, -100),
      req('POST', '/files/', 200, 800),
      req('PATCH', '/files/a', 1000, 2000, { bytes: MB, from: 1000, to: 2000 }),
      req('GET', '/probe', 2600, 2700),
      req('GET', '/api/progress/a', 2700, 2800),
      req('PATCH', '/files/a', 2800, 3600, { bytes: MB, from: 2800, to: 3500 }),
    ];
    const figures = linkFigures({
      fileBytes: 2 * MB,
      uplinkBytesPerSec: MB,
      addedAt: 0,
      endAt: 4000,
      completed: true,
      achievedBytes: 2 * MB,
      upBytes: 2.1 * MB,
      requests,
      timeline,
      faults: [fault(2000, 'reset')],
    });
    expect(figures.wallSeconds).toBe(4);
    expect(figures.wireToFile).toBeCloseTo(1.05);
    // Up 1.0–2.0 and 2.5–3.5 s: 2 s of link for 2 MB.
    expect(figures.linkShare).toBeCloseTo(1);
    // 0–0.2 s before the POST, and 3.6–4.0 s after the last answer.
    expect(figures.longestIdleMs).toBe(400);
    expect(figures.longestUploadIdleMs).toBe(400);
    expect(figures.restores).toEqual([{ at: 2500, kind: 'outage', toRequestMs: 200, toByteMs: 300 }]);
    expect(figures.refusedUploadUpBytes).toBe(0);
    expect(figures.probeAndProgressRequests).toBe(2);
    expect(figures.probeAndProgressBytes).toBe(600);
    expect(figures.requestCounts).toEqual({
      'POST /files': 1,
      'PATCH /files': 2,
      'GET /probe': 1,
      'GET /api/progress': 1,
    });
  });

  it('for a run that ran out of time, counts what arrived against the link up to the end', () => {
    const figures = linkFigures({
      fileBytes: 1000,
      uplinkBytesPerSec: 100,
      addedAt: 0,
      endAt: 10_000,
      completed: false,
      achievedBytes: 400,
      upBytes: 900,
      requests: [req('POST', '/files/', 0, null, { bytes: 1000, from: 2000 })],
      timeline: [state(0, 'up')],
      faults: [],
    });
    // 400 bytes in the 8 s from the first body byte to the end, of 800 the link could carry.
    expect(figures.linkShare).toBeCloseTo(0.5);
    expect(figures.longestIdleMs).toBe(0);
  });

  it('has no share of the link when the link has no limit', () => {
    const figures = linkFigures({
      fileBytes: 10,
      uplinkBytesPerSec: 0,
      addedAt: 0,
      endAt: 10,
      completed: true,
      achievedBytes: 10,
      upBytes: 10,
      requests: [req('PATCH', '/files/a', 0, 10, { bytes: 10, from: 1, to: 9 })],
      timeline: [state(0, 'up')],
      faults: [],
    });
    expect(figures.linkShare).toBeNull();
  });
});
