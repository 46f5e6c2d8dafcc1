import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HttpStack } from 'tus-js-client';
import * as tus from 'tus-js-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createTusUploader } from '../../src/shared/tusUploader.ts';
import { type BlobLike, newQueueItem } from '../../src/shared/types.ts';
import { ScriptedHttpStack } from './fakes.ts';

const KB = 1024;
const ENDPOINT = 'http://ship.local/files/';
const URL1 = 'http://ship.local/files/abc';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-reader-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Hands every request body to `bodies` on its way to `inner`. */
function capturing(inner: HttpStack, bodies: BlobLike[]): HttpStack {
  return {
    getName: () => inner.getName(),
    createRequest(method, url) {
      const req = inner.createRequest(method, url);
      return {
        ...req,
        send(body?: BlobLike | null) {
          if (body) bodies.push(body);
          return req.send(body);
        },
      };
    },
  };
}

describe(`tus-js-client's ${process.env.TUS_BUILD} build`, () => {
  it('is the build this test project names', () => {
    // The Node build runs anywhere; the browser build needs XMLHttpRequest, which Node lacks.
    expect(tus.isSupported).toBe(process.env.TUS_BUILD === 'node');
  });

  it('sends a file from disk chunk by chunk, reading only each chunk’s slice as it goes', async () => {
    const bytes = randomBytes(10 * KB);
    const file = path.join(dir, 'engine-room.jpg');
    fs.writeFileSync(file, bytes);
    const onDisk = await fs.openAsBlob(file, { type: 'image/jpeg' });
    const slices: [number | undefined, number | undefined][] = [];
    const watched: BlobLike = {
      size: onDisk.size,
      type: onDisk.type,
      slice(start, end) {
        slices.push([start, end]);
        return onDisk.slice(start, end);
      },
      stream() {
        throw new Error('the whole file was read at once');
      },
    };
    const bodies: BlobLike[] = [];
    const stack = new ScriptedHttpStack([
      { method: 'POST', url: ENDPOINT, status: 201, headers: { Location: URL1 } },
      ...[4, 8, 10].map((kb) => ({
        method: 'PATCH',
        url: URL1,
        status: 204,
        headers: { 'Upload-Offset': String(kb * KB) },
      })),
    ]);
    const item = newQueueItem({ id: 'q1', blob: watched, name: 'engine-room.jpg' }, 0);
    await createTusUploader({
      endpoint: ENDPOINT,
      httpStack: capturing(stack, bodies),
      chunkSize: 4 * KB,
    }).upload(item, watched, {
      signal: new AbortController().signal,
      shouldYield: () => false,
      onSent: () => {},
      onProgress: () => {},
      onOffset: async () => {},
      onUploadUrl: async () => {},
    });
    expect(slices).toEqual([
      [0, 4 * KB],
      [4 * KB, 8 * KB],
      [8 * KB, 10 * KB],
    ]);
    const sent = await Promise.all(bodies.map(async (b) => Buffer.from(await (b as Blob).arrayBuffer())));
    expect(Buffer.concat(sent).equals(bytes)).toBe(true);
  });
});
