import type { SeenRequest } from './httpObserver.ts';
import type { LinkFault, LinkState, LinkStateChange } from './linkEmulator.ts';

/** What one client did through one link, as the link recorded it. All times in ms since the epoch. */
export interface LinkRun {
  fileBytes: number;
  /** The link's uplink rate; 0 means unlimited. */
  uplinkBytesPerSec: number;
  /** When the file was handed to the client. */
  addedAt: number;
  /** When the server held the whole file, or when the client's time ran out. */
  endAt: number;
  completed: boolean;
  /** Bytes of the file the server held at `endAt`. */
  achievedBytes: number;
  /** Uplink bytes the link carried from `addedAt` to `endAt`. */
  upBytes: number;
  requests: readonly SeenRequest[];
  timeline: readonly LinkStateChange[];
  faults: readonly LinkFault[];
}

/** The link came back (or its open connections died while new ones work) at `at`; what followed. */
export interface Restore {
  at: number;
  kind: 'outage' | 'satDown' | LinkFault['kind'];
  /** From `at` to the next upload request (tus or offset read) on the link; null if none came. */
  toRequestMs: number | null;
  /** From `at` to the next byte of an upload body reaching the server; null if none did. */
  toByteMs: number | null;
}

/** The figures the link benchmark prints for one client on one link. */
export interface LinkFigures {
  wallSeconds: number;
  /** Uplink bytes ÷ file bytes. */
  wireToFile: number;
  /**
   * Bytes of the file the server got ÷ what the link could carry while it was up, from the first to
   * the last byte of an upload body (to `endAt` when not completed); null on an unlimited link.
   */
  linkShare: number | null;
  /** Longest stretch with no request at all in flight while the link was up, `addedAt` to `endAt`. */
  longestIdleMs: number;
  /** The same, counting only upload requests (tus and offset reads) as work. */
  longestUploadIdleMs: number;
  restores: Restore[];
  medianRestoreToRequestMs: number | null;
  medianRestoreToByteMs: number | null;
  /** Uplink bytes of tus requests the server refused (e.g. 409 for a stale offset): all wasted. */
  refusedUploadUpBytes: number;
  /** Uplink bytes of tus requests cut before any answer (the server may have kept part of them). */
  cutUploadUpBytes: number;
  /** Bytes both ways of requests to /probe and /api/progress/…, heads included, that crossed the link. */
  probeAndProgressBytes: number;
  probeAndProgressRequests: number;
  /** `probeAndProgressBytes` ÷ file bytes. */
  probeAndProgressToPayload: number;
  /** Requests by method and kind of path, e.g. `PATCH /files`, `GET /probe`. */
  requestCounts: Record<string, number>;
}

type Span = readonly [number, number];

const isTusPath = (path: string): boolean => path === '/files' || path.startsWith('/files/');
/** A request of the tus endpoint. */
export const isTusRequest = (r: SeenRequest): boolean => isTusPath(r.path);
/** A read of the server's offset through the app's own progress endpoint. */
const isProgressRead = (r: SeenRequest): boolean => r.path.startsWith('/api/progress/');
const isProbe = (r: SeenRequest): boolean => r.path === '/probe' || r.path.startsWith('/probe?');
/** A request that moves an upload on: tus, or the read of its offset before resuming. */
const isUploadWork = (r: SeenRequest): boolean => isTusRequest(r) || isProgressRead(r);

/** The spans within [from, to] during which the link was in `state`. */
export function spansIn(
  timeline: readonly LinkStateChange[],
  from: number,
  to: number,
  state: LinkState = 'up',
): Span[] {
  const spans: Span[] = [];
  timeline.forEach((change, i) => {
    if (change.state !== state) return;
    const start = Math.max(from, change.at);
    const end = Math.min(to, timeline[i + 1]?.at ?? Number.POSITIVE_INFINITY);
    if (end > start) spans.push([start, end]);
  });
  return spans;
}

const total = (spans: readonly Span[]) => spans.reduce((sum, [a, b]) => sum + (b - a), 0);

/**
 * The longest stretch inside [from, to] covered by none of `busy` and inside one of `up`: how long
 * the link sat idle while it could have carried something.
 */
export function longestIdle(busy: readonly Span[], up: readonly Span[], from: number, to: number): number {
  const sorted = busy.filter(([a, b]) => b >= from && a <= to).sort((x, y) => x[0] - y[0]);
  const gaps: Span[] = [];
  let reached = from;
  for (const [start, end] of sorted) {
    if (start > reached) gaps.push([reached, start]);
    reached = Math.max(reached, end);
  }
  if (to > reached) gaps.push([reached, to]);
  let longest = 0;
  for (const [gapStart, gapEnd] of gaps) {
    for (const [upStart, upEnd] of up) {
      longest = Math.max(longest, Math.min(gapEnd, upEnd) - Math.max(gapStart, upStart));
    }
  }
  return longest;
}

/** The median of `values`, or null when there are none. */
export function medianOf(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// A fault that comes with the link going down (an outage resets, a satellite drop blackholes) is
// not a return of the link: the return is when the link comes up again.
const WITH_STATE_CHANGE_MS = 100;

/**
 * Each time the link became usable again after something broke the client's connections, from the
 * first upload request to `to`: the end of an outage or of a satellite drop, and each reset or
 * blackhole of open connections while new ones worked. Bursts of loss keep connections and are not counted.
 */
export function restoresOf(
  timeline: readonly LinkStateChange[],
  faults: readonly LinkFault[],
  requests: readonly SeenRequest[],
  from: number,
  to: number,
): Restore[] {
  const stateAt = (t: number) => timeline.filter((c) => c.at <= t).at(-1)?.state ?? 'up';
  const events: Omit<Restore, 'toRequestMs' | 'toByteMs'>[] = [];
  timeline.forEach((change, i) => {
    const before = timeline[i - 1]?.state;
    if (change.state !== 'up' || (before !== 'down' && before !== 'hang')) return;
    events.push({ at: change.at, kind: before === 'down' ? 'outage' : 'satDown' });
  });
  for (const fault of faults) {
    if (fault.connections === 0) continue;
    const goesDown = timeline.some(
      (c) =>
        c.state !== 'up' &&
        c.at >= fault.at - WITH_STATE_CHANGE_MS &&
        c.at <= fault.at + WITH_STATE_CHANGE_MS,
    );
    if (goesDown || stateAt(fault.at) !== 'up') continue;
    events.push({ at: fault.at, kind: fault.kind });
  }
  // A request whose bytes never crossed (sent on a held connection, then abandoned) did no work.
  const work = requests.filter((r) => isUploadWork(r) && r.upBytes > 0);
  return events
    .filter((e) => e.at >= from && e.at <= to)
    .sort((a, b) => a.at - b.at)
    .map((e) => {
      const request = work.find((r) => r.startedAt >= e.at && r.startedAt <= to);
      const bytes = work
        .filter(isTusRequest)
        .map((r) => r.bodyStartedAt)
        .filter((t): t is number => t !== null && t >= e.at && t <= to);
      return {
        ...e,
        toRequestMs: request ? Math.round(request.startedAt - e.at) : null,
        toByteMs: bytes.length ? Math.round(Math.min(...bytes) - e.at) : null,
      };
    });
}

/** `/files`, `/api/progress` or the path without its query: what a request count is kept under. */
function pathKind(path: string): string {
  if (isTusPath(path)) return '/files';
  if (path.startsWith('/api/progress/')) return '/api/progress';
  return path.split('?')[0] ?? path;
}

/** Every figure of one run. */
export function linkFigures(run: LinkRun): LinkFigures {
  const { addedAt, endAt, fileBytes } = run;
  const requests = run.requests.filter((r) => r.startedAt >= addedAt && r.startedAt <= endAt);
  const upSpans = spansIn(run.timeline, addedAt, endAt);
  const spanOf = (r: SeenRequest): Span => [r.startedAt, r.endedAt ?? endAt];

  const bodyStarts = requests
    .filter(isTusRequest)
    .map((r) => r.bodyStartedAt)
    .filter((t): t is number => t !== null);
  const bodyEnds = requests
    .filter(isTusRequest)
    .map((r) => r.sentAt)
    .filter((t): t is number => t !== null && t <= endAt);
  let linkShare: number | null = null;
  if (run.uplinkBytesPerSec > 0 && bodyStarts.length) {
    const first = Math.min(...bodyStarts);
    const last = run.completed && bodyEnds.length ? Math.max(...bodyEnds) : endAt;
    const upMs = total(spansIn(run.timeline, first, last));
    if (upMs > 0) linkShare = run.achievedBytes / ((run.uplinkBytesPerSec * upMs) / 1000);
  }

  const firstWork = requests.find(isUploadWork)?.startedAt ?? endAt;
  const restores = restoresOf(run.timeline, run.faults, requests, firstWork, endAt);
  const control = requests.filter((r) => isProbe(r) || isProgressRead(r));
  const probeAndProgressBytes = control.reduce((sum, r) => sum + r.upBytes + r.answerBytes, 0);
  const tus = requests.filter(isTusRequest);
  const upOf = (list: SeenRequest[]) => list.reduce((sum, r) => sum + r.upBytes, 0);
  const requestCounts: Record<string, number> = {};
  for (const r of requests) {
    const key = `${r.method} ${pathKind(r.path)}`;
    requestCounts[key] = (requestCounts[key] ?? 0) + 1;
  }
  return {
    wallSeconds: (endAt - addedAt) / 1000,
    wireToFile: run.upBytes / fileBytes,
    linkShare,
    longestIdleMs: Math.round(longestIdle(requests.map(spanOf), upSpans, addedAt, endAt)),
    longestUploadIdleMs: Math.round(
      longestIdle(requests.filter(isUploadWork).map(spanOf), upSpans, addedAt, endAt),
    ),
    restores,
    medianRestoreToRequestMs: medianOf(
      restores.map((r) => r.toRequestMs).filter((v): v is number => v !== null),
    ),
    medianRestoreToByteMs: medianOf(restores.map((r) => r.toByteMs).filter((v): v is number => v !== null)),
    refusedUploadUpBytes: upOf(tus.filter((r) => r.status !== null && r.status >= 400)),
    cutUploadUpBytes: upOf(tus.filter((r) => r.status === null && r.endedAt !== null)),
    probeAndProgressBytes,
    probeAndProgressRequests: control.length,
    probeAndProgressToPayload: probeAndProgressBytes / fileBytes,
    requestCounts,
  };
}
