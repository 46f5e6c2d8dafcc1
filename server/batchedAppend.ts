import type { Appender } from './uploadBytes.ts';

/**
 * Feeds a request body's chunks to an Appender in batches of about `batchBytes`, with one batch
 * being written while the next one fills: receiving and hashing overlap the disk write, and a 64 KiB
 * chunk no longer costs a write of its own. At most two batches are held; adding to a full one waits
 * for the write before it, so a slow disk still holds back the client.
 */
export class BatchedAppend {
  private readonly appender: Appender;
  private readonly batchBytes: number;
  private batch: Buffer[] = [];
  private batchSize = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  private writtenEnd: number;

  /** @param start where the appender's bytes end (the request's offset) */
  constructor(appender: Appender, batchBytes: number, start: number) {
    this.appender = appender;
    this.batchBytes = batchBytes;
    this.writtenEnd = start;
  }

  /** Where the bytes whose writes have finished end. */
  get written(): number {
    return this.writtenEnd;
  }

  /** Queues a chunk; once a batch is full, waits for the write before it and starts its own. */
  async add(chunk: Buffer): Promise<void> {
    this.batch.push(chunk);
    this.batchSize += chunk.length;
    if (this.batchSize >= this.batchBytes) await this.startWrite();
  }

  /** Writes everything queued and waits for it; a failed write rejects here (or in add). */
  async flush(): Promise<number> {
    if (this.batchSize > 0) await this.startWrite();
    await this.settledWrite();
    return this.writtenEnd;
  }

  // The previous write has finished, or its failure is thrown; then this batch's write starts.
  private async startWrite(): Promise<void> {
    await this.settledWrite();
    const batch = this.batch;
    const size = this.batchSize;
    this.batch = [];
    this.batchSize = 0;
    // Never rejects, so a write that fails while nobody waits is not an unhandled rejection.
    this.writing = this.appender.write(batch).then(
      () => {
        this.writtenEnd += size;
      },
      (error: unknown) => {
        this.failure = { error };
      },
    );
  }

  /** Waits for the write in progress, if any, whatever its outcome (before closing the appender). */
  async settled(): Promise<void> {
    await this.writing;
  }

  private async settledWrite(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure.error;
  }
}
