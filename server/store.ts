import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/server';
import { BatchedAppend } from './batchedAppend.ts';
import { type BlockChecksums, BlockVerifier } from './blockChecksums.ts';
import type { Checksum } from './checksum.ts';
import { FileDigests } from './fileDigests.ts';
import { backgroundHashThread, type Hashing, sharedHashThread } from './hashThread.ts';
import { type TusError, tusError } from './httpError.ts';
import { keptBytes } from './keptBytes.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Partial, Partials, Reserved } from './partials.ts';
import type { PatchProgress } from './patchProgress.ts';
import type { UploadRecords } from './records.ts';
import { settle } from './recovery.ts';
import { answerFor, isTusError, StorageError } from './storageIo.ts';
import type { Appender, UploadBytes } from './uploadBytes.ts';

/** What the store needs to know about the request that holds an upload's lock. */
export type Writer = {
  deviceId: string;
  checksum?: Checksum;
  /** Digests of the body's blocks (Upload-Block-Checksums). */
  blocks?: BlockChecksums;
  /**
   * The request's body as Node receives it, read in place of the stream @tus/server hands over;
   * leaving it early must not destroy the request (the answer still has to go out).
   */
  body?: AsyncIterable<Buffer>;
  /** The answer a failed write chose (507 for a full disk, 460 …), whatever @tus/server makes of it. */
  failure?: TusError;
};

/** Collaborators of the store. */
export type DurableStoreOptions = {
  /** Where the bytes are kept. */
  bytes: UploadBytes;
  /** Unfinished uploads older than this (from creation) expire; 0 never. */
  expiryMs: number;
  partials: Partials;
  records: UploadRecords;
  /** Where open PATCHes report how far their bodies have come. */
  receiving: PatchProgress;
  metrics: Metrics;
  log: Logger;
  /** Refuses a new upload (an over-quota device), shown what its device holds; checked with the insert. */
  admit(reserved: Reserved, size: number): TusError | undefined;
  /** The request currently holding the lock on `id`. */
  writerOf(id: string): Writer | undefined;
  /** Called (inside the write) once every byte is acknowledged and the digest verified; files the record. */
  onComplete(partial: Partial, sha256: string): Promise<void>;
};

/**
 * Live progress of an upload: acknowledged bytes, bytes on disk including a PATCH in flight, and,
 * while one is in flight, how long ago its last byte arrived (the client's stall detector needs when
 * bytes stopped, not when it happened to ask).
 */
export type Progress = { offset: number; length: number; received: number; idleMs?: number };

// Acknowledge (fsync + record) a long PATCH in steps, so a crash loses at most this much: 2 s on a
// satellite link, 64 MiB (well under a second) on the LAN.
const CHECKPOINT_BYTES = 64 * 1024 * 1024;
const CHECKPOINT_MS = 2_000;
// Received chunks are written together, this much per system call, while the next batch fills.
const BATCH_BYTES = 1024 * 1024;

/**
 * A tus DataStore that never acknowledges an offset it could lose: bytes are made durable before
 * the offset is recorded, the offset comes from that record (never the stored length), and an
 * upload's bytes are brought back to that offset the first time this process touches it under its
 * lock (a crash mid-PATCH leaves a torn tail). It also verifies
 * `Upload-Checksum` per request, `Upload-Block-Checksums` per block (keeping the whole blocks that
 * matched of a cut or damaged body), and the whole file's SHA-256 against the `sha256` metadata.
 */
export class DurableStore extends DataStore {
  private readonly opts: DurableStoreOptions;
  private readonly busy = new Map<string, Promise<unknown>>();
  /** Where chunk checksums are computed: their digests hold up an answer. */
  private readonly hashing: Hashing;
  /** Whole files' digests: needed only at an upload's last byte, so computed where they may lag. */
  private readonly files = new FileDigests(backgroundHashThread());
  /** Uploads whose bytes this process has brought in line with their acknowledged offset. */
  private readonly settledHere = new Set<string>();

  constructor(opts: DurableStoreOptions) {
    super();
    this.opts = opts;
    this.hashing = sharedHashThread();
    // No creation-defer-length: quota and integrity checks need the length up front.
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const writer = this.opts.writerOf(upload.id);
    if (!writer || upload.size === undefined) throw ERRORS.INVALID_LENGTH;
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(upload.metadata ?? {})) metadata[k] = v ?? '';
    const size = upload.size;
    // Check and reserve as one step: two creations at once cannot both take the last slot.
    const refusal = await this.opts.partials.create(
      {
        id: upload.id,
        deviceId: writer.deviceId,
        size,
        metadata,
        createdAt: upload.creation_date ?? new Date().toISOString(),
      },
      (reserved) => this.opts.admit(reserved, size),
    );
    if (refusal) throw refusal;
    try {
      await this.opts.bytes.create(upload.id);
    } catch (error) {
      await this.opts.partials.delete(upload.id);
      throw error;
    }
    return upload;
  }

  /**
   * tus calls this holding the upload's lock (HEAD, PATCH, DELETE): on the first call in this
   * process, the moment to bring its bytes in line with the acknowledged offset (a crash mid-PATCH
   * leaves a torn tail), once any write of this process has settled.
   */
  override async getUpload(id: string): Promise<Upload> {
    // A killed PATCH may still be acknowledging what it received; answer with its final offset.
    const partial = await this.exclusive(id, () => this.settled(id));
    if (partial) {
      return new Upload({
        id,
        size: partial.size,
        offset: partial.acked,
        metadata: partial.metadata,
        creation_date: partial.completion ? undefined : partial.createdAt,
      });
    }
    const record = await this.opts.records.get(id);
    if (record) {
      // No creation date: a finished upload never expires.
      return new Upload({ id, size: record.size, offset: record.size, metadata: record.metadata });
    }
    throw ERRORS.FILE_NOT_FOUND;
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const writer = this.opts.writerOf(id);
    try {
      return await this.exclusive(id, () => this.writeExclusive(stream, id, offset));
    } catch (error) {
      // @tus/server reports a write that fails mid-body as its own "aborted" 400; keep the real answer.
      if (writer && isTusError(error)) writer.failure = error;
      throw error;
    }
  }

  override async remove(id: string): Promise<void> {
    return this.exclusive(id, async () => {
      if (!(await this.opts.partials.get(id))) throw ERRORS.FILE_NOT_FOUND;
      await this.discard(id);
    });
  }

  override async declareUploadLength(): Promise<void> {
    throw ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION;
  }

  override getExpiration(): number {
    return this.opts.expiryMs;
  }

  /** Offset, length and bytes received so far; takes no lock and waits for no write. */
  async progress(id: string): Promise<Progress | undefined> {
    const partial = await this.opts.partials.get(id);
    if (partial) {
      const inflight = await this.opts.receiving.read(id);
      const received = Math.max(partial.acked, inflight?.received ?? 0);
      if (!inflight) return { offset: partial.acked, length: partial.size, received };
      return { offset: partial.acked, length: partial.size, received, idleMs: Date.now() - inflight.at };
    }
    const record = await this.opts.records.get(id);
    return record && { offset: record.size, length: record.size, received: record.size };
  }

  /** Deletes an unfinished upload's bytes and state. Callers hold the upload's lock. */
  async discard(id: string): Promise<void> {
    this.files.forget(id);
    this.settledHere.delete(id);
    await this.opts.bytes.remove(id);
    await this.opts.partials.delete(id);
  }

  /** Runs `fn` after every earlier store operation on `id` has settled. */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.busy.get(id) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    this.busy.set(id, next);
    const cleanup = () => {
      if (this.busy.get(id) === next) this.busy.delete(id);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  /**
   * Verifies a fully acknowledged upload found after a restart, then completes or discards it.
   * Callers hold the upload's lock.
   */
  async completeRecovered(partial: Partial): Promise<void> {
    await this.exclusive(partial.id, async () => {
      const current = await this.settled(partial.id);
      if (!current || current.completion || current.acked !== current.size) return;
      await this.verifyAndComplete(current, await this.opts.bytes.digest(current.id));
    });
  }

  // The upload's state once its stored bytes agree with its acknowledged offset. Run exclusively.
  // Once per upload and process: afterwards every write of this process leaves them in agreement.
  private async settled(id: string): Promise<Partial | undefined> {
    const partial = await this.opts.partials.get(id);
    if (!partial || partial.completion || this.settledHere.has(id)) return partial;
    const { bytes, partials, log } = this.opts;
    const current = await settle({ bytes, partials, log }, partial);
    if (current) this.settledHere.add(id);
    return current;
  }

  private async writeExclusive(stream: Readable, id: string, offset: number): Promise<number> {
    const partial = await this.opts.partials.get(id);
    if (!partial) {
      // A repeated final PATCH with an empty body on a recorded upload: nothing to do.
      if ((await this.opts.records.get(id))?.size === offset) return offset;
      throw ERRORS.FILE_NOT_FOUND;
    }
    if (partial.acked !== offset) throw ERRORS.INVALID_OFFSET;
    if (partial.completion) return partial.size;

    const writer = this.opts.writerOf(id);
    const checksum = writer?.checksum;
    const { hashing } = this;
    const chunkHash = checksum && hashing.create(checksum.algorithm);
    // The whole file's SHA-256, fed up to this request's offset: completing needs no re-read.
    let running = this.files.take(id, offset);
    // Bytes this request may not keep are cut off again; the running hash must forget them too.
    let beforeChunk = checksum && running ? running.copy() : undefined;
    // With block checksums the verifier feeds the running hash, so it can rewind it to a block end.
    const blocks = writer?.blocks && new BlockVerifier(writer.blocks, running);

    const appender: Appender = await this.opts.bytes.append(id, offset);
    const batches = new BatchedAppend(appender, BATCH_BYTES, offset);
    let pos = offset;
    let acked = offset;
    let lastAck = Date.now();
    let aborted: unknown;
    let refusal: TusError | undefined;
    const { receiving } = this.opts;
    receiving.update(id, offset);
    try {
      try {
        const body = writer?.body ?? (stream as AsyncIterable<Buffer>);
        for await (const chunk of body) {
          // A body without Content-Length that runs past the upload's end (tus's own limit is bypassed).
          if (pos + chunk.length > partial.size) {
            aborted = ERRORS.ERR_SIZE_EXCEEDED;
            break;
          }
          // Hashed while the batch before it is being written.
          chunkHash?.update(chunk);
          if (blocks) blocks.update(chunk);
          else running?.update(chunk);
          // The hashing threads keep up, or the body waits for them (off-thread hashing lags a little).
          const behind = hashing.backlog() ?? this.files.backlog();
          if (behind) await behind;
          await batches.add(chunk).catch((e: unknown) => this.failed(id, e));
          pos += chunk.length;
          receiving.update(id, pos);
          // Only verified bytes are acknowledged: all of them without checksums, whole matching
          // blocks with block checksums, none before the end with a checksum of the whole chunk.
          const ackable = blocks ? offset + blocks.verified : pos;
          const due = ackable - acked >= CHECKPOINT_BYTES || Date.now() - lastAck >= CHECKPOINT_MS;
          if (!checksum && due && ackable > acked && ackable < partial.size) {
            await batches.flush().catch((e: unknown) => this.failed(id, e));
            await appender.persist(ackable).catch((e: unknown) => this.failed(id, e));
            await this.opts.partials.ack(id, ackable);
            acked = ackable;
            lastAck = Date.now();
          }
        }
      } catch (error) {
        if (error instanceof StorageError) throw error;
        // The client went away mid-body; what it leaves is decided below.
        aborted = error;
      }
      // Every byte received is written before its checksums have their say.
      await batches.flush().catch((e: unknown) => this.failed(id, e));
      // The disk starts on the last bytes while their checksum is checked.
      if (checksum) appender.writeBack?.();

      const kept = await keptBytes(
        { id, offset, acked, pos, aborted, checksum, chunkHash, blocks },
        this.opts,
      );
      refusal = kept.refusal;
      if (kept.end < pos) {
        await appender.cut(kept.end);
        pos = kept.end;
        // The verifier kept the running hash's state at its last whole block; any other end is the start.
        const atBlock = blocks && pos === offset + blocks.verified;
        const hash = atBlock ? blocks.followerAtVerified() : beforeChunk;
        if (hash === beforeChunk) beforeChunk = undefined;
        running?.dispose();
        running = running && hash;
      }
      if (pos > acked) await appender.persist(pos);
    } catch (error) {
      running?.dispose();
      running = undefined;
      if (error instanceof StorageError) {
        // Which bytes landed is unknown: fall back to the last acknowledged offset.
        await appender.cut(acked).catch(() => {});
        const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
        this.opts.log('error', 'upload write failed', { id, code, error: String(error.cause) });
        throw answerFor(error);
      }
      throw error;
    } finally {
      // What was not kept is let go (a digested hash is past disposing).
      chunkHash?.dispose();
      beforeChunk?.dispose();
      blocks?.dispose();
      receiving.end(id);
      await batches.settled();
      await appender.close();
    }

    if (pos === partial.size && !refusal) {
      // Should the hashing thread have failed, the stored bytes are read back instead.
      const digest = running?.digest().then(
        (d) => d.toString('hex'),
        () => undefined,
      );
      await this.verifyAndComplete(partial, (await digest) ?? (await this.opts.bytes.digest(id)));
    } else {
      if (pos > acked) await this.opts.partials.ack(id, pos);
      if (running) this.files.keep(id, running, pos);
    }
    if (refusal) throw refusal;
    if (aborted) throw aborted;
    return pos;
  }

  // Notes the answer on the request before the error leaves the body loop: leaving it destroys the
  // request stream, and @tus/server then reports its own "aborted" before this write has settled.
  private failed(id: string, error: unknown): never {
    const writer = this.opts.writerOf(id);
    if (writer && error instanceof StorageError) writer.failure = answerFor(error);
    throw error;
  }

  private async verifyAndComplete(partial: Partial, sha256: string): Promise<void> {
    const expected = partial.metadata.sha256;
    if (expected && expected !== sha256) {
      await this.discard(partial.id);
      this.opts.metrics.checksumFailures++;
      this.opts.metrics.uploadsFailed.checksum++;
      this.opts.log('info', 'file checksum mismatch; upload discarded', {
        id: partial.id,
        expected,
        actual: sha256,
      });
      throw tusError(
        460,
        'The file does not match its sha256 metadata: the upload was discarded; start again',
      );
    }
    this.files.forget(partial.id);
    this.settledHere.delete(partial.id);
    await this.opts.onComplete(partial, sha256);
  }
}
