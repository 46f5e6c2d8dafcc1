import { type Admission, isAdmissionWait } from './admission.ts';
import { awaitsDownscale } from './dataSaver.ts';
import { applyChange, type Change, isRefusedWrite, type QueueStore, releasable } from './queueStore.ts';
import { type Decision, decide, defaultRetryPolicy, type RetryPolicy } from './retryPolicy.ts';
import { Stopper } from './Stopper.ts';
import { holdBack } from './transitions.ts';
import { type BlobLike, CRITICAL_PRIORITY, type QueueItem, type SignalLike, waitedMs } from './types.ts';
import { UploadError } from './UploadError.ts';

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

/** Sends one queue item's file to the server, resuming where the server left off; throws UploadError. */
export interface Uploader<B extends BlobLike = BlobLike> {
  upload(item: QueueItem, file: B, ctx: UploadContext): Promise<void>;
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
  onChange?: (item: QueueItem) => void;
  /** The device's storage refused a write of this item's state: nothing is lost, but the run stops. */
  onStorageFull?: (id: string, error: Error) => void;
  /** Live progress of the running item, between confirmed offsets; for display only. */
  onProgress?: (id: string, bytesOnServer: number) => void;
  /**
   * Whether a file may be sent now under the crew's budgets and metered rule; asked before each
   * file, and again (synchronously) at each chunk boundary. A refusal holds the file back with its
   * reason until its `retryAt`, and the run goes on with the others.
   */
  admit?: (item: QueueItem, atChunk: boolean) => Admission | Promise<Admission>;
  /** Where the run registers each attempt so that it can be stopped from outside. */
  interrupts?: InterruptRegistry;
  policy?: RetryPolicy;
  random?: () => number;
}

/** Why a run ended, and what is left. */
export interface DrainOutcome {
  stoppedBecause:
    | 'empty'
    | 'held'
    | 'offline'
    | 'budget'
    | 'signed-out'
    | 'aborted'
    | 'backoff'
    | 'storage-full';
  uploaded: number;
  /** Items still to upload (waiting or uploading), not counting those held back by admission. */
  remaining: number;
  /** Earliest time a backed-off item may run again, when that is why the run stopped. */
  nextAttemptAt: number | null;
}

/** How often a running upload looks for a critical file that should go first. */
const PREEMPT_CHECK_MS = 2_000;

const isPending = (item: Readonly<QueueItem>) => item.status === 'waiting' || item.status === 'uploading';

/** Pending and free to go once its time comes: a Data saver photo no page has made smaller yet waits. */
const canGo = (item: Readonly<QueueItem>) => isPending(item) && !awaitsDownscale(item);

/** Orders runnable items: priority 10 first, then oldest first. */
export function compareItems(a: QueueItem, b: QueueItem): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
}

/** The item to upload next at `now`, or null. */
export function pickNext(items: QueueItem[], now: number): QueueItem | null {
  const runnable = items.filter((i) => canGo(i) && (i.notBefore === null || i.notBefore <= now));
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
  /** Files admission refused in this run: not asked again until the next run. */
  const held = new Set<string>();
  let stopRun: DrainOutcome['stoppedBecause'] | null = null;

  /** Applies a change with a fresh updatedAt; resolves to the record, or undefined if gone or declined. */
  const save = async (id: string, change: Change) => {
    const item = await applyChange(store, id, (current) => {
      const patch = change(current);
      return patch && { ...patch, updatedAt: clock.now() };
    });
    if (item) onChange?.(item);
    return item;
  };
  const finish = async (stoppedBecause: DrainOutcome['stoppedBecause']): Promise<DrainOutcome> => {
    const items = await store.all();
    // Files held by admission, or waiting for a page to make them smaller, are not work a run can do.
    const pending = items.filter((i) => canGo(i) && !isAdmissionWait(i.waitReason));
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
    const items = (await store.all()).filter((i) => !held.has(i.id));
    const next = pickNext(items, clock.now());
    if (!next) {
      const waits = items
        .filter(canGo)
        .map((i) => i.notBefore)
        .filter((t): t is number => t !== null);
      if (!waits.length) return finish(held.size ? 'held' : 'empty');
      const wakeAt = Math.min(...waits);
      if (wakeAt >= yieldAt) return finish('backoff');
      await clock.sleep(wakeAt - clock.now(), signal);
      continue;
    }
    const admission = await opts.admit?.(next, false);
    if (admission && !admission.ok) {
      held.add(next.id);
      await save(next.id, holdBack(admission, clock.now()));
      continue;
    }
    try {
      if (await attempt(next)) uploaded++;
    } catch (err) {
      if (!isRefusedWrite(err)) throw err;
      opts.onStorageFull?.(next.id, err);
      return finish('storage-full');
    }
    if (stopRun) return finish(stopRun);
  }

  /** One attempt on `next`; true when it ended uploaded. Sets `stopRun` when the run must end. */
  async function attempt(next: QueueItem): Promise<boolean> {
    const file = await store.blob(next.id);
    if (!file) {
      const reason = 'The file is no longer stored on this device; add it again to send it.';
      await save(next.id, (c) =>
        isPending(c) ? { status: 'failed', waitReason: null, lastError: reason } : null,
      );
      return false;
    }
    const now = clock.now();
    // Only from Waiting (or Uploading left by a dead runner): a pause that came first stands.
    const started = await save(next.id, (current) =>
      isPending(current)
        ? {
            status: 'uploading',
            waitReason: null,
            notBefore: null,
            tries: current.tries + 1,
            waitingMs: waitedMs(current, now),
            waitingSince: null,
          }
        : null,
    );
    if (!started) return false;
    const { stopper, release } = Stopper.follow(signal);
    const unwatch = opts.interrupts?.watch(next.id, () => stopper.abort()) ?? (() => {});
    let preempt = false;
    /** Admission refused the file at a chunk boundary (a budget ran out mid-file). */
    let refusal: Extract<Admission, { ok: false }> | null = null;
    let checkedAt = clock.now();
    /**
     * Mid-chunk, a critical file added meanwhile stops this one at once: the server keeps every
     * verified block of the cut chunk, so stopping costs less than a block, and a chunk can last 30 s.
     */
    const checkPreempt = async () => {
      if (preempt || clock.now() - checkedAt < PREEMPT_CHECK_MS) return;
      checkedAt = clock.now();
      if (!hasCriticalAhead(await store.all(), started, clock.now())) return;
      preempt = true;
      stopper.abort();
    };
    let sent = 0;
    let sentSaved = 0;
    /** Bytes sent since the last write, counted into the record by `change` as it is written. */
    const withSent = (change: Change): Change => {
      const unsaved = sent - sentSaved;
      return (current) => {
        const patch = change(current);
        if (unsaved <= 0) return patch;
        sentSaved += unsaved;
        return { ...patch, bytesSent: current.bytesSent + unsaved };
      };
    };
    try {
      await uploader.upload(started, file, {
        signal: stopper,
        shouldYield: () => {
          if (preempt || clock.now() >= yieldAt) return true;
          const admission = opts.admit?.(started, true);
          if (admission && !(admission instanceof Promise) && !admission.ok) refusal = admission;
          return refusal !== null;
        },
        onSent: (bytes) => {
          sent += bytes;
        },
        onProgress: (bytes) => {
          opts.onProgress?.(next.id, bytes);
          void checkPreempt();
        },
        onOffset: async (bytesConfirmed) => {
          const item = await save(
            next.id,
            // Progress proves the server works again: later failures back off from the start.
            withSent(() => ({ bytesConfirmed, attempts: 0 })),
          );
          // Paused or removed, even if the word never reached this run: stop sending.
          if (item?.status !== 'uploading') stopper.abort();
          preempt = preempt || hasCriticalAhead(await store.all(), started, clock.now());
        },
        onUploadUrl: async (uploadUrl, restarted) => {
          await save(next.id, (current) => ({
            uploadUrl,
            ...(restarted ? { restarts: current.restarts + 1, bytesConfirmed: 0 } : {}),
          }));
        },
      });
      const done = await save(
        next.id,
        withSent((current) => ({
          status: 'uploaded',
          bytesConfirmed: current.size,
          lastError: null,
          waitReason: null,
          uploadedAt: clock.now(),
        })),
      );
      // The server holds every byte: free the device of the file unless the user keeps a copy.
      if (done && releasable(done)) {
        const released = await store.release(next.id, clock.now());
        if (released) onChange?.(released);
      }
      return true;
    } catch (thrown) {
      if (isRefusedWrite(thrown)) throw thrown;
      const error = toUploadError(thrown);
      if (error.code === 'yielded' && refusal) {
        held.add(next.id);
        await save(next.id, withSent(holdBack(refusal, clock.now())));
        return false;
      }
      // Set by the change as the store applies it (declared wide: TypeScript does not see the callback assign).
      let verdict = 'left' as 'left' | 'preempted' | 'decided';
      let stop = null as DrainOutcome['stoppedBecause'] | null;
      await save(
        next.id,
        withSent((current) => {
          if (current.status !== 'uploading') return {}; // paused by the user meanwhile: leave it so
          if ((error.code === 'yielded' || error.code === 'aborted') && preempt && !signal?.aborted) {
            verdict = 'preempted';
            return { status: 'waiting', waitReason: 'queued', waitingSince: clock.now() };
          }
          verdict = 'decided';
          const attempts = current.attempts + 1;
          const decision = decide(error, attempts, current.restarts > 0, policy, random);
          const outcome = afterFailure(decision, error, current, attempts, clock.now());
          stop = outcome.stop;
          return outcome.patch;
        }),
      );
      if (verdict !== 'decided') return false;
      if (signal?.aborted || error.code === 'aborted') stopRun = 'aborted';
      else if (error.code === 'yielded') stopRun = 'budget';
      else stopRun = stop;
      return false;
    } finally {
      unwatch();
      release();
    }
  }
}

/** True when a waiting file of critical priority should go before `current`. */
export function hasCriticalAhead(items: QueueItem[], current: QueueItem, now: number): boolean {
  return items.some(
    (i) =>
      i.id !== current.id &&
      i.status === 'waiting' &&
      !awaitsDownscale(i) &&
      i.priority >= CRITICAL_PRIORITY &&
      i.priority > current.priority &&
      (i.notBefore === null || i.notBefore <= now),
  );
}

/** The record's change after a failed attempt, and why the run must stop, if it must. */
function afterFailure(
  decision: Decision,
  error: UploadError,
  item: Readonly<QueueItem>,
  attempts: number,
  now: number,
): { patch: Partial<QueueItem>; stop: 'offline' | 'signed-out' | null } {
  switch (decision.action) {
    case 'wait-for-link':
      return {
        patch: { status: 'waiting', waitReason: 'offline', lastError: error.message, waitingSince: now },
        stop: 'offline',
      };
    case 'retry': {
      const quiet = error.code === 'aborted' || error.code === 'yielded';
      return {
        patch: {
          status: 'waiting',
          waitReason: quiet ? 'runner-stopped' : decision.delayMs > 0 ? 'backoff' : 'queued',
          notBefore: decision.delayMs > 0 ? now + decision.delayMs : null,
          attempts: decision.countsAttempt ? attempts : item.attempts,
          waitingSince: now,
          lastError: quiet ? item.lastError : error.message,
          ...(decision.resetUpload
            ? { uploadUrl: null, bytesConfirmed: 0, restarts: item.restarts + 1 }
            : {}),
        },
        stop: null,
      };
    }
    case 'fail':
      return {
        patch: { status: 'failed', waitReason: null, attempts, lastError: decision.reason },
        stop: null,
      };
    case 'pause-all':
      return {
        patch: { status: 'waiting', waitReason: 'signed-out', lastError: decision.reason, waitingSince: now },
        stop: 'signed-out',
      };
  }
}
