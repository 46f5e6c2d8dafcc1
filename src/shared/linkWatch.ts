import { ChunkSizer } from './chunkSizer.ts';
import type { Clock } from './engine.ts';
import { LinkEstimator, type LinkHints, type LinkSnapshot } from './linkEstimator.ts';
import { Stopper } from './Stopper.ts';
import type { SpendKind } from './spendLedger.ts';
import { type LinkTraffic, type StallLimits, stallLimits } from './stallJudge.ts';
import type { SignalLike } from './types.ts';

/** Where what was learned about the link is kept between runs (IndexedDB in the worker, SQLite in Node). */
export interface LinkSnapshots {
  linkSnapshot(): Promise<LinkSnapshot | undefined>;
  setLinkSnapshot(snapshot: LinkSnapshot): Promise<void>;
}

/** What a link watch needs from the place it runs in. */
export interface LinkHome {
  clock: Clock;
  /**
   * Asks shore's tiny `GET /probe` once, giving up after `timeoutMs` or when `signal` aborts;
   * resolves to the answer's length in bytes, rejects when no answer came.
   */
  probe(signal: SignalLike, timeoutMs: number): Promise<number>;
  /** What the platform says about the network now (all fields optional). */
  hints(): LinkHints;
  snapshots: LinkSnapshots;
  /** Told what the link looks like, at most once a second. */
  show(snapshot: LinkSnapshot): void;
  /** Bytes a request put on the link, by kind (headers included, approximated). */
  spent(bytes: number, kind: SpendKind): void;
}

/** A probe's request and answer headers, roughly. */
export const PROBE_BYTES = 600;
/** Probes in flight at once while shore does not answer. */
const MAX_PROBES = 4;
/** At most one report of the link per this long. */
const SHOW_EVERY_MS = 1_000;

/**
 * The uploader's view of the link to shore: the estimator fed by every request (through `traffic`),
 * the chunk sizer that follows it, the stall limits of the moment, and probes that find out when
 * shore answers again. One per uploader; the same in the service worker and in the Node relay.
 */
export class LinkWatch {
  readonly estimator: LinkEstimator;
  readonly chunks = new ChunkSizer();
  /** Where the HTTP stack reports each request. */
  readonly traffic: LinkTraffic;
  readonly #home: LinkHome;
  #showing = false;
  /** Aborted (and replaced) to wake waiting probe schedules early: a failure or a network change. */
  #wake = new Stopper();

  constructor(home: LinkHome) {
    this.#home = home;
    this.estimator = new LinkEstimator({ now: () => home.clock.now() });
    this.estimator.hint(home.hints());
    this.traffic = {
      answered: (rttMs) => {
        this.estimator.answered(rttMs);
        this.#show();
      },
      transferred: (bytes, ms) => {
        this.estimator.transferred(bytes, ms);
        this.#show();
      },
      failed: () => {
        this.estimator.failed();
        this.#show();
        this.#wakeProbes();
      },
      spent: (bytes, kind) => home.spent(bytes, kind),
    };
  }

  /** Takes up what was learned before this process last stopped. A failed read starts afresh. */
  async restore(): Promise<void> {
    const saved = await this.#home.snapshots.linkSnapshot().catch(() => undefined);
    if (saved) this.estimator.restore(saved);
  }

  /** Keeps what was learned for the next start, and for pages opened later. */
  save(): Promise<void> {
    return this.#home.snapshots.setLinkSnapshot(this.estimator.snapshot());
  }

  /** Stall limits for a request starting now. */
  limits(): StallLimits {
    return stallLimits(this.estimator.rttMs, this.estimator.rttVarMs);
  }

  /** The platform reported a change of network: take its hints, and probe at once if shore was lost. */
  networkChanged(): void {
    this.estimator.hint(this.#home.hints());
    this.#show();
    this.#wakeProbes();
  }

  /** Asks shore's probe once; true when it answered. Every byte is counted. */
  async probe(signal?: SignalLike): Promise<boolean> {
    const home = this.#home;
    const started = home.clock.now();
    const { stopper, release } = Stopper.follow(signal);
    try {
      // Whole milliseconds: Node's AbortSignal.timeout refuses a fraction (browsers round it).
      const bytes = await home.probe(stopper, Math.ceil(this.limits().answerMs));
      home.spent(PROBE_BYTES + bytes, 'probe');
      this.estimator.probed(true, home.clock.now() - started);
      return true;
    } catch {
      home.spent(PROBE_BYTES, 'probe');
      // Called off because another probe answered: that says nothing against the link.
      if (!signal?.aborted) this.estimator.probed(false);
      return false;
    } finally {
      release();
      this.#show();
    }
  }

  /**
   * Waits until shore answers a probe. Probes start on a schedule (LinkEstimator.probeDelayMs: every
   * second at first, less often as the outage lasts) without waiting for the one before: a probe sent
   * into a dead satellite hangs until its timeout, and the link's return must be seen within seconds,
   * not after that timeout. A failure elsewhere or a change of network probes at once. Resolves
   * true when shore answered, false when `deadline` passed or `signal` aborted first.
   */
  async untilShoreAnswers(deadline: number, signal?: SignalLike): Promise<boolean> {
    const { clock } = this.#home;
    const answered = new Stopper();
    const probes = Stopper.follow(answered);
    let inFlight = 0;
    try {
      while (!answered.aborted && !signal?.aborted && clock.now() < deadline) {
        if (!this.estimator.browserOffline && inFlight < MAX_PROBES) {
          inFlight++;
          void this.probe(probes.stopper).then((ok) => {
            inFlight--;
            if (ok) answered.abort();
          });
        }
        const delay = Math.min(Math.max(this.estimator.probeDelayMs(), 500), deadline - clock.now());
        const woken = Stopper.any([answered, this.#wake, signal]);
        await clock.sleep(delay, woken.stopper);
        woken.release();
      }
      return answered.aborted;
    } finally {
      // Probes still out are called off once this wait is over, whichever way it ended.
      probes.stopper.abort();
      probes.release();
    }
  }

  #wakeProbes(): void {
    const wake = this.#wake;
    this.#wake = new Stopper();
    wake.abort();
  }

  #show(): void {
    if (this.#showing) return;
    this.#showing = true;
    void this.#home.clock.sleep(SHOW_EVERY_MS).then(() => {
      this.#showing = false;
      this.#home.show(this.estimator.snapshot());
    });
  }
}
