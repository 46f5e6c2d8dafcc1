import type { Locker } from '@tus/server';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Partial, Partials } from './partials.ts';
import type { UploadRecords } from './records.ts';
import type { DurableStore } from './store.ts';
import type { UploadBytes } from './uploadBytes.ts';

// Stored bytes no upload owns are deleted once nothing has written them for this long.
const ORPHAN_IDLE_MS = 15 * 60_000;

/** Collaborators of the sweeper. */
export type SweeperOptions = {
  /** Unfinished uploads older than this (from creation) are deleted; 0 keeps them. */
  expiryMs: number;
  partials: Partials;
  records: UploadRecords;
  bytes: UploadBytes;
  store: DurableStore;
  metrics: Metrics;
  log: Logger;
  /** The locker tus requests take, so a deletion waits for (and is never overtaken by) a write. */
  locker: Locker;
  /** True once the server is shutting down: stop between uploads. */
  stopped(): boolean;
};

/** Deletes unfinished uploads: expired ones, ones no one can resume, and a device's on request. */
export class Sweeper {
  private readonly opts: SweeperOptions;

  constructor(opts: SweeperOptions) {
    this.opts = opts;
  }

  /** Deletes unfinished uploads created more than expiryMs ago; never touches completed ones. */
  async expire(): Promise<void> {
    const { expiryMs, partials, metrics } = this.opts;
    if (expiryMs <= 0) return;
    const cutoff = new Date(Date.now() - expiryMs).toISOString();
    for (const partial of await partials.expired(cutoff)) {
      if (this.opts.stopped()) return;
      const dropped = await this.drop(partial.id, 'expired', (current) => current.createdAt < cutoff);
      if (dropped) metrics.uploadsFailed.expired++;
    }
  }

  /**
   * Deletes unfinished uploads no one can resume any more (their device is revoked, or the operator
   * asked to drop them), so their reservations stop holding disk space and the device's quota.
   */
  async dropAbandoned(): Promise<number> {
    let count = 0;
    for (const partial of await this.opts.partials.abandoned()) {
      if (this.opts.stopped()) break;
      if (await this.drop(partial.id, 'abandoned', () => true)) count++;
    }
    this.opts.metrics.uploadsFailed.dropped += count;
    return count;
  }

  /** Deletes every unfinished upload of a device (cut its open requests first); returns how many. */
  async dropDevice(deviceId: string): Promise<number> {
    let count = 0;
    for (const partial of await this.opts.partials.ofDevice(deviceId)) {
      if (await this.drop(partial.id, 'dropped by the operator', () => true)) count++;
    }
    this.opts.metrics.uploadsFailed.dropped += count;
    return count;
  }

  /**
   * Deletes an upload whose creation request ended without a 201 (its body failed or was cut): its
   * client never learnt the URL, so nothing can resume it, and it would hold the device's quota.
   */
  async dropUnannounced(id: string): Promise<boolean> {
    const dropped = await this.drop(id, 'creation not answered', () => true);
    if (dropped) this.opts.metrics.uploadsFailed.dropped++;
    return dropped;
  }

  /**
   * Deletes stored bytes that no upload owns (a crash between deleting an upload's bytes and its
   * row) once they have been idle for a long time, each under its id's lock.
   */
  async dropOrphans(): Promise<number> {
    const { bytes, log } = this.opts;
    let count = 0;
    for (const { id, idleMs } of await bytes.list()) {
      if (this.opts.stopped()) break;
      if (idleMs < ORPHAN_IDLE_MS || (await this.owned(id))) continue;
      const dropped = await this.locked(id, async () => {
        if (await this.owned(id)) return false;
        await bytes.remove(id);
        return true;
      }).catch((error: unknown) => {
        log('error', 'could not delete orphan upload file', { id, error: String(error) });
        return false;
      });
      if (!dropped) continue;
      log('info', 'orphan upload file deleted', { id });
      count++;
    }
    return count;
  }

  /** Runs `fn` holding the upload's lock, the one tus requests take. */
  async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const lock = this.opts.locker.newLock(id);
    await lock.lock(new AbortController().signal, () => {});
    try {
      return await fn();
    } finally {
      await lock.unlock();
    }
  }

  // Whether an upload, finished or not, owns the bytes stored under `id`.
  private async owned(id: string): Promise<boolean> {
    return Boolean((await this.opts.partials.get(id)) ?? (await this.opts.records.get(id)));
  }

  // Deletes one unfinished upload under its lock if `still` holds for its current state.
  private async drop(id: string, reason: string, still: (current: Partial) => boolean): Promise<boolean> {
    const { partials, log } = this.opts;
    try {
      return await this.locked(id, () =>
        this.opts.store.exclusive(id, async () => {
          const current = await partials.get(id);
          if (!current || current.completion || !still(current)) return false;
          await this.opts.store.discard(id);
          log('info', 'unfinished upload deleted', {
            id,
            reason,
            deviceId: current.deviceId,
            acked: current.acked,
          });
          return true;
        }),
      );
    } catch (error) {
      log('error', 'could not delete unfinished upload', { id, reason, error: String(error) });
      return false;
    }
  }
}
