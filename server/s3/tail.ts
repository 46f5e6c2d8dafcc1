import type { S3 } from '@aws-sdk/client-s3';
import { createSHA256, type IHasher } from 'hash-wasm';
import { isMissing } from './multipart.ts';

/**
 * The committed state of an unfinished upload on S3 is its tail object, `<key>.part`: the bytes
 * after the parts it counts (`start` of them, in `parts` parts), and the SHA-256 state of those
 * first `start` bytes. Writing it is the commit of a persist: parts uploaded past `parts` before a
 * crash are not counted, and are overwritten by the next ones. It always exists, empty when the
 * bytes end on a part boundary. An end persisted but not yet acknowledged can be rolled back to the
 * one before it: `<key>.prev` keeps the tail as it was before its bytes went into parts, or, when
 * that tail was empty (the usual case with large requests), `prev` says where it stood, which
 * saves a copy per part.
 */
export type Tail = {
  start: number;
  parts: number;
  size: number;
  hashState: string;
  prev?: Boundary;
};

/** A part boundary: how many bytes and parts, and the SHA-256 state there. */
export type Boundary = { start: number; parts: number; hashState: string };

export type TailStore = { s3: S3; bucket: string };

/** The tail's metadata, or undefined if there is none. */
export async function headTail(at: TailStore, key: string): Promise<Tail | undefined> {
  try {
    const head = await at.s3.headObject({ Bucket: at.bucket, Key: key });
    const meta = head.Metadata ?? {};
    const start = Number(meta['tail-start']);
    const parts = Number(meta['tail-parts']);
    const hashState = meta['sha256-state'];
    const size = head.ContentLength;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(parts) || !hashState || size === undefined)
      throw new Error(`tail object ${key} lacks its metadata`);
    const prevState = meta['prev-sha256-state'];
    const prev = prevState
      ? { start: Number(meta['prev-start']), parts: Number(meta['prev-parts']), hashState: prevState }
      : undefined;
    return { start, parts, size, hashState, prev };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Writes the tail: `body` stored after the first `start` bytes. */
export async function putTail(
  at: TailStore,
  key: string,
  tail: Omit<Tail, 'size'>,
  body: Buffer,
): Promise<void> {
  const prev = tail.prev && {
    'prev-start': String(tail.prev.start),
    'prev-parts': String(tail.prev.parts),
    'prev-sha256-state': tail.prev.hashState,
  };
  await at.s3.putObject({
    Bucket: at.bucket,
    Key: key,
    Body: body,
    ContentLength: body.length,
    Metadata: {
      'tail-start': String(tail.start),
      'tail-parts': String(tail.parts),
      'sha256-state': tail.hashState,
      ...prev,
    },
  });
}

/** The first `length` bytes of an object (all of them if undefined). */
export async function readObject(at: TailStore, key: string, length?: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const range = length === undefined ? undefined : `bytes=0-${length - 1}`;
  const got = await at.s3.getObject({ Bucket: at.bucket, Key: key, Range: range });
  const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? new Uint8Array());
  if (length !== undefined && bytes.length !== length)
    throw new Error(`${key}: read ${bytes.length} bytes, wanted ${length}`);
  return bytes;
}

/** A SHA-256 resumed from a saved state (a fresh one for ''). */
export async function resumeHash(state: string): Promise<IHasher> {
  const hasher = await createSHA256();
  if (state) hasher.load(Buffer.from(state, 'base64'));
  else hasher.init();
  return hasher;
}

/** The hasher's state, to keep in the tail's metadata (156 characters). */
export function saveHash(hasher: IHasher): string {
  return Buffer.from(hasher.save()).toString('base64');
}

/**
 * Brings the committed end back to `end` (an end persisted earlier): a shorter tail when `end` is
 * in the tail, else the previous tail cut to `end`, which uncounts the parts made from it.
 */
export async function rollBack(
  at: TailStore,
  keys: { tail: string; prev: string },
  end: number,
): Promise<void> {
  const tail = await headTail(at, keys.tail);
  if (!tail) throw new Error(`no tail object at ${keys.tail}`);
  if (end >= tail.start + tail.size) return;
  if (end >= tail.start) {
    await putTail(at, keys.tail, tail, await readObject(at, keys.tail, end - tail.start));
    return;
  }
  if (tail.prev?.start === end) {
    await putTail(at, keys.tail, tail.prev, Buffer.alloc(0));
    return;
  }
  const prev = await headTail(at, keys.prev);
  if (!prev || end < prev.start || end > prev.start + prev.size)
    throw new Error(`cannot roll ${keys.tail} back to ${end}: no earlier tail covers it`);
  await putTail(at, keys.tail, prev, await readObject(at, keys.prev, end - prev.start));
}
