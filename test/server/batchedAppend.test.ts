import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedAppend } from '../../server/batchedAppend.ts';
import { FileBytes } from '../../server/fileBytes.ts';
import type { Appender } from '../../server/uploadBytes.ts';
import { bytes, tempDir } from './helpers.ts';

const KiB = 1024;
const id = 'b'.repeat(32);
let cleanup = () => {};
afterEach(() => cleanup());

// A real file appender for a fresh upload holding `head`, and the path of its bytes.
async function upload(head: Buffer) {
  const dir = tempDir();
  cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const store = new FileBytes(dir);
  await store.create(id);
  const appender = await store.append(id, 0);
  await appender.write([head]);
  return { appender, file: path.join(dir, 'files', id) };
}

// Holds each write of `appender` until the test releases it; counts writes open at once.
function held(appender: Appender) {
  const sizes: number[] = [];
  const waiting: (() => void)[] = [];
  let open = 0;
  let mostOpen = 0;
  const wrapped: Appender = {
    ...appender,
    async write(buffers) {
      open++;
      mostOpen = Math.max(mostOpen, open);
      sizes.push(buffers.reduce((n, b) => n + b.length, 0));
      await new Promise<void>((resolve) => waiting.push(resolve));
      await appender.write(buffers).finally(() => open--);
    },
  };
  const release = async () => {
    await expect.poll(() => waiting.length, { interval: 1 }).toBeGreaterThan(0);
    waiting.shift()?.();
  };
  return { wrapped, sizes, release, mostOpen: () => mostOpen, waiting: () => waiting.length };
}

describe('BatchedAppend: a body written in batches while the next one fills', () => {
  it('stores every chunk in order after the offset, one batch-sized write at a time', async () => {
    const head = bytes(10 * KiB, 1);
    const body = bytes(1000 * KiB, 2);
    const { appender, file } = await upload(head);
    const h = held(appender);
    const batches = new BatchedAppend(h.wrapped, 256 * KiB, head.length);
    let added = 0;
    const sending = (async () => {
      for (; added < body.length; added += 64 * KiB)
        await batches.add(body.subarray(added, added + 64 * KiB));
      return batches.flush();
    })();
    // The first batch is being written and the second has filled: the sender waits for the disk.
    await expect.poll(() => added, { interval: 1 }).toBe(448 * KiB);
    expect(h.sizes).toEqual([256 * KiB]);
    expect(batches.written).toBe(head.length);
    for (let i = 0; i < 4; i++) await h.release();
    const end = await sending;
    await appender.close();

    expect(h.sizes).toEqual([256 * KiB, 256 * KiB, 256 * KiB, 232 * KiB]);
    expect(h.mostOpen()).toBe(1);
    expect(end).toBe(head.length + body.length);
    expect(batches.written).toBe(end);
    expect(fs.readFileSync(file).equals(Buffer.concat([head, body]))).toBe(true);
  });

  it('reports a failed write to the sender, and writes nothing after it', async () => {
    const head = bytes(KiB, 3);
    const { appender, file } = await upload(head);
    const failure = new Error('disk gone');
    let writes = 0;
    const failing: Appender = {
      ...appender,
      async write(buffers) {
        if (++writes === 2) throw failure;
        await appender.write(buffers);
      },
    };
    const batches = new BatchedAppend(failing, 64 * KiB, head.length);
    const body = bytes(512 * KiB, 4);
    const sending = (async () => {
      for (let at = 0; at < body.length; at += 16 * KiB) await batches.add(body.subarray(at, at + 16 * KiB));
      return batches.flush();
    })();
    await expect(sending).rejects.toBe(failure);
    await batches.settled();
    await appender.close();
    expect(writes).toBe(2);
    expect(batches.written).toBe(head.length + 64 * KiB);
    expect(fs.statSync(file).size).toBe(head.length + 64 * KiB);
  });
});
