import fs from 'node:fs';
import path from 'node:path';
import { freeBytes } from './disk.ts';
import { hashFile, syncDir } from './fsync.ts';
import { StorageError, sync, writeAll } from './storageIo.ts';
import type { Appender, StoredFile, UploadBytes } from './uploadBytes.ts';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
// How many written bytes start an early write-back to the disk.
const WRITE_BACK_BYTES = 2 * 1024 * 1024;

/**
 * Uploads' bytes on the local disk: unfinished ones at `<root>/files/<id>`, written in place and
 * fsynced before they count; finished ones renamed into `<root>/<key>` (duplicates hard-linked).
 */
export class FileBytes implements UploadBytes {
  private readonly root: string;
  private readonly filesDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.filesDir = path.join(root, 'files');
    fs.mkdirSync(this.filesDir, { recursive: true });
  }

  async create(id: string): Promise<void> {
    await fs.promises.writeFile(this.unfinished(id), '', { flag: 'wx' });
    await syncDir(this.filesDir);
  }

  async append(id: string, offset: number): Promise<Appender> {
    const handle = await fs.promises.open(this.unfinished(id), 'r+');
    let end = offset;
    // Written bytes start on their way to the disk while more arrive (an fdatasync in the thread
    // pool), so the one that makes them durable finds little left to do. Linux reports a failed
    // write-back once: a failure here is kept and thrown by persist().
    let unsynced = 0;
    let early: Promise<void> | undefined;
    let earlyFailure: unknown;
    const writeBack = () => {
      unsynced = 0;
      early = handle.datasync().then(
        () => {
          early = undefined;
        },
        (error: unknown) => {
          earlyFailure ??= error;
          early = undefined;
        },
      );
    };
    return {
      async write(buffers) {
        await writeAll(handle, buffers, end);
        for (const b of buffers) {
          end += b.length;
          unsynced += b.length;
        }
        if (unsynced >= WRITE_BACK_BYTES && !early) writeBack();
      },
      writeBack() {
        if (unsynced > 0 && !early) writeBack();
      },
      // One fdatasync makes everything written durable; bytes past `end` are cut on the next touch.
      async persist() {
        await early;
        if (earlyFailure) throw new StorageError('fsync failed', { cause: earlyFailure });
        await sync(handle);
        unsynced = 0;
      },
      async cut(to) {
        await early;
        try {
          await handle.truncate(to);
        } catch (error) {
          throw new StorageError('truncate failed', { cause: error });
        }
        end = to;
      },
      async close() {
        await early;
        await handle.close();
      },
    };
  }

  async length(id: string): Promise<number | undefined> {
    return fs.promises.stat(this.unfinished(id)).then(
      (s) => s.size,
      () => undefined,
    );
  }

  async cut(id: string, offset: number): Promise<void> {
    const handle = await fs.promises.open(this.unfinished(id), 'r+');
    try {
      await handle.truncate(offset);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  digest(id: string): Promise<string> {
    return hashFile(this.unfinished(id));
  }

  async place(id: string, key: string): Promise<void> {
    const source = this.unfinished(id);
    const dest = this.finished(key);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    try {
      await fs.promises.rename(source, dest);
    } catch (error) {
      // Already moved before a crash: nothing left to do but make it durable.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(dest)) throw error;
    }
    await syncDir(path.dirname(dest));
    await syncDir(this.filesDir);
  }

  async copy(source: string, key: string): Promise<void> {
    const dest = this.finished(key);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    await fs.promises.link(this.finished(source), dest);
    await syncDir(path.dirname(dest));
  }

  async open(key: string): Promise<StoredFile | undefined> {
    const file = this.finished(key);
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    return { size: stat.size, stream: (range) => fs.createReadStream(file, range) };
  }

  async remove(id: string): Promise<void> {
    await fs.promises.rm(this.unfinished(id), { force: true });
  }

  async list(): Promise<{ id: string; idleMs: number }[]> {
    const found: { id: string; idleMs: number }[] = [];
    for (const name of await fs.promises.readdir(this.filesDir)) {
      if (!UPLOAD_ID.test(name)) continue;
      const stat = await fs.promises.stat(this.unfinished(name)).catch(() => undefined);
      if (stat) found.push({ id: name, idleMs: Date.now() - stat.mtimeMs });
    }
    return found;
  }

  room(): Promise<number> {
    return freeBytes(this.root);
  }

  private unfinished(id: string): string {
    if (!UPLOAD_ID.test(id)) throw new Error(`not an upload id: ${id}`);
    return path.join(this.filesDir, id);
  }

  /** Where finished bytes at `key` are on this disk (a relay links them into its outbox). */
  localPath(key: string): string {
    return this.finished(key);
  }

  private finished(key: string): string {
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new Error(`key outside the store: ${key}`);
    return file;
  }
}
