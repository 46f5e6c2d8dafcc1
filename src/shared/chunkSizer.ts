/**
 * Chooses the size of the next PATCH by time at the measured goodput.
 *
 * Each chunk costs about one round trip of idle link (its answer must come back before the next
 * one starts): on a 600 ms GEO link a 30 s chunk wastes 2%, a 2 MiB one (8 s at 2 Mbit/s) 7%. A
 * long chunk used to risk more on a cut; with per-block checksums the server keeps every verified
 * block of a cut chunk, so a long chunk now risks one block. What stays bounded:
 * - the first chunk, before anything is measured, is small so a bad link shows itself early;
 * - growth is at most ×4 per chunk (a link that carried 1 MiB well may not carry 64);
 * - after a stall or failure the next chunk is at most half the last, and grows back from there;
 * - a chunk must end inside the run's lifetime (a sync event is stopped at ~3 min);
 * - a chunk is a whole number of 64 KiB, the unit of the per-block checksums.
 */

/** Bounds of the chunk sizer; see `defaultChunkBounds` for the values and their reasons. */
export interface ChunkBounds {
  minBytes: number;
  maxBytes: number;
  /** First chunk when nothing is known about the link. */
  startBytes: number;
  /** Target time on the wire for one chunk. */
  targetMs: number;
}

const UNIT = 64 * 1024;

/**
 * - min 256 KiB: one second at 2 Mbit/s; smaller chunks spend more on round trips than they save.
 * - max 256 MiB: about 5 s on a gigabit LAN, where the chunk boundary is the only place a run can
 *   stop for a more urgent file; memory does not bound it, because bodies go out as Blob slices
 *   and are hashed one block at a time.
 * - start 1 MiB: 4 s on a 2 Mbit/s GEO link, under 0.1 s on Wi-Fi to a LAN box.
 * - target 30 s: one 600 ms round trip in 30 s is 2% of the link.
 */
export const defaultChunkBounds: ChunkBounds = {
  minBytes: 256 * 1024,
  maxBytes: 256 * 1024 * 1024,
  startBytes: 1024 * 1024,
  targetMs: 30_000,
};

/** What the sizer knows when it picks the next chunk. */
export interface ChunkContext {
  /** Measured bytes per second reaching the server, or null. */
  goodputBps: number | null;
  /** Time left before the chunk must have been answered, e.g. the run's hard limit less a margin. */
  msLeft: number;
  /** Round trip, to leave room for the answer. */
  rttMs: number | null;
}

/** Picks chunk sizes for one upload attempt after another; one instance per runner. */
export class ChunkSizer {
  readonly #bounds: ChunkBounds;
  /** Size of the last chunk that went through, or null. */
  #lastGood: number | null = null;
  /** Ceiling after a failure, lifted as chunks succeed. */
  #ceiling: number;

  constructor(bounds: ChunkBounds = defaultChunkBounds) {
    this.#bounds = bounds;
    this.#ceiling = bounds.maxBytes;
  }

  /** Size in bytes of the next chunk. */
  next(ctx: ChunkContext): number {
    const { minBytes, maxBytes, startBytes, targetMs } = this.#bounds;
    let size: number;
    // Nothing measured yet (chunks too quick to time on a LAN): grow as if each took no time.
    if (ctx.goodputBps === null || !(ctx.goodputBps > 0))
      size = this.#lastGood === null ? startBytes : this.#lastGood * 4;
    else {
      const byRate = (ctx.goodputBps * targetMs) / 1000;
      const growth = this.#lastGood === null ? startBytes * 4 : this.#lastGood * 4;
      size = Math.min(byRate, growth);
      // Leave the answer's round trip and 20% of slack before the deadline.
      const usable = Math.max(0, ctx.msLeft - 2 * (ctx.rttMs ?? 1000)) * 0.8;
      size = Math.min(size, (ctx.goodputBps * usable) / 1000);
    }
    size = Math.min(size, this.#ceiling, maxBytes);
    size = Math.max(minBytes, Math.floor(size / UNIT) * UNIT);
    return size;
  }

  /** A chunk of `bytes` was accepted whole. */
  succeeded(bytes: number): void {
    this.#lastGood = bytes;
    // Recover from a failure by doubling, as TCP leaves a loss.
    this.#ceiling = Math.min(this.#bounds.maxBytes, Math.max(this.#ceiling, bytes) * 2);
  }

  /** A chunk of `bytes` stalled or failed: the next is at most half of it. */
  failed(bytes: number): void {
    this.#ceiling = Math.max(this.#bounds.minBytes, Math.floor(bytes / 2));
    if (this.#lastGood !== null) this.#lastGood = Math.min(this.#lastGood, this.#ceiling);
  }
}
