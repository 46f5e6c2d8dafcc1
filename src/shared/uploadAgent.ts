import { type Clock, type DrainOptions, type DrainOutcome, drainQueue } from './engine.ts';
import type { LinkWatch } from './linkWatch.ts';
import { applyChange, type Change, type QueueStore } from './queueStore.ts';
import { reclaim } from './transitions.ts';
import { type ChunkPolicy, storedRecordId, type TusUploaderOptions, tusMetadata } from './tusUploader.ts';
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

/** The environment's fetch for the uploader's own small requests, giving up after `timeoutMs`. */
export type ControlFetch = (
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string; timeoutMs: number },
) => Promise<{ readonly status: number; readonly ok: boolean; text(): Promise<string> }>;

/** Where a control request goes out: the home's fetch, and the link and rules that count it. */
export interface ControlHome {
  fetch: ControlFetch;
  link: LinkWatch;
  rules: UploadRules;
}

/** A control request's headers, roughly; its body (or its URL, with no body) is added. */
const CONTROL_REQUEST_BYTES = 600;
/** A control answer's headers, roughly; its body is added. */
const CONTROL_ANSWER_BYTES = 250;

/**
 * Sends one small request of the uploader's own (dedupe, stages ashore) and reads its answer:
 * both ways count as control traffic, and the answer tells the link that shore answers.
 */
export async function controlRequest(
  home: ControlHome,
  url: string,
  init: Parameters<ControlFetch>[1],
): Promise<{ status: number; ok: boolean; text: string }> {
  home.rules.count(CONTROL_REQUEST_BYTES + (init.body ?? url).length, 'control');
  const res = await home.fetch(url, init);
  const text = await res.text();
  home.rules.count(CONTROL_ANSWER_BYTES + text.length, 'control');
  home.link.traffic.answered();
  return { status: res.status, ok: res.ok, text };
}

/**
 * The uploader's `alreadyStored`: asks `url` (shore's POST /api/dedupe) whether it holds the file.
 * Bounded by `timeoutMs`: a dead link must not hang a run.
 */
export function askDedupe(
  home: ControlHome,
  url: string,
  timeoutMs: number,
): NonNullable<TusUploaderOptions['alreadyStored']> {
  return async (item, headers) => {
    const res = await controlRequest(home, url, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sha256: item.sha256, size: item.size, metadata: tusMetadata(item) }),
      timeoutMs,
    });
    return storedRecordId(res.status, res.text);
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
