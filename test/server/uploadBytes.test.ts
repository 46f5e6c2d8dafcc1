import fs from 'node:fs';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBytes } from '../../server/fileBytes.ts';
import type { UploadBytes } from '../../server/uploadBytes.ts';
import { bytes, sha256, tempDir } from './helpers.ts';

// What every place for upload bytes must do; an object-store implementation runs the same cases.
function contract(name: string, make: () => { store: UploadBytes; cleanup(): void }) {
  describe(`${name}: the contract every UploadBytes keeps`, () => {
    let cleanup = () => {};
    afterEach(() => cleanup());
    const open = () => {
      const made = make();
      cleanup = made.cleanup;
      return made.store;
    };
    const id = 'a'.repeat(32);

    it('creates an empty upload once, appends at the acknowledged end and digests what is stored', async () => {
      const store = open();
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

    it('forgets bytes past a cut, in a write and afterwards', async () => {
      const store = open();
      await store.create(id);
      const data = bytes(50_000, 6);
      const writer = await store.append(id, 0);
      await writer.write([data]);
      await writer.persist(20_000);
      await writer.cut(30_000);
      await writer.close();
      expect(await store.length(id)).toBe(30_000);
      await store.cut(id, 20_000);
      expect(await store.length(id)).toBe(20_000);
      expect(await store.digest(id)).toBe(sha256(data.subarray(0, 20_000)));
    });

    it('places a finished upload under its key, copies it, and streams it whole or in part', async () => {
      const store = open();
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
      const store = open();
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
  return { store: new FileBytes(dir), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
});
