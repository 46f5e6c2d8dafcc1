import { blockChecksums, type StreamedBlob } from './blockChecksums.ts';

/** Computes the Upload-Block-Checksums value of a chunk (see blockChecksums). */
export type ChunkDigests = (chunk: StreamedBlob) => Promise<string>;

/** A file whose parts can be streamed. */
export interface SlicedFile {
  readonly size: number;
  slice(start: number, end: number): StreamedBlob;
}

/**
 * The block digests of one file's chunks, each next chunk's begun while the current one is on the
 * wire. Reading and hashing a chunk takes about a third as long as sending it on a LAN (256 MiB:
 * 0.8 s against 2 s), which one after the other would add to every chunk. The guess is that the
 * next chunk is as long as this one, which holds once chunks stop growing; a wrong guess costs
 * one chunk's hashing and nothing else.
 */
export class DigestsAhead {
  readonly #file: SlicedFile;
  readonly #compute: ChunkDigests;
  #ahead: { start: number; end: number; value: Promise<string> } | null = null;
  /** How many chunks were found already hashed, and how many guesses were wrong. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(file: SlicedFile, compute: ChunkDigests = (chunk) => blockChecksums(chunk)) {
    this.#file = file;
    this.#compute = compute;
  }

  /** The header value for bytes [start, end); then the same length after it is begun. */
  async forChunk(start: number, end: number): Promise<string> {
    const ahead = this.#ahead;
    this.#ahead = null;
    const guessed = ahead && ahead.start === start && ahead.end === end ? ahead.value : null;
    if (ahead) this.stats[guessed ? 'hits' : 'misses']++;
    // A guess that failed (a read refused in the background) is simply computed again.
    const value = await (guessed?.catch(() => this.#digest(start, end)) ?? this.#digest(start, end));
    this.#begin(end, Math.min(this.#file.size, end + (end - start)));
    return value;
  }

  #digest(start: number, end: number): Promise<string> {
    return this.#compute(this.#file.slice(start, end));
  }

  #begin(start: number, end: number): void {
    if (end <= start) return;
    const value = this.#digest(start, end);
    value.catch(() => {});
    this.#ahead = { start, end, value };
  }
}
