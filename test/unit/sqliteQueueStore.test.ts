import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqliteQueueStore } from '../../src/node/SqliteQueueStore.ts';
import { queuedFile, queueStoreContract } from './queueStoreContract.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-queue-'));
let n = 0;
const open: SqliteQueueStore[] = [];
/** A new SqliteQueueStore over `dir`, closed after the test. */
const storeIn = (dir: string) => {
  const store = new SqliteQueueStore(dir);
  open.push(store);
  return store;
};
const freshDir = () => path.join(root, `queue-${n++}`);
/** Names of the files holding queued bytes in `dir`. */
const filesIn = (dir: string) => fs.readdirSync(path.join(dir, 'files')).sort();

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Counts files opened for writing under `dir`, however the store writes them. */
function countFileWrites(dir: string) {
  const original = fs.promises.open;
  let writes = 0;
  fs.promises.open = ((file: fs.PathLike, flags?: string | number, mode?: fs.Mode) => {
    if (String(file).startsWith(dir) && typeof flags === 'string' && /[wa]/.test(flags)) writes++;
    return original(file, flags, mode);
  }) as typeof fs.promises.open;
  return { writes: () => writes, restore: () => (fs.promises.open = original) };
}

let restoreOpen: (() => void) | null = null;
afterEach(() => {
  restoreOpen?.();
  restoreOpen = null;
});

queueStoreContract(
  'SqliteQueueStore',
  () => {
    const dir = freshDir();
    const counter = countFileWrites(dir);
    restoreOpen = counter.restore;
    return { store: storeIn(dir), blobWrites: counter.writes, reopen: () => storeIn(dir) };
  },
  { durable: true },
);

describe('SqliteQueueStore on disk', () => {
  it('fsyncs each file and then its directory before an add resolves', async () => {
    const dir = freshDir();
    const store = storeIn(dir);
    // Which path each fsync was for, read from the descriptor as it is synced (Linux's /proc).
    const probe = await fs.promises.open(path.join(root, 'probe'), 'w');
    const handleProto = Object.getPrototypeOf(probe) as { sync(): Promise<void>; fd: number };
    await probe.close();
    const originalSync = handleProto.sync;
    const synced: string[] = [];
    handleProto.sync = function (this: { fd: number }) {
      synced.push(fs.readlinkSync(`/proc/self/fd/${this.fd}`));
      return originalSync.call(this);
    };
    try {
      await store.add([queuedFile('a', 'one'), queuedFile('b', 'two')]);
    } finally {
      handleProto.sync = originalSync;
    }
    const files = path.join(dir, 'files');
    const written = filesIn(dir).map((name) => path.join(files, name));
    expect(written).toHaveLength(2);
    expect(synced.slice(0, 2).sort()).toEqual(written);
    expect(synced[2]).toBe(files);
  });

  it('gives a file back as a Blob read from disk as it is read, not held in memory', async () => {
    const dir = freshDir();
    const store = storeIn(dir);
    const bytes = randomBytes(32 * 1024 * 1024);
    const item = queuedFile('video').item;
    await store.add([{ item: { ...item, size: bytes.length }, blob: new Blob([bytes]) }]);
    const before = process.memoryUsage().arrayBuffers;
    const blob = await store.blob('video');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    expect(blob?.size).toBe(bytes.length);
    const tail = Buffer.from(await (blob as Blob).slice(bytes.length - 1000).arrayBuffer());
    expect(tail.equals(bytes.subarray(bytes.length - 1000))).toBe(true);
  });

  it('deletes a file’s bytes from disk when it is released or removed, and leaves none from a refused add', async () => {
    const dir = freshDir();
    const store = storeIn(dir);
    await store.add([queuedFile('a'), queuedFile('b'), queuedFile('c')]);
    expect(filesIn(dir)).toHaveLength(3);
    await store.update('a', () => ({ status: 'uploaded' }));
    await store.release('a', 5);
    await store.remove('b');
    expect(filesIn(dir)).toHaveLength(1);
    await expect(store.add([queuedFile('d'), queuedFile('c')])).rejects.toThrow();
    expect(filesIn(dir)).toHaveLength(1);
    expect(await (await store.blob('c'))?.text()).toBe('hello');
  });

  it('deletes bytes a crash left without their record when it next opens, once nobody writes them', async () => {
    const dir = freshDir();
    storeIn(dir);
    const files = path.join(dir, 'files');
    // Written by an add whose process died before its record was committed.
    fs.writeFileSync(path.join(files, 'left-by-crash'), 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(files, 'left-by-crash'), hourAgo, hourAgo);
    // Being written by another process's add right now.
    fs.writeFileSync(path.join(files, 'being-added'), 'in progress');
    const again = storeIn(dir);
    await again.add([queuedFile('a')]);
    const kept = filesIn(dir);
    expect(kept).not.toContain('left-by-crash');
    expect(kept).toContain('being-added');
    expect(kept).toHaveLength(2);
  });

  it('refuses a queue written by a newer version instead of guessing at it', () => {
    const dir = freshDir();
    storeIn(dir).close();
    open.pop();
    const db = new Database(path.join(dir, 'queue.db'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteQueueStore(dir)).toThrow(/newer/);
  });
});
