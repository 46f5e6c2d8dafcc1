import fs from 'node:fs';
import path from 'node:path';
import type { DrainOutcome, InterruptRegistry } from '../shared/engine.ts';
import type { LinkSnapshot } from '../shared/linkEstimator.ts';
import type { LinkSettings } from '../shared/linkSettings.ts';
import { LinkWatch } from '../shared/linkWatch.ts';
import { applyChange, type Change } from '../shared/queueStore.ts';
import { Stopper } from '../shared/Stopper.ts';
import type { SpendTotals } from '../shared/spendLedger.ts';
import type { WakeableClock } from '../shared/timerClock.ts';
import { reconsiderAdmission } from '../shared/transitions.ts';
import { createTusUploader } from '../shared/tusUploader.ts';
import { newQueueItem, type QueueItem } from '../shared/types.ts';
import { askDedupe, changeEach, drainUntil, linkChunks } from '../shared/uploadAgent.ts';
import { UploadRules } from '../shared/uploadRules.ts';
import { nodeClock, nodeFetchStack } from './nodeFetchStack.ts';
import { SqliteAgentState } from './SqliteAgentState.ts';
import { SqliteQueueStore } from './SqliteQueueStore.ts';

/** A completed upload on board, as the relay hands it to the forwarder. */
export interface OnBoardFile {
  /** The on-board record's id; the outbox item keeps it, so a file is queued for shore once. */
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  /** Its tus metadata on board (tags, priority, the crew device's own ids). */
  metadata: Record<string, string>;
  /** The crew device that sent it, by name, for shore's records. */
  deviceName: string | null;
  /** Absolute path of its bytes on board; they are linked into the outbox, never copied or moved. */
  path: string;
}

/** How the forwarder stands, for the operator's page and /healthz. */
export interface ForwardStatus {
  shore: string;
  /** 'forwarding' while a run is on; 'stopped' once shore refused the ship's token. */
  state: 'starting' | 'forwarding' | 'idle' | 'waiting' | 'stopped';
  /** Plain words: why it waits or stopped. */
  reason: string | null;
  outbox: { waiting: number; uploading: number; failed: number; ashore: number; bytesLeft: number };
  link: LinkSnapshot;
  spend: SpendTotals;
  settings: LinkSettings;
}

export interface ForwarderOptions {
  /** Shore's base URL (TENDER_FORWARD_TO). */
  shore: string;
  /** The ship's own device token at shore (TENDER_FORWARD_TOKEN). */
  token: string;
  /** Where the outbox and its state live. */
  dir: string;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** How long one run may last before the loop looks again (ms). */
  runMs?: number;
}

/** Metadata keys the uploader sets itself from the item; the rest travel as tags. */
const OWN_KEYS = new Set(['filename', 'filetype', 'queueId', 'priority', 'sha256']);
const DEDUPE_TIMEOUT_MS = 30_000;
const IDLE_LOOK_MS = 60_000;

/**
 * Forwards completed on-board uploads to shore with the app's own engine: the same queue rules
 * (priorities, retries, backoff), link estimator, adaptive chunks, bandwidth cap and data budget,
 * block checksums, dedupe against shore, resume from shore's offset after a restart. The outbox is
 * durable (SQLite and hard links under `dir`); an item stays until shore confirmed every byte.
 */
export class Forwarder {
  readonly store: SqliteQueueStore;
  readonly state: SqliteAgentState;
  readonly link: LinkWatch;
  readonly rules: UploadRules;
  readonly #opts: ForwarderOptions;
  readonly #clock: WakeableClock = nodeClock();
  readonly #stopper = new Stopper();
  #status: { state: ForwardStatus['state']; reason: string | null } = { state: 'starting', reason: null };
  #loop: Promise<void> | null = null;
  #runUntil = 0;
  /** The attempt in progress, so the operator's pause stops it at once. */
  readonly #attempts = new Map<string, () => void>();
  readonly #interrupts: InterruptRegistry = {
    watch: (id, stop) => {
      this.#attempts.set(id, stop);
      return () => this.#attempts.delete(id);
    },
  };

  constructor(opts: ForwarderOptions) {
    this.#opts = opts;
    this.store = new SqliteQueueStore(path.join(opts.dir, 'queue'));
    this.state = new SqliteAgentState(opts.dir);
    const shore = new URL(opts.shore);
    const warn = (message: string, err: unknown) => opts.log('warn', message, { error: String(err) });
    this.rules = new UploadRules({
      clock: nodeClock(),
      settings: this.state,
      spend: this.state,
      hints: () => ({ saveData: false }),
      showSettings: () => {},
      showSpend: () => {},
      warn,
    });
    this.link = new LinkWatch({
      clock: nodeClock(),
      probe: async (signal, timeoutMs) => {
        const res = await fetch(new URL('/probe', shore), {
          signal: AbortSignal.any([abortSignalOf(signal), AbortSignal.timeout(timeoutMs)]),
        });
        return (await res.text()).length;
      },
      hints: () => ({}),
      snapshots: this.state,
      show: () => {},
      spent: (bytes, kind) => this.rules.count(bytes, kind),
    });
  }

  /** Reads what was saved and starts forwarding in the background. */
  start(): void {
    this.#loop ??= (async () => {
      await this.link.restore();
      await this.rules.load();
      await this.#forward();
    })().catch((err) => {
      this.#opts.log('error', 'forwarding stopped by an error', { error: String(err) });
      this.#status = { state: 'stopped', reason: `Forwarding stopped by an error: ${String(err)}` };
    });
  }

  /** Stops the run in progress (between chunks or at once) and waits for it. */
  async stop(): Promise<void> {
    this.#stopper.abort();
    this.#clock.wake();
    await this.#loop;
    this.store.close();
    this.state.close();
  }

  /**
   * Queues a completed upload for shore, once: its bytes are hard-linked into the outbox, so they
   * stay on board until shore holds them whatever happens to the record's own copy.
   */
  async enqueue(file: OnBoardFile): Promise<void> {
    if (await this.store.get(file.id)) return;
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(file.metadata)) if (!OWN_KEYS.has(key)) tags[key] = value;
    if (file.deviceName) tags.crewDevice = file.deviceName;
    if (file.metadata.queueId) tags.crewQueueId = file.metadata.queueId;
    const priority = Number(file.metadata.priority);
    const item = newQueueItem(
      {
        id: file.id,
        blob: await fs.openAsBlob(file.path, { type: file.type }),
        name: file.name,
        type: file.type,
        priority: Number.isFinite(priority) ? priority : 5,
        tags,
        sha256: file.sha256,
      },
      this.#clock.now(),
    );
    await this.store.addLinked(item, file.path);
    this.#clock.wake();
  }

  /** Outbox items by id, for the crew's "ashore" stage. */
  async items(ids?: readonly string[]): Promise<QueueItem[]> {
    if (!ids) return this.store.all();
    const found = await Promise.all(ids.map((id) => this.store.get(id)));
    return found.filter((i): i is QueueItem => i !== undefined);
  }

  async status(): Promise<ForwardStatus> {
    const items = await this.store.all();
    const count = (s: QueueItem['status']) => items.filter((i) => i.status === s).length;
    return {
      shore: this.#opts.shore,
      ...this.#status,
      outbox: {
        waiting: count('waiting') + count('paused'),
        uploading: count('uploading'),
        failed: count('failed'),
        ashore: count('uploaded'),
        bytesLeft: items
          .filter((i) => i.status !== 'uploaded')
          .reduce((sum, i) => sum + i.size - i.bytesConfirmed, 0),
      },
      link: this.link.estimator.snapshot(),
      spend: await this.rules.totals(),
      settings: this.rules.current,
    };
  }

  /**
   * New link settings for the ship (cap, budgets, metered rule): saved, and in force at once; files
   * held back by the old budget or metered rule are asked again.
   */
  async setSettings(settings: LinkSettings): Promise<void> {
    await this.state.setSettings(settings);
    await this.rules.load();
    await changeEach(this.store, reconsiderAdmission(this.#clock.now()));
    this.#clock.wake();
  }

  /**
   * The operator's change to one outbox item (a transition from src/shared/transitions.ts), applied
   * only from the states where it makes sense. Resolves to the item changed, or undefined when the
   * change did not apply. A file paused mid-chunk stops at once; the forwarder looks again at once.
   */
  async change(id: string, change: (now: number) => Change): Promise<QueueItem | undefined> {
    const item = await applyChange(this.store, id, change(this.#clock.now()));
    if (item && item.status !== 'uploading') this.#attempts.get(id)?.();
    if (item) this.#clock.wake();
    return item;
  }

  readonly #uploader = () =>
    createTusUploader({
      endpoint: new URL('/files/', this.#opts.shore).href,
      httpStack: nodeFetchStack({
        clock: this.#clock,
        limits: () => this.link.limits(),
        link: this.link.traffic,
        pace: (bytes, elapsedMs) => this.rules.paceAfter(bytes, elapsedMs),
        progressUrl: (uploadUrl) => {
          const id = new URL(uploadUrl).pathname.split('/').pop();
          return id ? new URL(`/api/progress/${id}`, this.#opts.shore).href : null;
        },
      }),
      chunkSize: linkChunks(this.link, this.rules, () => this.#runUntil - this.#clock.now()),
      getHeaders: async () => ({ Authorization: `Bearer ${this.#opts.token}` }),
      blockChecksums: true,
      alreadyStored: askDedupe(
        {
          fetch: (url, { timeoutMs, ...init }) =>
            fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
          link: this.link,
          rules: this.rules,
        },
        new URL('/api/dedupe', this.#opts.shore).href,
        DEDUPE_TIMEOUT_MS,
      ),
    });

  async #forward(): Promise<void> {
    const clock = this.#clock;
    const uploader = this.#uploader();
    const runMs = this.#opts.runMs ?? 10 * 60_000;
    while (!this.#stopper.aborted) {
      this.#runUntil = clock.now() + runMs;
      this.#status = { state: 'forwarding', reason: null };
      const outcome = await drainUntil({
        store: this.store,
        uploader,
        clock,
        link: this.link,
        rules: this.rules,
        until: this.#runUntil,
        signal: this.#stopper,
        interrupts: this.#interrupts,
        onStorageFull: (id, error) =>
          this.#opts.log('error', 'outbox could not be saved', { id, error: error.message }),
        warn: (message, err) => this.#opts.log('warn', message, { error: String(err) }),
      });
      if (outcome.uploaded > 0) this.#opts.log('info', 'forwarded ashore', { files: outcome.uploaded });
      const wait = this.#waitAfter(outcome);
      if (wait === null) return;
      // Ends early when a file is queued or the settings change (the clock is woken).
      if (wait > clock.now()) await clock.sleep(wait - clock.now(), this.#stopper);
    }
  }

  /** What a run's end means for the next: when to look again, or null to stop for good. */
  #waitAfter(outcome: DrainOutcome): number | null {
    const now = this.#clock.now();
    switch (outcome.stoppedBecause) {
      case 'signed-out':
        this.#status = {
          state: 'stopped',
          reason:
            'Shore refused the ship’s token (TENDER_FORWARD_TOKEN): it was revoked or is wrong. Nothing is lost; set a valid token and restart the relay.',
        };
        this.#opts.log('error', 'shore refused the ship token; forwarding stopped');
        return null;
      case 'aborted':
        return null;
      case 'empty':
        this.#status = { state: 'idle', reason: null };
        return now + IDLE_LOOK_MS;
      case 'backoff':
        this.#status = { state: 'waiting', reason: 'Shore answered with an error; trying again shortly.' };
        return outcome.nextAttemptAt ?? now + IDLE_LOOK_MS;
      case 'held':
        this.#status = { state: 'waiting', reason: 'Held back by the ship’s data budget or metered rule.' };
        return now + IDLE_LOOK_MS;
      case 'storage-full':
        this.#status = { state: 'waiting', reason: 'The relay’s disk is full: progress cannot be saved.' };
        return now + IDLE_LOOK_MS;
      case 'offline':
        this.#status = { state: 'waiting', reason: 'Shore does not answer: waiting for the link.' };
        return now;
      default:
        return now;
    }
  }
}

/** An AbortSignal that follows the core's signal. */
function abortSignalOf(signal: {
  aborted: boolean;
  addEventListener(t: 'abort', l: () => void): void;
}): AbortSignal {
  const own = new AbortController();
  if (signal.aborted) own.abort();
  else signal.addEventListener('abort', () => own.abort());
  return own.signal;
}
