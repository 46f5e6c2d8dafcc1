import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { syncDir } from '../../server/fsync.ts';
import { StoreWriteError } from '../shared/queueStore.ts';

/** System error codes that mean the disk (or the user's quota on it) is full. */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** A refused write of the queue, `full` when the disk said it is full. */
export function refusedWrite(cause: unknown): StoreWriteError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new StoreWriteError(cause, typeof code === 'string' && FULL_CODES.has(code));
}

/** Runs a filesystem write; its failure becomes a StoreWriteError. */
async function writing<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    throw refusedWrite(error);
  }
}

/**
 * The bytes of queued files, one file each in a directory, under names of their own (never the
 * user's file name). Written once, durably, and read back lazily as Blobs; the records that name
 * them live in SQLite (SqliteQueueStore).
 */
export class QueueFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  /**
   * Copies `blob` into a new file and fsyncs it; resolves to its name. Its directory entry is
   * durable after `syncDir`. A failed copy leaves no file behind. The Blob is read piece by piece,
   * so a file of gigabytes never sits in memory.
   */
  async write(blob: Blob): Promise<string> {
    const name = randomUUID();
    const file = path.join(this.dir, name);
    const handle = await writing(() => fs.promises.open(file, 'wx'));
    try {
      const reader = blob.stream().getReader();
      let position = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let at = 0; at < value.length; ) {
          const { bytesWritten } = await writing(() => handle.write(value, at, value.length - at, position));
          at += bytesWritten;
          position += bytesWritten;
        }
      }
      await writing(() => handle.sync());
    } catch (error) {
      await handle.close().catch(() => {});
      await fs.promises.rm(file, { force: true });
      throw error;
    }
    await handle.close();
    return name;
  }

  /**
   * Gives the file at `source` a name here without copying it: a hard link, so the bytes are on
   * disk once and stay until every name is gone. Where no link can be made (another file system),
   * a durable copy. Its directory entry is durable after `syncDir`.
   */
  async link(source: string): Promise<string> {
    const name = randomUUID();
    const file = path.join(this.dir, name);
    try {
      await fs.promises.link(source, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code !== 'EXDEV') throw FULL_CODES.has(code) ? refusedWrite(error) : error;
      return this.write(await fs.openAsBlob(source));
    }
    return name;
  }

  /** Makes the names of files written so far durable (fsync of the directory). */
  syncDir(): Promise<void> {
    return writing(() => syncDir(this.dir));
  }

  /** The file `name` as a Blob of `type`, read from disk only as it is read; undefined if it is gone. */
  async open(name: string, type: string): Promise<Blob | undefined> {
    try {
      return await fs.openAsBlob(path.join(this.dir, name), { type });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Deletes files; one already gone is fine. */
  async delete(names: string[]): Promise<void> {
    await Promise.all(names.map((name) => fs.promises.rm(path.join(this.dir, name), { force: true })));
  }

  /**
   * Deletes files no record names and nobody wrote to for `idleMs`: a crash between writing a file
   * and committing its record leaves one. The age spares a file another process is adding now.
   */
  sweep(named: ReadonlySet<string>, idleMs: number, now = Date.now()): string[] {
    const swept: string[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (named.has(name)) continue;
      const file = path.join(this.dir, name);
      if (now - fs.statSync(file).mtimeMs < idleMs) continue;
      fs.rmSync(file, { force: true });
      swept.push(name);
    }
    return swept;
  }
}
