import { describe, expect, it } from 'vitest';
import { MAX_PARTS, MIN_PART_BYTES, partsFor } from '../../server/s3/partSizes.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Persists `total` bytes `step` at a time as the S3 appender does; the parts made and the largest tail. */
function upload(total: number, step: number) {
  const parts: number[] = [];
  let tail = 0;
  let largestTail = 0;
  for (let done = 0; done < total; done += step) {
    const pending = tail + Math.min(step, total - done);
    const made = partsFor(pending, parts.length);
    parts.push(...made);
    tail = made.length ? 0 : pending;
    largestTail = Math.max(largestTail, tail);
  }
  // The tail becomes the last part when the upload is placed.
  return { parts: parts.length + (tail ? 1 : 0), sizes: parts, largestTail };
}

describe('parts an upload becomes on S3, by the size of what each persist adds', () => {
  // [upload, each persist adds, parts at most, largest tail object at most]
  const table: [string, number, number, number, number][] = [
    ['5 GiB in 500 kB checkpoints (2 s on a satellite link)', 5 * GiB, 500_000, 504, 20 * MiB],
    ['5 GiB in 2 MiB chunks', 5 * GiB, 2 * MiB, 496, 20 * MiB],
    ['5 GiB in 8 MiB PATCHes', 5 * GiB, 8 * MiB, 414, 20 * MiB],
    ['5 GiB in 64 MiB checkpoints (the LAN)', 5 * GiB, 64 * MiB, 80, 0],
    ['5 GiB in one checksummed PATCH', 5 * GiB, 5 * GiB, 80, 0],
    ['256 MiB in 8 MiB PATCHes', 256 * MiB, 8 * MiB, 32, 0],
    ['20 GiB in 1 MiB chunks', 20 * GiB, MiB, 869, 80 * MiB],
  ];
  it.each(table)('%s', (_, total, step, maxParts, maxTail) => {
    const { parts, sizes, largestTail } = upload(total, step);
    expect(parts).toBeLessThanOrEqual(maxParts);
    expect(parts).toBeLessThanOrEqual(MAX_PARTS);
    expect(largestTail).toBeLessThanOrEqual(maxTail);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_PART_BYTES);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(total);
  });

  it('refuses a part past the 999th (the tail takes the last), rather than fail at assembly', () => {
    expect(() => partsFor(10 * GiB, MAX_PARTS - 1)).toThrow(/999 parts/);
  });
});
