import { type Admission, type AdmissionHints, admit, budgetLeftBytes } from './admission.ts';
import type { Clock } from './engine.ts';
import { defaultSettings, type LinkSettings } from './linkSettings.ts';
import { chunkSizeForCap, paceDelayMs } from './pacing.ts';
import { type DaySpend, type SpendKind, SpendLedger, type SpendTotals } from './spendLedger.ts';
import type { QueueItem } from './types.ts';

/** Where the link settings are kept (the crew's, or the relay operator's). */
export interface SettingsSource {
  settings(): Promise<LinkSettings>;
}

/** Bytes on the link, one record per local day; every count is read and written in one transaction. */
export interface SpendStore {
  /** Adds `bytes` to the local day of `atMs`; resolves to that day as stored afterwards. */
  record(bytes: number, atMs: number, kind: SpendKind, timeZone: string): Promise<DaySpend>;
  /** A ledger of the stored days, naming days in `timeZone`. */
  ledger(timeZone: string): Promise<SpendLedger>;
}

/** What the rules need from the place they run in. */
export interface RulesHome {
  clock: Clock;
  settings: SettingsSource;
  spend: SpendStore;
  /** What the platform says now (Save-Data). */
  hints(): AdmissionHints;
  /** Told the settings in force after each read. */
  showSettings(settings: LinkSettings): void;
  /** Told the spend totals after each change. */
  showSpend(totals: SpendTotals): void;
  /** A storage failure that loses nothing the uploader needs (it keeps what it holds). */
  warn(message: string, err: unknown): void;
}

/** How long counts gather before one write per kind: one write per request would be too many. */
const FLUSH_MS = 2_000;

/**
 * The link settings and spend ledger as an uploader holds them: read at start and again whenever
 * the settings change, so it always works under what was last saved. The uploader asks here before
 * each file and chunk (admission, chunk sizes under a cap or a budget, pacing) and counts every
 * request's bytes here; counts are kept in memory at once and written in batches.
 */
export class UploadRules {
  readonly #home: RulesHome;
  #settings: LinkSettings = defaultSettings();
  #ledger: SpendLedger = new SpendLedger(this.#settings.timeZone);
  #loaded: Promise<LinkSettings> | null = null;
  #unwritten: Partial<Record<SpendKind, number>> = {};
  #flushing = false;

  constructor(home: RulesHome) {
    this.#home = home;
  }

  /** The settings in force; defaults until the first read has finished. */
  get current(): LinkSettings {
    return this.#settings;
  }

  /** Reads the settings and the spend records again; a failed read keeps the settings held before. */
  load(): Promise<LinkSettings> {
    const home = this.#home;
    const reading = (async () => {
      try {
        const next = await home.settings.settings();
        this.#ledger = await home.spend.ledger(next.timeZone);
        this.#settings = next;
      } catch (err) {
        home.warn('link settings could not be read; keeping the ones in force', err);
      }
      home.showSettings(this.#settings);
      home.showSpend(this.#ledger.totals(home.clock.now()));
      return this.#settings;
    })();
    this.#loaded = reading;
    return reading;
  }

  /** The settings once they were read at least once. */
  ready(): Promise<LinkSettings> {
    this.#loaded ??= this.load();
    return this.#loaded;
  }

  /** Counts bytes a request put on the link: at once for admission, written within a few seconds. */
  count(bytes: number, kind: SpendKind, atMs: number = this.#home.clock.now()): void {
    this.#ledger.record(bytes, atMs, kind);
    this.#unwritten[kind] = (this.#unwritten[kind] ?? 0) + bytes;
    if (this.#flushing) return;
    this.#flushing = true;
    void this.#home.clock.sleep(FLUSH_MS).then(() => this.flush());
  }

  /** Writes what was counted, one write per kind. Failures are reported and the counts dropped. */
  async flush(): Promise<void> {
    this.#flushing = false;
    const batch = this.#unwritten;
    this.#unwritten = {};
    for (const [kind, bytes] of Object.entries(batch) as [SpendKind, number][]) {
      await this.record(bytes, kind).catch((err) => this.#home.warn('data spent could not be saved', err));
    }
  }

  /**
   * Stores bytes on the link and reports the new totals. The stored day replaces the one in memory:
   * it includes every writer's counts (a page and the worker may both count).
   */
  async record(bytes: number, kind: SpendKind, atMs: number = this.#home.clock.now()): Promise<void> {
    const { timeZone } = await this.ready();
    this.#ledger.put(await this.#home.spend.record(bytes, atMs, kind, timeZone));
    this.#home.showSpend(this.#ledger.totals(this.#home.clock.now()));
  }

  /** Bytes spent today and this month. */
  async totals(now: number = this.#home.clock.now()): Promise<SpendTotals> {
    await this.ready();
    return this.#ledger.totals(now);
  }

  /** Whether `item` may start (or send its next chunk) now. */
  async admitNow(item: Pick<QueueItem, 'size' | 'priority'>): Promise<Admission> {
    await this.ready();
    return this.admitLoaded(item);
  }

  /** admitNow without waiting, under what is held at this instant (for chunk boundaries). */
  admitLoaded(item: Pick<QueueItem, 'size' | 'priority'>): Admission {
    const now = this.#home.clock.now();
    return admit(item, this.#settings, this.#ledger.totals(now), this.#home.hints(), now);
  }

  /**
   * The chunk to send for `item`: `chunkSize` cut so it carries a few seconds of the bandwidth cap
   * (pacing stays even) and no more than the data budget has left.
   */
  chunkFor(item: Pick<QueueItem, 'priority'>, chunkSize: number): number {
    const capped = chunkSizeForCap(this.#settings.capKbps, chunkSize);
    const left = budgetLeftBytes(item, this.#settings, this.#ledger.totals(this.#home.clock.now()));
    return left === null ? capped : Math.max(1, Math.min(capped, Math.floor(left)));
  }

  /** Ms to wait after a request of `bytes` that took `elapsedMs`, under the cap in force (0 without one). */
  paceAfter(bytes: number, elapsedMs: number): number {
    return paceDelayMs(this.#settings.capKbps, bytes, elapsedMs);
  }
}
