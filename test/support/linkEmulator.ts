import { performance } from 'node:perf_hooks';
import { HttpObserver, type HttpRequestLog, type SeenRequest } from './httpObserver.ts';
import type { LinkAction, LinkSettings, LinkStep } from './linkProfiles.ts';
import { type Admission, type LinkStats, LinkTraffic } from './linkTraffic.ts';

export type { HttpRequestLog, SeenRequest } from './httpObserver.ts';
export * from './linkProfiles.ts';
export type { LinkStats } from './linkTraffic.ts';

/** Passing traffic, refusing new connections, holding new connections silent, or losing everything. */
export type LinkState = 'up' | 'down' | 'hang' | 'loss';

/** The link entered `state` at `at`; the first uplink byte after that passed at `firstUplinkByteAt`. */
export interface LinkStateChange {
  at: number;
  state: LinkState;
  firstUplinkByteAt: number | null;
}

/** `connections` open connections were reset or blackholed at `at`; then the first uplink byte passed. */
export interface LinkFault {
  at: number;
  kind: 'reset' | 'blackhole';
  connections: number;
  firstUplinkByteAt: number | null;
}

/** Settings (default: no limits, no delay) and a script to play from the start. A `LinkProfile` fits. */
export type LinkOptions = Partial<LinkSettings> & { schedule?: readonly LinkStep[] };

const epochMs = (t = performance.now()) => performance.timeOrigin + t;

/**
 * Starts a loopback TCP proxy playing a satellite or ship link between a browser and the server at
 * `target` (`http://127.0.0.1:PORT`). All times it records are ms since the epoch.
 */
export async function startLinkEmulator(target: string, options: LinkOptions = {}): Promise<LinkEmulator> {
  const link = new LinkEmulator(target, options);
  await link.listening;
  if (options.schedule) link.play(options.schedule);
  return link;
}

/**
 * A running link: shared rate limits each way, delay and jitter, resets, silent blackholes, refused
 * or hanging new connections, outages and bursts of loss, with byte counts, a timeline of its states
 * and a log of the HTTP/1.1 requests it carried.
 */
export class LinkEmulator implements HttpRequestLog {
  readonly stats: LinkStats = {
    upBytes: 0,
    upDeliveredBytes: 0,
    downBytes: 0,
    downDeliveredBytes: 0,
    connections: 0,
    refused: 0,
    resets: 0,
    blackholes: 0,
  };
  readonly timeline: LinkStateChange[] = [{ at: epochMs(), state: 'up', firstUplinkByteAt: null }];
  readonly faults: LinkFault[] = [];
  /** Resolves once the proxy listens and `url` is set. */
  readonly listening: Promise<void>;
  url = '';
  private readonly traffic: LinkTraffic;
  private readonly http = new HttpObserver(() => epochMs());
  private readonly timers = new Set<NodeJS.Timeout>();
  private newConnections: Admission = 'accept';
  /** Bumped on every change of `newConnections`, so a timed end undoes only its own change. */
  private mode = 0;
  private byteSteps: { at: number; action: LinkAction }[] = [];
  private awaitingByte: { firstUplinkByteAt: number | null }[] = [...this.timeline];

  constructor(target: string, options: LinkOptions = {}) {
    this.traffic = new LinkTraffic(new URL(target), options, this.stats, {
      admission: () => this.newConnections,
      observe: (connection) => this.http.connection(connection),
      after: (ms, fn) => this.after(ms, fn),
      uplinkRoom: () => (this.byteSteps[0]?.at ?? Number.POSITIVE_INFINITY) - this.stats.upBytes,
      uplinkPassed: (now) => {
        for (const waiter of this.awaitingByte) waiter.firstUplinkByteAt = epochMs(now);
        this.awaitingByte = [];
        this.runByteSteps();
      },
    });
    this.listening = this.traffic.listen().then((url) => {
      this.url = url;
    });
  }

  get requests(): readonly SeenRequest[] {
    return this.http.requests;
  }
  get unparsedConnections(): number {
    return this.http.unparsedConnections;
  }
  peakPerPath(method: string): number {
    return this.http.peakPerPath(method);
  }
  peakOverall(method: string): number {
    return this.http.peakOverall(method);
  }

  /** The current rates and delays. */
  get settings(): LinkSettings {
    const { upBucket, downBucket, delayMs, jitterMs } = this.traffic;
    return { uplinkBytesPerSec: upBucket.rate, downlinkBytesPerSec: downBucket.rate, delayMs, jitterMs };
  }
  /** The link's state now. */
  get state(): LinkState {
    if (this.newConnections === 'refuse') return 'down';
    if (this.newConnections === 'hang') return 'hang';
    return performance.now() < this.traffic.holdUntil ? 'loss' : 'up';
  }

  /** Browser → server bytes per second, all connections together; 0 means unlimited. */
  setUplink(bytesPerSec: number): void {
    this.traffic.upBucket.setRate(bytesPerSec);
  }
  /** Server → browser bytes per second, all connections together; 0 means unlimited. */
  setDownlink(bytesPerSec: number): void {
    this.traffic.downBucket.setRate(bytesPerSec);
  }
  /** Delay added to each direction (half the round trip), and up to `jitterMs` more at random. */
  setDelay(delayMs: number, jitterMs = 0): void {
    this.traffic.delayMs = delayMs;
    this.traffic.jitterMs = jitterMs;
  }

  /** The link goes down: open connections drop and new ones are reset at once until `up()`. */
  down(): void {
    this.setNewConnections('refuse');
    this.reset();
  }
  /** New connections are accepted again. */
  up(): void {
    this.setNewConnections('accept');
  }
  /**
   * New connections are accepted and then stay silent (`on`), or are accepted normally again. One
   * held meanwhile passes at its next SYN retry (1, 3, 7 … 63 s after it opened) once the link is
   * back, and is reset at 127 s if it never is, as the device's TCP would time out.
   */
  hangNew(on: boolean): void {
    this.setNewConnections(on ? 'hang' : 'accept');
  }
  /** Destroys every open connection at once (the browser sees a reset); returns how many. */
  reset(): number {
    const count = this.traffic.resetOpen();
    this.fault('reset', count);
    return count;
  }
  /** Silences every open connection for good: it stays open and nothing passes either way; returns how many. */
  blackholeOpen(): number {
    const count = this.traffic.blackholeOpen();
    this.fault('blackhole', count);
    return count;
  }
  /** A full outage: `down()`, then `up()` after `ms` unless the link was changed meanwhile. */
  outage(ms: number): void {
    this.down();
    const mode = this.mode;
    this.after(ms, () => this.mode === mode && this.up());
  }
  /** Satellite down behind live Wi-Fi: open connections go silent, new ones hang for `ms`. */
  satDown(ms: number): void {
    this.blackholeOpen();
    this.hangNew(true);
    const mode = this.mode;
    this.after(ms, () => this.mode === mode && this.hangNew(false));
  }
  /** Nothing passes for `ms`; bytes wait and connections stay up. */
  loss(ms: number): void {
    this.traffic.holdUntil = Math.max(this.traffic.holdUntil, performance.now() + ms);
    this.noteState();
    // Node times a timer from the event loop's cached clock, which lags behind a busy loop by a few
    // milliseconds, so a timer can fire early: the end is checked against the clock and waited out
    // again if need be. (Once, the end of a 1.5 s burst went unrecorded for 16 s, until the next.)
    const end = () => {
      const left = this.traffic.holdUntil - performance.now();
      if (left > 0) {
        this.after(left + 1, end);
        return;
      }
      this.noteState();
      this.traffic.pump();
    };
    this.after(ms + 1, end);
  }
  /** Does `action` now. */
  apply(action: LinkAction): void {
    if (action.kind === 'reset') this.reset();
    else if (action.kind === 'blackhole') this.blackholeOpen();
    else if (action.kind === 'outage') this.outage(action.forMs);
    else if (action.kind === 'satDown') this.satDown(action.forMs);
    else if (action.kind === 'loss') {
      const ms = action.forMs;
      this.loss(typeof ms === 'number' ? ms : ms[0] + Math.random() * (ms[1] - ms[0]));
    } else {
      if (action.uplinkBytesPerSec !== undefined) this.setUplink(action.uplinkBytesPerSec);
      if (action.downlinkBytesPerSec !== undefined) this.setDownlink(action.downlinkBytesPerSec);
    }
  }
  /** Plays a script timed from now (uplink bytes counted from now); returns a function that stops it. */
  play(schedule: readonly LinkStep[]): () => void {
    const timers: NodeJS.Timeout[] = [];
    const steps: { at: number; action: LinkAction }[] = [];
    schedule.forEach((step, i) => {
      if ('atUplinkBytes' in step) {
        steps.push({ at: this.stats.upBytes + step.atUplinkBytes, action: step.action });
        return;
      }
      const run = () => {
        this.apply(step.action);
        if (step.everyMs) timers[i] = this.after(step.everyMs, run);
      };
      timers[i] = this.after(step.atMs, run);
    });
    this.byteSteps = [...this.byteSteps, ...steps].sort((a, b) => a.at - b.at);
    this.runByteSteps();
    return () => {
      for (const timer of timers) {
        if (!timer) continue;
        clearTimeout(timer);
        this.timers.delete(timer);
      }
      this.byteSteps = this.byteSteps.filter((s) => !steps.includes(s));
    };
  }
  /** Milliseconds the link has spent in `state` so far. */
  msIn(state: LinkState): number {
    const now = epochMs();
    return this.timeline.reduce(
      (sum, change, i) =>
        change.state === state ? sum + ((this.timeline[i + 1]?.at ?? now) - change.at) : sum,
      0,
    );
  }
  /** Stops everything; every connection is destroyed. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.traffic.close();
  }

  private runByteSteps(): void {
    while (this.byteSteps[0] && this.byteSteps[0].at <= this.stats.upBytes)
      this.apply((this.byteSteps.shift() as { action: LinkAction }).action);
  }

  private setNewConnections(how: Admission): void {
    this.newConnections = how;
    this.mode++;
    this.noteState();
  }

  private noteState(): void {
    const state = this.state;
    if (this.timeline.at(-1)?.state === state) return;
    const change = { at: epochMs(), state, firstUplinkByteAt: null };
    this.timeline.push(change);
    this.awaitingByte.push(change);
  }

  private fault(kind: LinkFault['kind'], connections: number): void {
    const fault = { at: epochMs(), kind, connections, firstUplinkByteAt: null };
    this.faults.push(fault);
    this.awaitingByte.push(fault);
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    ).unref();
    this.timers.add(timer);
    return timer;
  }
}
