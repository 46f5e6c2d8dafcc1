import type { Partials } from './partials.ts';
import type { UploadBytes } from './uploadBytes.ts';

/**
 * The server-wide storage check: something that will take `bytes` more is refused when, after it
 * and after what resumable unfinished uploads still need, less than `minFreeBytes` would be free.
 */
export class DiskRoom {
  /** Free bytes at the last measurement (for /metrics, which cannot wait for storage). */
  free = 0;
  private readonly bytes: UploadBytes;
  private readonly minFreeBytes: number;
  private readonly partials: Partials;

  constructor(opts: { bytes: UploadBytes; minFreeBytes: number; partials: Partials }) {
    this.bytes = opts.bytes;
    this.minFreeBytes = opts.minFreeBytes;
    this.partials = opts.partials;
  }

  /** Measures the free room again; resolves to it. */
  async measure(): Promise<number> {
    this.free = await this.bytes.room();
    return this.free;
  }

  /** Whether `bytes` more fit; with the figures, for the log. */
  async fits(bytes: number): Promise<{ ok: boolean; free: number; outstanding: number }> {
    const free = await this.measure();
    const outstanding = await this.partials.outstandingBytes();
    return { ok: free - outstanding - bytes >= this.minFreeBytes, free, outstanding };
  }
}
