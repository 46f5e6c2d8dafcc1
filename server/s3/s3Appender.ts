import fs from 'node:fs';
import { StorageError, writeAll } from '../storageIo.ts';
import type { Appender } from '../uploadBytes.ts';
import { copySource } from './copy.ts';
import type { MultipartCalls } from './multipart.ts';
import { partsFor } from './partSizes.ts';
import { headTail, putTail, readObject, resumeHash, rollBack, saveHash, type Tail } from './tail.ts';

export type UploadKeys = { base: string; tail: string; prev: string };

const HASH_SLICE = 1024 * 1024;

/**
 * One request's writes to an upload on S3. Bytes are staged in a local file holding everything
 * after the parts (the tail's bytes, then this request's); persist(end) makes them durable by
 * rewriting the tail object, or, once they reach the part threshold, by uploading them as parts and
 * committing an empty tail after them.
 */
export async function openAppender(
  calls: MultipartCalls,
  keys: UploadKeys,
  staging: string,
  offset: number,
): Promise<Appender> {
  const at = { s3: calls.s3, bucket: calls.bucketName };
  let tail = await committed();
  // Where the staging file starts, what is durable, and what is staged.
  let durable = tail.start + tail.size;
  if (offset < durable) {
    await rollBack(at, keys, offset);
    tail = await committed();
    durable = tail.start + tail.size;
  }
  if (offset !== durable) throw new Error(`${keys.base}: asked to append at ${offset}, stored ${durable}`);
  const handle = await fs.promises.open(staging, 'w+');
  let end = durable;
  // After a failed persist, what S3 holds is known only by asking it.
  let unsure = false;
  try {
    await writeAll(handle, [await readObject(at, keys.tail, tail.size)], 0);
  } catch (error) {
    await handle.close();
    throw error;
  }

  async function committed(): Promise<Tail> {
    const found = await headTail(at, keys.tail);
    if (!found) throw new Error(`${keys.base}: no tail object`);
    return found;
  }

  async function staged(from: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, from - tail.start);
    if (bytesRead !== length) throw new Error(`staging file short: ${bytesRead} of ${length}`);
    return buffer;
  }

  async function toParts(to: number, sizes: number[]): Promise<void> {
    // Where the tail stood, for a roll-back to the end before this one: said in the next tail when
    // it was empty, else kept in a copy of it.
    const { start, parts: before, hashState } = tail;
    const prev = tail.size === 0 ? { start, parts: before, hashState } : undefined;
    if (!prev) {
      await calls.s3.copyObject({
        Bucket: at.bucket,
        Key: keys.prev,
        CopySource: copySource(at.bucket, keys.tail),
        MetadataDirective: 'COPY',
      });
    }
    const hasher = await resumeHash(tail.hashState);
    let from = tail.start;
    let parts = tail.parts;
    for (const size of sizes) {
      const body = await staged(from, size);
      parts++;
      const put = calls.putPart(keys.base, body, parts);
      // Hashed while the part is on its way, a slice at a time so the upload keeps moving.
      for (let i = 0; i < body.length; i += HASH_SLICE) {
        hasher.update(body.subarray(i, i + HASH_SLICE));
        await new Promise(setImmediate);
      }
      await put;
      from += size;
    }
    const next = { start: to, parts, hashState: saveHash(hasher), prev };
    await putTail(at, keys.tail, next, Buffer.alloc(0));
    // Keep what was staged past `to` at the start of the staging file.
    const rest = await staged(to, end - to);
    await writeAll(handle, [rest], 0);
    await handle.truncate(rest.length);
    tail = { ...next, size: 0 };
  }

  return {
    async write(buffers) {
      await writeAll(handle, buffers, end - tail.start);
      for (const b of buffers) end += b.length;
    },
    persist: (to) =>
      storage('persist', async () => {
        if (to <= durable) return;
        unsure = true;
        if (to > end) throw new Error(`persist(${to}) past the ${end} bytes staged`);
        const sizes = partsFor(to - tail.start, tail.parts);
        if (sizes.length === 0) {
          const body = await staged(tail.start, to - tail.start);
          await putTail(at, keys.tail, tail, body);
          tail = { ...tail, size: body.length };
        } else {
          await toParts(to, sizes);
        }
        durable = to;
        unsure = false;
      }),
    cut: (to) =>
      storage('cut', async () => {
        if (to < durable || unsure) {
          // A persist that failed half way (or was never acknowledged): back to the end before it.
          await rollBack(at, keys, to);
          tail = await committed();
          durable = tail.start + tail.size;
          if (durable !== to) throw new Error(`${keys.base}: cut to ${to}, but ${durable} are stored`);
          await writeAll(handle, [await readObject(at, keys.tail, tail.size)], 0);
          unsure = false;
        }
        await handle.truncate(to - tail.start);
        end = to;
      }),
    async close() {
      await handle.close();
      // Another server may finish this upload: keep nothing of it in memory.
      await calls.forget(keys.base);
      // Bytes never persisted are not kept: what is stored is what S3 holds.
      await fs.promises.rm(staging, { force: true });
    },
  };
}

// Runs an S3 step; any failure is a StorageError (the store answers 500 and rolls back).
async function storage(what: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(`S3 ${what} failed`, { cause: error });
  }
}
