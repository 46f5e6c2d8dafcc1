import type fs from 'node:fs';
import { type TusError, tusError } from './httpError.ts';

/** A write or fsync of upload bytes that failed; `cause` is the system error. */
export class StorageError extends Error {}

/** The answer to a failed write: a full disk (or quota) is the client's to wait out (507), anything else 500. */
export function answerFor(error: StorageError): TusError {
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT'
    ? tusError(507, 'The server has run out of storage')
    : tusError(500, 'The server could not store the upload');
}

/** Whether `error` is an answer @tus/server sends as is. */
export function isTusError(error: unknown): error is TusError {
  return typeof error === 'object' && error !== null && 'status_code' in error && 'body' in error;
}

/** Writes all of `buffers` at `position`, however short the writes; failures become StorageError. */
export async function writeAll(
  handle: fs.promises.FileHandle,
  buffers: Buffer[],
  position: number,
): Promise<void> {
  try {
    let pending = buffers;
    let at = position;
    while (pending.length) {
      const { bytesWritten } = await handle.writev(pending, at);
      at += bytesWritten;
      pending = dropWritten(pending, bytesWritten);
    }
  } catch (error) {
    throw new StorageError('write failed', { cause: error });
  }
}

// After a short write, what is left of `buffers`.
function dropWritten(buffers: Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

/** fsyncs the file's data; a failure becomes StorageError. */
export async function sync(handle: fs.promises.FileHandle): Promise<void> {
  try {
    await handle.datasync();
  } catch (error) {
    throw new StorageError('fsync failed', { cause: error });
  }
}
