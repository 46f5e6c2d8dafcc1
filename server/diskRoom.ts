import { freeBytes } from './disk.ts';
import type { Partials } from './partials.ts';

/**
 * The server-wide disk check: something that will take `bytes` more is refused when, after it and
 * after what resumable unfinished uploads still need, less than `minFreeBytes` would be free.
 */
export class DiskRoom {
  private readonly dataDir: string;
  private readonly minFreeBytes: number;
  private readonly partials: Partials;

  constructor(opts: { dataDir: string; minFreeBytes: number; partials: Partials }) {
    this.dataDir = opts.dataDir;
    this.minFreeBytes = opts.minFreeBytes;
    this.partials = opts.partials;
  }

  /** Whether `bytes` more fit; with the figures, for the log. */
  async fits(bytes: number): Promise<{ ok: boolean; free: number; outstanding: number }> {
    const free = await freeBytes(this.dataDir);
    const outstanding = this.partials.outstandingBytes();
    return { ok: free - outstanding - bytes >= this.minFreeBytes, free, outstanding };
  }
}
