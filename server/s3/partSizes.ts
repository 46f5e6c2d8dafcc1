const MiB = 1024 * 1024;

/** S3's smallest part but the last. */
export const MIN_PART_BYTES = 5 * MiB;
/** Parts Swift's s3api takes in one multipart upload (AWS takes 10,000). */
export const MAX_PARTS = 1000;
/** Parts this many bytes or more are split, so one part's buffer stays small in memory. */
const SPLIT_BYTES = 64 * MiB;
/** The smallest part doubles after every this many parts. */
const PARTS_PER_STEP = 200;

/**
 * How many bytes the unfinished tail must reach before it becomes multipart parts, once `parts`
 * parts are stored. Small persists (a checkpoint every 2 s on a satellite link is ~500 kB) grow the
 * tail object instead, so parts are never smaller than this. It starts at S3's 5 MiB minimum, which
 * keeps the tail (rewritten whole at each persist) small, and doubles every 200 parts: 200 parts
 * hold at least 1000 MiB, 400 at least 3000 MiB, 600 at least 7000 MiB, 999 over 30 GiB, so a
 * 5 GiB upload fits in Swift's 1000 parts however small its requests.
 */
export function partThreshold(parts: number): number {
  return MIN_PART_BYTES * 2 ** Math.floor(parts / PARTS_PER_STEP);
}

/**
 * What `pending` bytes after the parts (the tail and a request's bytes) become when persisted with
 * `parts` parts stored: no parts (they stay in the tail object) below the threshold, else one
 * part, or equal parts of at most max(64 MiB, threshold) (each well above 5 MiB) when there are
 * more.
 */
export function partsFor(pending: number, parts: number): number[] {
  if (pending < partThreshold(parts)) return [];
  if (parts >= MAX_PARTS - 1) throw new Error(`an upload of over ${MAX_PARTS - 1} parts`);
  const largest = Math.max(SPLIT_BYTES, partThreshold(parts));
  const count = Math.ceil(pending / largest);
  const base = Math.floor(pending / count);
  return Array.from({ length: count }, (_, i) => (i < pending % count ? base + 1 : base));
}
