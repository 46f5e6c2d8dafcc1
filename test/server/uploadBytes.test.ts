import fs from 'node:fs';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileBytes } from '../../server/fileBytes.ts';
import { S3Bytes } from '../../server/s3/s3Bytes.ts';
import type { UploadBytes } from '../../server/uploadBytes.ts';
import { type SwiftS3Service, startSwiftS3 } from '../support/fleet/swiftS3.ts';
import { bytes, sha256, tempDir } from './helpers.ts';

const MiB = 1024 * 1024;

/** A place for upload bytes, and another instance of it over the same storage (another server). */
type Made = { store: UploadBytes; another(): UploadBytes; cleanup(): void };

// What every place for upload bytes must do: the file implementation and S3 run the same cases.
function contract(name: string, make: () => Made) {
  describe(`${name}: the contract every UploadBytes keeps`, () => {
    let cleanup = () => {};
    afterEach(() => cleanup());
    const open = () => {
      const made = make();
      cleanup = made.cleanup;
      return made;
    };
    const id = 'a'.repeat(32);

    it('creates an empty upload once, appends at the acknowledged end and digests what is stored', async () => {
      const { store } = open();
      await store.create(id);
      await expect(store.create(id)).rejects.toThrow();
      expect(await store.length(id)).toBe(0);
      const data = bytes(300_000, 5);
      const first = await store.append(id, 0);
      await first.write([data.subarray(0, 100_000), data.subarray(100_000, 120_000)]);
      await first.persist(120_000);
      await first.close();
      const second = await store.append(id, 120_000);
      await second.write([data.subarray(120_000)]);
      await second.persist(data.length);
      await second.close();
      expect(await store.length(id)).toBe(data.length);
      expect(await store.digest(id)).toBe(sha256(data));
    });

    it('forgets bytes past a cut, in a write and afterwards back to an end persisted before', async () => {
      const { store } = open();
      await store.create(id);
      const data = bytes(7 * MiB, 6);
      const writer = await store.append(id, 0);
      await writer.write([data]);
      await writer.persist(2 * MiB);
      await writer.cut(6 * MiB);
      // 6 MiB: past S3's 5 MiB minimum part, so an object store has made a part of them.
      await writer.persist(6 * MiB);
      await writer.close();
      expect(await store.length(id)).toBe(6 * MiB);
      // A persisted end never acknowledged (a crash between the two) is cut back on the next touch.
      await store.cut(id, 2 * MiB);
      expect(await store.length(id)).toBe(2 * MiB);
      expect(await store.digest(id)).toBe(sha256(data.subarray(0, 2 * MiB)));
      const other = bytes(6 * MiB, 7);
      const again = await store.append(id, 2 * MiB);
      await again.write([other]);
      await again.persist(8 * MiB);
      await again.close();
      const eight = Buffer.concat([data.subarray(0, 2 * MiB), other]);
      expect(await store.digest(id)).toBe(sha256(eight));
      // The same from an end where every stored byte was in parts.
      const more = await store.append(id, 8 * MiB);
      await more.write([bytes(6 * MiB, 9)]);
      await more.persist(14 * MiB);
      await more.close();
      await store.cut(id, 8 * MiB);
      expect(await store.length(id)).toBe(8 * MiB);
      expect(await store.digest(id)).toBe(sha256(eight));
      // Placed, the file holds the bytes kept and none of those cut.
      await store.place(id, 'uploads/2026/01/Bridge/cut.bin');
      expect(sha256(await buffer((await opened(store, 'uploads/2026/01/Bridge/cut.bin')).stream()))).toBe(
        sha256(eight),
      );
    });

    it('continues an upload another instance started, and reads what that one placed', async () => {
      const { store, another } = open();
      const second = another();
      const data = bytes(13 * MiB, 8);
      await store.create(id);
      const first = await store.append(id, 0);
      await first.write([data.subarray(0, 6 * MiB)]);
      await first.persist(6 * MiB);
      await first.write([data.subarray(6 * MiB, 7 * MiB)]);
      await first.persist(7 * MiB);
      await first.close();
      expect(await second.length(id)).toBe(7 * MiB);
      const next = await second.append(id, 7 * MiB);
      await next.write([data.subarray(7 * MiB)]);
      await next.persist(data.length);
      await next.close();
      expect(await store.digest(id)).toBe(sha256(data));
      await second.place(id, 'uploads/2026/01/Bridge/z-video.mp4');
      const stored = await opened(store, 'uploads/2026/01/Bridge/z-video.mp4');
      expect(stored.size).toBe(data.length);
      const read = await buffer(stored.stream());
      expect(sha256(read)).toBe(sha256(data));
    });

    it('places a finished upload under its key, copies it, and streams it whole or in part', async () => {
      const { store } = open();
      await store.create(id);
      const writer = await store.append(id, 0);
      await writer.write([Buffer.from('the engine log of the 31st')]);
      await writer.persist(26);
      await writer.close();
      const key = 'uploads/2026/01/Deck tablet/x-log.txt';
      await store.place(id, key);
      // A crash after the move: placing again is not an error.
      await store.place(id, key);
      expect(await store.length(id)).toBeUndefined();
      await store.copy(key, 'uploads/2026/01/Bridge/y-log.txt');
      for (const k of [key, 'uploads/2026/01/Bridge/y-log.txt']) {
        const stored = await opened(store, k);
        expect(stored.size).toBe(26);
        expect(await text(stored.stream())).toBe('the engine log of the 31st');
      }
      expect(await text((await opened(store, key)).stream({ start: 4, end: 9 }))).toBe('engine');
      expect(await store.open('uploads/none.txt')).toBeUndefined();
      await expect(store.open('../outside')).rejects.toThrow();
    });

    it('lists and removes unfinished uploads, and reports room', async () => {
      const { store } = open();
      const other = 'b'.repeat(32);
      await store.create(id);
      await store.create(other);
      expect((await store.list()).map((e) => e.id).sort()).toEqual([id, other]);
      await store.remove(id);
      await store.remove(id);
      expect((await store.list()).map((e) => e.id)).toEqual([other]);
      expect(await store.length(id)).toBeUndefined();
      expect(await store.room()).toBeGreaterThan(0);
    });
  });
}

async function opened(store: UploadBytes, key: string) {
  const stored = await store.open(key);
  if (!stored) throw new Error(`nothing stored at ${key}`);
  return stored;
}

contract('FileBytes', () => {
  const dir = tempDir('tender-bytes-');
  return {
    store: new FileBytes(dir),
    another: () => new FileBytes(dir),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

let swift: SwiftS3Service | undefined;
beforeAll(async () => {
  swift = await startSwiftS3();
}, 120_000);
afterAll(() => swift?.stop());

let run = 0;
contract('S3Bytes on Swift', () => {
  if (!swift) throw new Error('Swift did not start');
  // Each case under its own prefix, each instance with its own staging directory.
  const prefix = `case-${++run}/`;
  const { clientConfig: client, bucket } = swift;
  const dirs: string[] = [];
  const instance = () => {
    const stagingDir = tempDir('tender-s3-staging-');
    dirs.push(stagingDir);
    return new S3Bytes({ client, bucket, prefix, stagingDir });
  };
  return {
    store: instance(),
    another: instance,
    cleanup: () => {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
