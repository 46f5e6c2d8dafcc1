import { type Clock, type DrainOptions, type DrainOutcome, drainQueue } from './engine.ts';
import type { LinkWatch } from './linkWatch.ts';
import { applyChange, type Change, type QueueStore } from './queueStore.ts';
import { reclaim } from './transitions.ts';
import type { ChunkPolicy } from './tusUploader.ts';
import type { BlobLike, QueueItem } from './types.ts';
import type { UploadRules } from './uploadRules.ts';

/**
 * Chunk sizes that follow the link (goodput, round trip, time left in the run), cut to a few
 * seconds of the bandwidth cap and to what the data budget has left.
 */
export function linkChunks(link: LinkWatch, rules: UploadRules, msLeft: () => number): ChunkPolicy {
  return {
    next: (item) =>
      rules.chunkFor(
        item,
        link.chunks.next({
          goodputBps: link.estimator.goodputBps,
          rttMs: link.estimator.rttMs,
          msLeft: msLeft(),
        }),
      ),
    succeeded: (bytes) => link.chunks.succeeded(bytes),
    failed: (bytes) => link.chunks.failed(bytes),
  };
}

/** Applies `change` to every item, reporting each that changed. */
export async function changeEach(
  store: Pick<QueueStore, 'all' | 'update'>,
  change: Change,
  onChange?: (item: QueueItem) => void,
): Promise<void> {
  for (const item of await store.all()) {
    const updated = await applyChange(store, item.id, change);
    if (updated) onChange?.(updated);
  }
}

/** One uploader run: the engine's options but the admission, which the rules give. */
export type AgentRun<B extends BlobLike> = Omit<DrainOptions<B>, 'admit' | 'budgetMs' | 'clock'> & {
  clock: Clock;
  link: LinkWatch;
  rules: UploadRules;
  /** The run starts no new chunk or file after this time (clock ms). */
  until: number;
  /** A storage failure that loses nothing (the link state or spend could not be saved). */
  warn(message: string, err: unknown): void;
};

/**
 * Drains the queue until `until`, for whoever holds the right to upload (the runner lock in the
 * browser, the one relay process in Node). Items a killed uploader left "uploading" go back to
 * waiting first. When a connection dies, it does not end: it probes until shore answers and goes on
 * the moment it does (a reset or a router's failover is over at once; an outage is probed often at
 * first). What was spent and learned of the link is saved however it ends.
 */
export async function drainUntil<B extends BlobLike>(run: AgentRun<B>): Promise<DrainOutcome> {
  const { clock, link, rules, until, warn, ...engine } = run;
  await changeEach(run.store, reclaim(clock.now()), run.onChange);
  try {
    for (;;) {
      const outcome = await drainQueue({
        ...engine,
        clock,
        budgetMs: until - clock.now(),
        admit: (item, atChunk) => (atChunk ? rules.admitLoaded(item) : rules.admitNow(item)),
      });
      if (outcome.stoppedBecause !== 'offline') return outcome;
      if (!(await link.untilShoreAnswers(until, run.signal))) return outcome;
    }
  } finally {
    await rules.flush();
    await link.save().catch((err) => warn('link state could not be saved', err));
  }
}
