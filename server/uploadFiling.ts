import type { Devices } from './devices.ts';
import { tusError } from './httpError.ts';
import { recordPath } from './layout.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Partial, Partials } from './partials.ts';
import type { UploadRecord, UploadRecords } from './records.ts';
import { storedKey, type UploadBytes } from './uploadBytes.ts';

/** Called after an upload (or a duplicate) is recorded; for forwarding ashore later. */
export type UploadListener = (record: UploadRecord) => void | Promise<void>;

/** What filing needs from the rest of the server. */
export type UploadFilingOptions = {
  bytes: UploadBytes;
  records: UploadRecords;
  partials: Partials;
  devices: Devices;
  metrics: Metrics;
  log: Logger;
  /** A fresh upload id. */
  newId(): string;
  /** Deletes an unfinished upload's bytes and state (its lock is held). */
  discard(id: string): Promise<void>;
};

/**
 * Turns finished uploads into records: the receipt the crew sees, the file where the operator
 * looks for it, and the news for listeners (the relay forwards from it).
 */
export class UploadFiling {
  /** Listeners run after each record is written; errors are logged, never fail the upload. */
  readonly listeners = new Set<UploadListener>();
  private readonly opts: UploadFilingOptions;
  private readonly filing = new Map<string, Promise<void>>();

  constructor(opts: UploadFilingOptions) {
    this.opts = opts;
  }

  /**
   * Records a new upload for `deviceId` whose content is already stored as `original`; the file is
   * hard-linked into the device's folder so the operator finds it where expected.
   */
  async recordDuplicate(deviceId: string, original: UploadRecord, metadata: Record<string, string>) {
    const id = this.opts.newId();
    const receivedAt = new Date().toISOString();
    const fileName = metadata.filename ?? metadata.name ?? original.name;
    let target = recordPath({ id, fileName, deviceName: await this.deviceName(deviceId), receivedAt });
    const originalPath = storedKey(original);
    try {
      await this.opts.bytes.copy(originalPath, target);
    } catch (error) {
      // The record still points at the bytes; only the operator's browsing copy is missing.
      this.opts.log('error', 'could not link duplicate', { id, original: original.id, error: String(error) });
      target = originalPath;
    }
    const record: UploadRecord = {
      id,
      name: fileName,
      type: metadata.filetype ?? metadata.type ?? original.type,
      size: original.size,
      sha256: original.sha256,
      metadata,
      receivedAt,
      startedAt: receivedAt,
      deviceId,
      duplicateOf: original.duplicateOf ?? original.id,
      path: target,
    };
    await this.opts.records.add(record);
    this.opts.metrics.uploadsDeduplicated++;
    this.opts.log('info', 'upload deduplicated', { id, deviceId, duplicateOf: record.duplicateOf });
    this.notify(record);
    return record;
  }

  /**
   * Records an upload whose every byte is acknowledged and verified (its digest is `sha256`):
   * marks it complete, moves its bytes into place and writes its record.
   */
  async complete(partial: Partial, sha256: string): Promise<void> {
    // A last chunk that raced the revocation must not become a record of a device no longer trusted.
    if ((await this.opts.devices.get(partial.deviceId))?.revokedAt) {
      await this.opts.discard(partial.id);
      throw tusError(401, 'This device has been revoked; enrol it again');
    }
    const receivedAt = new Date().toISOString();
    const target = recordPath({
      id: partial.id,
      fileName: partial.metadata.filename ?? partial.metadata.name ?? partial.id,
      deviceName: await this.deviceName(partial.deviceId),
      receivedAt,
    });
    const completion = { at: receivedAt, sha256, target };
    await this.opts.partials.markComplete(partial.id, completion);
    await this.file({ ...partial, acked: partial.size, completion });
  }

  /** Files an upload marked complete (again, after a crash): once, however many ask at once. */
  file(partial: Partial): Promise<void> {
    // A final PATCH and a HEAD-triggered reconcile can race; file each upload once.
    let pending = this.filing.get(partial.id);
    if (!pending) {
      pending = this.fileOnce(partial).finally(() => this.filing.delete(partial.id));
      this.filing.set(partial.id, pending);
    }
    return pending;
  }

  private async fileOnce(partial: Partial): Promise<void> {
    const { bytes, records, metrics, log } = this.opts;
    const completion = partial.completion;
    if (!completion || (await records.get(partial.id))) return;
    await bytes.place(partial.id, completion.target);
    const metadata = partial.metadata;
    const record: UploadRecord = {
      id: partial.id,
      name: metadata.filename || metadata.name || partial.id,
      type: metadata.filetype || metadata.type || 'application/octet-stream',
      size: partial.size,
      sha256: completion.sha256,
      metadata,
      receivedAt: completion.at,
      startedAt: partial.createdAt,
      deviceId: partial.deviceId,
      duplicateOf: null,
      path: completion.target,
    };
    if (!(await records.addCompleted(record))) return;
    metrics.uploadsCompleted++;
    log('info', 'upload completed', {
      id: record.id,
      deviceId: record.deviceId,
      name: record.name,
      size: record.size,
    });
    this.notify(record);
  }

  private notify(record: UploadRecord): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(record))
        .catch((error: unknown) =>
          this.opts.log('error', 'upload listener failed', { id: record.id, error: String(error) }),
        );
    }
  }

  private async deviceName(deviceId: string): Promise<string> {
    return (await this.opts.devices.get(deviceId))?.name ?? deviceId;
  }

  /** Resolves once no filing is running. */
  async settled(): Promise<void> {
    while (this.filing.size) await Promise.allSettled(this.filing.values());
  }
}
