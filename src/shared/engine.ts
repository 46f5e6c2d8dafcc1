import { type Decision, decide, defaultRetryPolicy, type RetryPolicy } from './retryPolicy.ts';
import { Stopper } from './Stopper.ts';
import { type BlobLike, CRITICAL_PRIORITY, type QueueItem, type SignalLike, waitedMs } from './types.ts';
import { UploadError } from './UploadError.ts';

/** Durable storage of queue items; every write is persisted before the promise resolves. */
export interface QueueStore<B extends BlobLike = BlobLike> {
  all(): Promise<QueueItem<B>[]>;
  get(id: string): Promise<QueueItem<B> | undefined>;
  /** Merges `patch` into the item and persists it; undefined when the item no longer exists. */
  update(id: string, patch: Partial<QueueItem<B>>): Promise<QueueItem<B> | undefined>;
}

/** What an uploader is handed for one attempt. */
export interface UploadContext {
  /** Aborts the attempt at once (the hard deadline, the user pausing or removing the file). */
  signal: SignalLike;
  /** True when the attempt should stop at the next chunk boundary. */
  shouldYield(): boolean;
  /** The server confirmed holding this many bytes. */
  onOffset(bytesConfirmed: number): Promise<void>;
  /** A request body of this many bytes was handed to the network. */
  onSent(bytes: number): void;
  /** Live count of bytes the server has received, including a chunk still in flight (not persisted). */
  onProgress(bytesOnServer: number): void;
  /** The server gave this upload a URL; `restarted` when an earlier URL was lost and it began again. */
  onUploadUrl(url: string, restarted: boolean): Promise<void>;
}

/** Sends one queue item to the server, resuming where the server left off; throws UploadError. */
export interface Uploader<B extends BlobLike = BlobLike> {
  upload(item: QueueItem<B>, ctx: UploadContext): Promise<void>;
}

/** Time, injectable so tests can run an hour offline in milliseconds. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: SignalLike): Promise<void>;
}

/** Lets the owner of a run stop the attempt on one item, e.g. when the user pauses it. */
export interface InterruptRegistry {
  /** Registers `stop` for the attempt on `id`; returns the unregister function. */
  watch(id: string, stop: () => void): () => void;
}

/** Options of one queue run. */
export interface DrainOptions<B extends BlobLike> {
  store: QueueStore<B>;
  uploader: Uploader<B>;
  clock: Clock;
  /** Aborts the run at once. */
  signal?: SignalLike;
  /** After this many ms the run starts no new chunk or file. Default 120 s, inside Chromium's ~3 min sync limit. */
  budgetMs?: number;
  /** Called after each persisted change of an item. */
  onChange?: (item: QueueItem<B>) => void;
  /** Live progress of the running item, between confirmed offsets; for display only. */
  onProgress?: (id: string, bytesOnServer: number) => void;
  /** Where the run registers each attempt so that it can be stopped from outside. */
  interrupts?: InterruptRegistry;
  policy?: RetryPolicy;
  random?: () => number;
}

/** Why a run ended, and what is left. */
export interface DrainOutcome {
  stoppedBecause: 'empty' | 'offline' | 'budget' | 'signed-out' | 'aborted' | 'backoff';
  uploaded: number;
  /** Items still to upload (waiting or uploading). */
  remaining: number;
  /** Earliest time a backed-off item may run again, when that is why the run stopped. */
  nextAttemptAt: number | null;
}

const isPending = (item: QueueItem<BlobLike>) => item.status === 'waiting' || item.status === 'uploading';

/** Orders runnable items: priority 10 first, then oldest first. */
export function compareItems(a: QueueItem<BlobLike>, b: QueueItem<BlobLike>): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
}

/** The item to upload next at `now`, or null. */
export function pickNext<B extends BlobLike>(items: QueueItem<B>[], now: number): QueueItem<B> | null {
  const runnable = items.filter((i) => isPending(i) && (i.notBefore === null || i.notBefore <= now));
  runnable.sort(compareItems);
  return runnable[0] ?? null;
}

/** Converts anything thrown by an uploader into an UploadError. */
export function toUploadError(err: unknown): UploadError {
  if (err instanceof UploadError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UploadError('unknown', message, { cause: err });
}

/**
 * Uploads queued items one at a time, in order, until the queue is empty, the link is gone,
 * the budget is spent or the signal aborts. The caller must hold the single-runner lock.
 */
export async function drainQueue<B extends BlobLike>(opts: DrainOptions<B>): Promise<DrainOutcome> {
  const { store, uploader, clock, onChange } = opts;
  const policy = opts.policy ?? defaultRetryPolicy;
  const random = opts.random ?? Math.random;
  const yieldAt = clock.now() + (opts.budgetMs ?? 120_000);
  const signal = opts.signal;
  let uploaded = 0;

  const save = async (id: string, patch: Partial<QueueItem<B>>) => {
    const item = await store.update(id, { ...patch, updatedAt: clock.now() });
    if (item) onChange?.(item);
    return item;
  };
  const finish = async (stoppedBecause: DrainOutcome['stoppedBecause']): Promise<DrainOutcome> => {
    const items = await store.all();
    const pending = items.filter(isPending);
    const times = pending.map((i) => i.notBefore).filter((t): t is number => t !== null);
    return {
      stoppedBecause,
      uploaded,
      remaining: pending.length,
      nextAttemptAt: stoppedBecause === 'backoff' && times.length ? Math.min(...times) : null,
    };
  };

  for (;;) {
    if (signal?.aborted) return finish('aborted');
    if (clock.now() >= yieldAt) return finish('budget');
    const items = await store.all();
    const next = pickNext(items, clock.now());
    if (!next) {
      const waits = items
        .filter(isPending)
        .map((i) => i.notBefore)
        .filter((t): t is number => t !== null);
      if (!waits.length) return finish('empty');
      const wakeAt = Math.min(...waits);
      if (wakeAt >= yieldAt) return finish('backoff');
      await clock.sleep(wakeAt - clock.now(), signal);
      continue;
    }

    const now = clock.now();
    const started = await save(next.id, {
      status: 'uploading',
      waitReason: null,
      notBefore: null,
      tries: next.tries + 1,
      waitingMs: waitedMs(next, now),
      waitingSince: null,
    });
    if (!started) continue;
    const { stopper, release } = Stopper.follow(signal);
    const unwatch = opts.interrupts?.watch(next.id, () => stopper.abort()) ?? (() => {});
    let preempt = false;
    let sent = 0;
    let sentSaved = 0;
    try {
      await uploader.upload(started, {
        signal: stopper,
        shouldYield: () => preempt || clock.now() >= yieldAt,
        onSent: (bytes) => {
          sent += bytes;
        },
        onProgress: (bytes) => opts.onProgress?.(next.id, bytes),
        onOffset: async (bytesConfirmed) => {
          const latest = await store.get(next.id);
          await save(next.id, { bytesConfirmed, bytesSent: (latest?.bytesSent ?? 0) + sent - sentSaved });
          sentSaved = sent;
          preempt = preempt || hasCriticalAhead(await store.all(), started, clock.now());
        },
        onUploadUrl: async (uploadUrl, restarted) => {
          const current = await store.get(next.id);
          await save(next.id, {
            uploadUrl,
            ...(restarted ? { restarts: (current?.restarts ?? 0) + 1, bytesConfirmed: 0 } : {}),
          });
        },
      });
      const latest = await store.get(next.id);
      await save(next.id, {
        status: 'uploaded',
        bytesConfirmed: started.size,
        bytesSent: (latest?.bytesSent ?? 0) + sent - sentSaved,
        lastError: null,
        waitReason: null,
        uploadedAt: clock.now(),
      });
      uploaded++;
    } catch (thrown) {
      const error = toUploadError(thrown);
      const current = await store.get(next.id);
      if (!current) continue; // removed by the user while it was uploading
      const unsaved = sent - sentSaved;
      if (unsaved > 0) await save(next.id, { bytesSent: current.bytesSent + unsaved });
      if (current.status === 'paused') continue; // paused by the user: leave it so
      if (error.code === 'yielded' && preempt) {
        await save(next.id, { status: 'waiting', waitReason: 'queued', waitingSince: clock.now() });
        continue;
      }
      const attempts = current.attempts + 1;
      const decision: Decision = decide(error, attempts, current.restarts > 0, policy, random);
      const stop = await applyDecision(decision, error, current, attempts, save, clock.now());
      if (signal?.aborted || error.code === 'aborted') return finish('aborted');
      if (error.code === 'yielded') return finish('budget');
      if (stop) return finish(stop);
    } finally {
      unwatch();
      release();
    }
  }
}

/** True when a waiting file of critical priority should go before `current`. */
export function hasCriticalAhead(
  items: QueueItem<BlobLike>[],
  current: QueueItem<BlobLike>,
  now: number,
): boolean {
  return items.some(
    (i) =>
      i.id !== current.id &&
      i.status === 'waiting' &&
      i.priority >= CRITICAL_PRIORITY &&
      i.priority > current.priority &&
      (i.notBefore === null || i.notBefore <= now),
  );
}

/** Persists the outcome of a failed attempt; returns why the run must stop, if it must. */
async function applyDecision<B extends BlobLike>(
  decision: Decision,
  error: UploadError,
  item: QueueItem<B>,
  attempts: number,
  save: (id: string, patch: Partial<QueueItem<B>>) => Promise<unknown>,
  now: number,
): Promise<'offline' | 'signed-out' | null> {
  switch (decision.action) {
    case 'wait-for-link':
      await save(item.id, {
        status: 'waiting',
        waitReason: 'offline',
        lastError: error.message,
        waitingSince: now,
      });
      return 'offline';
    case 'retry': {
      const quiet = error.code === 'aborted' || error.code === 'yielded';
      await save(item.id, {
        status: 'waiting',
        waitReason: quiet ? 'runner-stopped' : decision.delayMs > 0 ? 'backoff' : 'queued',
        notBefore: decision.delayMs > 0 ? now + decision.delayMs : null,
        attempts: decision.countsAttempt ? attempts : item.attempts,
        waitingSince: now,
        lastError: quiet ? item.lastError : error.message,
        ...(decision.resetUpload ? { uploadUrl: null, bytesConfirmed: 0, restarts: item.restarts + 1 } : {}),
      });
      return null;
    }
    case 'fail':
      await save(item.id, { status: 'failed', waitReason: null, attempts, lastError: decision.reason });
      return null;
    case 'pause-all':
      await save(item.id, {
        status: 'waiting',
        waitReason: 'signed-out',
        lastError: decision.reason,
        waitingSince: now,
      });
      return 'signed-out';
  }
}
