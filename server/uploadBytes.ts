import type { Readable } from 'node:stream';

/**
 * Where uploads' bytes live: unfinished ones by upload id, finished ones by key (a record's `path`,
 * relative to the storage root, e.g. `uploads/2026/01/Deck tablet/<id>-log.txt`). The store above it
 * owns every integrity rule (checksums, the offset from the durable record); this only keeps bytes.
 *
 * The local implementation is FileBytes. An object store can follow without changing callers:
 * nothing here appends in place or truncates below an end that was made durable, so an appender
 * may stage a request's bytes locally and persist() them as parts; cut() and length() only ever
 * deal with ends that an earlier persist() reached or bytes that were never persisted.
 */
export interface UploadBytes {
  /** Creates the empty byte store of a new upload; fails if it exists. Durable on return. */
  create(id: string): Promise<void>;
  /** Opens an upload's bytes for appending at `offset`, its acknowledged end. */
  append(id: string, offset: number): Promise<Appender>;
  /** How many bytes of an unfinished upload are stored, persisted or not; undefined if none are. */
  length(id: string): Promise<number | undefined>;
  /** Cuts an unfinished upload's bytes back to `offset` (a torn tail past its acknowledged end). */
  cut(id: string, offset: number): Promise<void>;
  /** SHA-256 (hex) of an unfinished upload's bytes, read back (when no running digest survived). */
  digest(id: string): Promise<string>;
  /** Moves a finished upload's bytes to `key`, durably; done already (a crash after it) is fine. */
  place(id: string, key: string): Promise<void>;
  /** Makes the finished bytes at `source` also readable at `key` (a duplicate's own entry). */
  copy(source: string, key: string): Promise<void>;
  /** Opens finished bytes for reading; undefined if they are missing. */
  open(key: string): Promise<StoredFile | undefined>;
  /** Deletes an unfinished upload's bytes; none stored is fine. */
  remove(id: string): Promise<void>;
  /** Unfinished byte stores present, with how long since each was last written. */
  list(): Promise<{ id: string; idleMs: number }[]>;
  /** Bytes that can still be stored. */
  room(): Promise<number>;
}

/**
 * One request's writes to an upload, under its lock. Appended bytes are not durable until persist();
 * failures are StorageError (storageIo.ts).
 */
export interface Appender {
  /** Adds bytes after those already appended. */
  write(buffers: Buffer[]): Promise<void>;
  /** Makes every byte up to `end` durable; bytes appended past it stay, not yet durable. */
  persist(end: number): Promise<void>;
  /**
   * Starts moving the bytes written so far towards durable storage, promising nothing: a later
   * persist() then finds less left to do. Optional: stores that cannot do this cheaply leave it out.
   */
  writeBack?(): void;
  /** Forgets the bytes past `end` (never below an end already persisted). */
  cut(end: number): Promise<void>;
  close(): Promise<void>;
}

/** Finished bytes to send: their size and a stream of them (or of `start`..`end` inclusive). */
export type StoredFile = {
  size: number;
  stream(range?: { start: number; end: number }): Readable;
};

/** Where a record's bytes are kept: its filed path, or for records from before filing, files/<id>. */
export function storedKey(record: { id: string; path: string | null }): string {
  return record.path ?? `files/${record.id}`;
}
