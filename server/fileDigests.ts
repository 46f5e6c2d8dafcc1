import type { Hashing, StreamHash } from './hashThread.ts';

/**
 * The whole-file SHA-256 of each unfinished upload, fed as its bytes arrive and carried from one
 * request to the next, so completing an upload needs no read of its file. A hash is handed to one
 * request at a time; one that no longer matches the upload's offset is dropped (the file is then
 * read back at the end instead).
 */
export class FileDigests {
  private readonly hashing: Hashing;
  private readonly running = new Map<string, { hash: StreamHash; at: number }>();

  constructor(hashing: Hashing) {
    this.hashing = hashing;
  }

  /** Takes the hash of `id`'s first `offset` bytes: a new one at 0, none if it was lost. */
  take(id: string, offset: number): StreamHash | undefined {
    const kept = this.running.get(id);
    this.running.delete(id);
    if (kept?.at === offset) return kept.hash;
    kept?.hash.dispose();
    return offset === 0 ? this.hashing.create('sha256') : undefined;
  }

  /** Keeps `hash`, fed with `id`'s first `at` bytes, for the upload's next request. */
  keep(id: string, hash: StreamHash, at: number): void {
    hash.park();
    this.running.set(id, { hash, at });
  }

  /** Resolves once the hashing has caught up enough to feed it more; undefined if it has. */
  backlog(): Promise<void> | undefined {
    return this.hashing.backlog();
  }

  forget(id: string): void {
    this.running.get(id)?.hash.dispose();
    this.running.delete(id);
  }
}
