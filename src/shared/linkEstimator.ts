/**
 * What Tender knows about the link to shore, learned mostly from its own traffic.
 *
 * Passive first: every answer from the server is proof that shore is reachable and gives a round
 * trip; every confirmed chunk or progress read gives goodput (bytes that reached the server per
 * second). Probes are asked for only when there is no traffic to learn from. The browser's
 * `online` flag and Network Information are hints: ship Wi-Fi reports `wifi` with the satellite
 * down behind it, and `downlink` is capped at 10 Mbit/s, so neither can say "up"; `offline` can
 * only say "down".
 */

/** Time as the estimator sees it. */
export interface NowClock {
  now(): number;
}

/** What the browser says about the network (Network Information API, `navigator.onLine`). */
export interface LinkHints {
  online?: boolean;
  effectiveType?: string;
  downlinkMbps?: number;
  rttMs?: number;
  saveData?: boolean;
}

/** 'unknown' until the first answer or failure; 'down' when shore stopped answering. */
export type LinkState = 'unknown' | 'up' | 'down';

/** Whether uploading makes sense now, in plain words for the crew. */
export interface Recommendation {
  shouldUpload: boolean;
  reason: string;
  /** When to look again, in seconds; 0 when uploading now. */
  waitSeconds: number;
}

/** One minute of the link's history. */
export interface LinkHistoryPoint {
  /** Start of the minute, epoch ms. */
  at: number;
  /** Bytes that reached the server. */
  bytes: number;
  /** Milliseconds spent transferring those bytes. */
  busyMs: number;
  upMs: number;
  downMs: number;
  failures: number;
  /** Mean round trip of the answers seen, or null. */
  rttMs: number | null;
}

/** Everything the page shows about the link, and what the worker keeps across restarts. */
export interface LinkSnapshot {
  state: LinkState;
  stateSince: number;
  /** 0–1: recent uptime, stability and the state now. */
  quality: number;
  /** Bytes per second reaching the server, smoothed; null before the first transfer. */
  goodputBps: number | null;
  rttMs: number | null;
  saveData: boolean;
  browserOnline: boolean;
  recommendation: Recommendation;
  history: LinkHistoryPoint[];
}

const MINUTE = 60_000;
/** Minutes of history kept: six hours, enough to see a satellite's pattern over a watch. */
const HISTORY_MINUTES = 360;
/**
 * Goodput smoothing time constants: rises are believed slowly (a burst fills buffers before it
 * shows the real rate), falls quickly (a failover from Starlink to VSAT cuts the rate tenfold,
 * and chunks sized for the old rate would run for minutes).
 */
const RISE_TAU_MS = 20_000;
const FALL_TAU_MS = 5_000;
/** Transfers shorter than this say more about latency than about rate. */
const MIN_SAMPLE_MS = 250;

type Bucket = LinkHistoryPoint & { rttSum: number; rttCount: number };

/** Learns the link's state, goodput and round trip; see the file comment. */
export class LinkEstimator {
  readonly #clock: NowClock;
  #state: LinkState = 'unknown';
  #stateSince: number;
  #accountedTo: number;
  #goodput: number | null = null;
  #srtt: number | null = null;
  #rttvar = 0;
  #hints: LinkHints = {};
  #downStreak = 0;
  #buckets: Bucket[] = [];
  /** Transfers too short to time on their own, gathered until they add up to a measurable sample. */
  #short = { bytes: 0, ms: 0 };

  constructor(clock: NowClock, saved?: LinkSnapshot | null) {
    this.#clock = clock;
    const now = clock.now();
    this.#stateSince = now;
    this.#accountedTo = now;
    if (saved) this.restore(saved);
  }

  /**
   * Takes up what was learned before the worker last stopped, as a first guess: rates, round trip
   * and history; not the state, which is news only when measured. What this estimator has already
   * measured itself wins.
   */
  restore(saved: LinkSnapshot): void {
    const now = this.#clock.now();
    this.#goodput ??= saved.goodputBps;
    if (this.#srtt === null && saved.rttMs !== null) {
      this.#srtt = saved.rttMs;
      this.#rttvar = saved.rttMs / 2;
    }
    const known = new Set(this.#buckets.map((b) => b.at));
    const old = saved.history
      .filter((p) => p.at > now - HISTORY_MINUTES * MINUTE && !known.has(p.at))
      .map((p) => ({ ...p, rttSum: p.rttMs ?? 0, rttCount: p.rttMs === null ? 0 : 1 }));
    this.#buckets = [...old, ...this.#buckets].sort((a, b) => a.at - b.at);
  }

  get state(): LinkState {
    return this.#state;
  }

  /** Smoothed bytes per second reaching the server, or null before any transfer. */
  get goodputBps(): number | null {
    return this.#goodput;
  }

  /** Smoothed round trip, or the browser's hint before any answer, or null. */
  get rttMs(): number | null {
    return this.#srtt ?? this.#hints.rttMs ?? null;
  }

  /** Round-trip variation (RFC 6298's RTTVAR), for timeouts that follow the link. */
  get rttVarMs(): number {
    return this.#rttvar;
  }

  get saveData(): boolean {
    return this.#hints.saveData === true;
  }

  /** The server answered (any status): shore is reachable. `rttMs` when the request was small. */
  answered(rttMs?: number): void {
    this.#downStreak = 0;
    this.#setState('up');
    if (rttMs === undefined || !(rttMs >= 0)) return;
    // RFC 6298 smoothing: variation follows sudden queueing on a shared satellite uplink.
    if (this.#srtt === null) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rttMs);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rttMs;
    }
    const bucket = this.#bucket();
    bucket.rttSum += rttMs;
    bucket.rttCount++;
    bucket.rttMs = bucket.rttSum / bucket.rttCount;
  }

  /** `bytes` reached the server over `ms` (a confirmed chunk, or the gain between progress reads). */
  transferred(bytes: number, ms: number): void {
    if (!(bytes > 0) || !(ms > 0)) return;
    const bucket = this.#bucket();
    bucket.bytes += bytes;
    bucket.busyMs += ms;
    if (ms < MIN_SAMPLE_MS) {
      // On a LAN a chunk takes milliseconds: together they still say how fast the link is.
      this.#short.bytes += bytes;
      this.#short.ms += ms;
      if (this.#short.ms < MIN_SAMPLE_MS) return;
      ({ bytes, ms } = this.#short);
      this.#short = { bytes: 0, ms: 0 };
    }
    const rate = (bytes * 1000) / ms;
    const tau = this.#goodput !== null && rate < this.#goodput ? FALL_TAU_MS : RISE_TAU_MS;
    const weight = 1 - Math.exp(-ms / tau);
    this.#goodput = this.#goodput === null ? rate : this.#goodput + weight * (rate - this.#goodput);
  }

  /** A request got no answer: the connection reset, or went silent and was given up. */
  failed(): void {
    this.#bucket().failures++;
    this.#downStreak++;
    this.#setState('down');
  }

  /** A probe's result: an answer in `rttMs`, or none. */
  probed(ok: boolean, rttMs?: number): void {
    if (ok) this.answered(rttMs);
    else this.failed();
  }

  /** The browser's view; `online: false` is believed, `online: true` only invites a probe. */
  hint(hints: LinkHints): void {
    this.#hints = { ...this.#hints, ...hints };
    if (hints.online === false) this.#setState('down');
  }

  /** True when the browser itself says there is no network. */
  get browserOffline(): boolean {
    return this.#hints.online === false;
  }

  /**
   * How long to wait before the next probe while shore does not answer: often at first (a
   * failover or a short drop is over in seconds, and the crew expect uploads to go on within a
   * few seconds of the link's return), then less often as the outage lasts, to spare probe bytes.
   */
  probeDelayMs(): number {
    if (this.#state !== 'down') return 0;
    const downFor = this.#clock.now() - this.#stateSince;
    if (this.#downStreak <= 1) return 500;
    if (downFor < 10 * MINUTE) return 1_000;
    if (downFor < 30 * MINUTE) return 5_000;
    return 15_000;
  }

  /** 0–1: 40% uptime over the last 30 min, 30% stability (failures in the last hour), 30% now. */
  quality(): number {
    this.#account();
    const now = this.#clock.now();
    const recent = this.#buckets.filter((b) => b.at >= now - 30 * MINUTE);
    const up = recent.reduce((s, b) => s + b.upMs, 0);
    const down = recent.reduce((s, b) => s + b.downMs, 0);
    const uptime = up + down > 0 ? up / (up + down) : this.#state === 'up' ? 1 : 0.5;
    const failures = this.#buckets
      .filter((b) => b.at >= now - 60 * MINUTE)
      .reduce((s, b) => s + b.failures, 0);
    const stability = 1 / (1 + failures / 6);
    const current = this.#state === 'up' ? 1 : this.#state === 'unknown' ? 0.5 : 0;
    return Math.round((0.4 * uptime + 0.3 * stability + 0.3 * current) * 100) / 100;
  }

  /** Whether to upload now, why, and when to look again. */
  recommendation(): Recommendation {
    if (this.#hints.online === false) {
      return { shouldUpload: false, reason: 'This device has no network.', waitSeconds: 0 };
    }
    if (this.#state === 'down') {
      const wait = Math.ceil(this.probeDelayMs() / 1000);
      return {
        shouldUpload: false,
        reason: `Shore does not answer: the satellite link seems down. Checking again in ${wait} s.`,
        waitSeconds: wait,
      };
    }
    if (this.#state === 'unknown')
      return { shouldUpload: true, reason: 'Checking the link.', waitSeconds: 0 };
    const quality = this.quality();
    const rate = this.#goodput === null ? '' : ` at ${formatRate(this.#goodput)}`;
    const reason =
      quality < 0.5
        ? `The link is unstable; uploading in small pieces${rate}.`
        : `The link is up; uploading${rate}.`;
    return { shouldUpload: true, reason, waitSeconds: 0 };
  }

  /** Minute-by-minute history, oldest first. */
  history(): LinkHistoryPoint[] {
    this.#account();
    return this.#buckets.map(({ rttSum: _s, rttCount: _c, ...point }) => point);
  }

  /** Everything the page shows, in a form that survives structured cloning and IndexedDB. */
  snapshot(): LinkSnapshot {
    return {
      state: this.#state,
      stateSince: this.#stateSince,
      quality: this.quality(),
      goodputBps: this.#goodput,
      rttMs: this.rttMs,
      saveData: this.saveData,
      browserOnline: this.#hints.online !== false,
      recommendation: this.recommendation(),
      history: this.history(),
    };
  }

  #setState(state: LinkState): void {
    if (state === this.#state) return;
    this.#account();
    this.#state = state;
    this.#stateSince = this.#clock.now();
  }

  /** Adds the time since the last call to the up or down time of the minutes it spans. */
  #account(): void {
    const now = this.#clock.now();
    let from = this.#accountedTo;
    this.#accountedTo = now;
    if (this.#state === 'unknown') return;
    while (from < now) {
      const bucket = this.#bucket(from);
      const to = Math.min(now, bucket.at + MINUTE);
      if (this.#state === 'up') bucket.upMs += to - from;
      else bucket.downMs += to - from;
      from = to;
    }
  }

  /** The history bucket of the minute holding `at` (default now), created if needed. */
  #bucket(at: number = this.#clock.now()): Bucket {
    const start = at - (at % MINUTE);
    const last = this.#buckets[this.#buckets.length - 1];
    if (last && last.at === start) return last;
    const found = this.#buckets.find((b) => b.at === start);
    if (found) return found;
    const bucket: Bucket = {
      at: start,
      bytes: 0,
      busyMs: 0,
      upMs: 0,
      downMs: 0,
      failures: 0,
      rttMs: null,
      rttSum: 0,
      rttCount: 0,
    };
    this.#buckets.push(bucket);
    this.#buckets.sort((a, b) => a.at - b.at);
    const oldest = start - HISTORY_MINUTES * MINUTE;
    while ((this.#buckets[0]?.at ?? start) <= oldest) this.#buckets.shift();
    return bucket;
  }
}

/** A rate in bytes per second as the crew reads it: kbit/s or Mbit/s. */
export function formatRate(bytesPerSec: number): string {
  const bits = bytesPerSec * 8;
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(1)} Mbit/s` : `${Math.round(bits / 1e3)} kbit/s`;
}
