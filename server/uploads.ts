import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { MemoryLocker, Server, type Upload } from '@tus/server';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { UploadRecord, UploadRecords } from './records.ts';

/** What the tus endpoint needs from the rest of the server. */
export type UploadsOptions = {
  filesDir: string;
  expiryMs: number;
  records: UploadRecords;
  metrics: Metrics;
  log: Logger;
};

/** The tus 1.0 endpoint at /files plus the bookkeeping that turns finished uploads into records. */
export class Uploads {
  readonly tus: Server;
  private readonly store: FileStore;
  private readonly locker = new MemoryLocker();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly opts: UploadsOptions;
  private stopped = false;

  constructor(opts: UploadsOptions) {
    this.opts = opts;
    // FileStore creates its directory asynchronously and throws from a callback on failure; do it here.
    fs.mkdirSync(opts.filesDir, { recursive: true });
    this.store = new FileStore({ directory: opts.filesDir, expirationPeriodInMilliseconds: opts.expiryMs });
    this.tus = new Server({
      path: '/files',
      datastore: this.store,
      locker: this.locker,
      relativeLocation: true,
      respectForwardedHeaders: false,
      // The record is the crew's receipt; deleting the bytes behind it would leave it lying.
      disableTerminationForFinishedUploads: true,
      // Awaited before the final PATCH/POST response, so a client that sees it can list the record.
      // Must return an object: the POST (creation-with-upload) path reads fields off it unguarded.
      onUploadFinish: async (_req, upload) => {
        await this.finish(upload);
        return {};
      },
    });
  }

  /**
   * Records `id` if its bytes are all stored but it has no record yet: the process died between the
   * last write and the record, or a final PATCH was cut off after its body was written.
   */
  async reconcile(id: string): Promise<void> {
    if (this.stopped || this.opts.records.get(id)) return;
    let upload: Upload;
    try {
      upload = await this.store.getUpload(id);
    } catch {
      return; // unknown or removed: tus answers for it
    }
    if (upload.size !== undefined && upload.offset === upload.size) await this.finish(upload);
  }

  /** Reconciles every stored upload and deletes unfinished ones past their expiry. */
  async maintain(): Promise<void> {
    const ids = (await this.store.configstore.list?.()) ?? [];
    for (const id of ids) {
      if (this.stopped) return;
      await this.reconcile(id);
      await this.deleteIfExpired(id);
    }
  }

  /** Refuses new bookkeeping and resolves when none is running, so the database can be closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.finishing.size) await Promise.allSettled(this.finishing.values());
  }

  private finish(upload: Upload): Promise<void> {
    // Skipping is safe: the bytes are on disk and the next start's maintain() records them.
    if (this.stopped) return Promise.resolve();
    // A final PATCH and a HEAD-triggered reconcile can race; hash each upload once.
    let pending = this.finishing.get(upload.id);
    if (!pending) {
      pending = this.record(upload).finally(() => this.finishing.delete(upload.id));
      this.finishing.set(upload.id, pending);
    }
    return pending;
  }

  private async record(upload: Upload): Promise<void> {
    const { records, metrics, log, filesDir } = this.opts;
    if (records.get(upload.id)) return;
    const { sha256, size } = await hashFile(path.join(filesDir, upload.id));
    const metadata = cleanMetadata(upload.metadata);
    const record: UploadRecord = {
      id: upload.id,
      name: metadata.filename || metadata.name || upload.id,
      type: metadata.filetype || metadata.type || 'application/octet-stream',
      size,
      sha256,
      metadata,
      receivedAt: new Date().toISOString(),
    };
    if (!records.add(record)) return;
    metrics.uploadsCompleted++;
    log('info', 'upload completed', { id: record.id, name: record.name, size, sha256 });
  }

  // The library's own cleanup (FileStore.deleteExpired) also deletes *completed* uploads, because
  // the offset in its JSON sidecar is never updated. Here, only unfinished uploads expire.
  private async deleteIfExpired(id: string): Promise<void> {
    if (!(await this.isExpiredUnfinished(id))) return;
    // Lock only now: taking the lock asks a running PATCH to stop, which only an expired upload deserves.
    const lock = this.locker.newLock(id);
    await lock.lock(new AbortController().signal, async () => {});
    try {
      if (!(await this.isExpiredUnfinished(id))) return;
      await this.store.remove(id);
      this.opts.log('info', 'expired upload deleted', { id });
    } finally {
      await lock.unlock();
    }
  }

  private async isExpiredUnfinished(id: string): Promise<boolean> {
    const { expiryMs } = this.opts;
    const upload = await this.store.getUpload(id).catch(() => undefined);
    if (expiryMs <= 0 || !upload?.creation_date || upload.offset === upload.size) return false;
    return Date.now() > Date.parse(upload.creation_date) + expiryMs;
  }
}

// Streamed so multi-gigabyte videos never sit in memory.
async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

// tus metadata keys may have no value (null); the record stores strings only.
function cleanMetadata(metadata: Upload['metadata']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) out[key] = value ?? '';
  return out;
}
