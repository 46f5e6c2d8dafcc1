import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBlockChecksums } from '../../server/blockChecksums.ts';
import { drainQueue, type UploadContext } from '../../src/shared/engine.ts';
import type { Change } from '../../src/shared/queueStore.ts';
import { createTusUploader, isStoredAnswer } from '../../src/shared/tusUploader.ts';
import { newQueueItem, type QueueItem } from '../../src/shared/types.ts';
import { UploadError } from '../../src/shared/UploadError.ts';
import { type Exchange, MemoryQueueStore, ScriptedHttpStack, VirtualClock } from './fakes.ts';

const KB = 1024;
const ENDPOINT = 'http://ship.local/files/';
const URL1 = 'http://ship.local/files/abc';

function item(size: number, extra: Partial<ReturnType<typeof newQueueItem>> = {}) {
  return {
    ...newQueueItem(
      { id: 'q1', blob: new Blob([new Uint8Array(size)]), name: 'engine.jpg', type: 'image/jpeg' },
      0,
    ),
    ...extra,
  };
}

/** An item and its file's bytes, as the engine hands them to an uploader. */
const withFile = (queued: ReturnType<typeof item>) =>
  [queued, new Blob([new Uint8Array(queued.size)])] as const;

function ctx(overrides: Partial<UploadContext> = {}) {
  const offsets: number[] = [];
  const urls: [string, boolean][] = [];
  const c: UploadContext = {
    signal: new AbortController().signal,
    shouldYield: () => false,
    onSent: () => {},
    onProgress: () => {},
    onOffset: async (n) => void offsets.push(n),
    onUploadUrl: async (u, r) => void urls.push([u, r]),
    ...overrides,
  };
  return { c, offsets, urls };
}

const created: Exchange = { method: 'POST', url: ENDPOINT, status: 201, headers: { Location: URL1 } };
const patch = (offset: number, next: number, status = 204): Exchange => ({
  method: 'PATCH',
  url: URL1,
  expectHeaders: { 'Upload-Offset': String(offset) },
  status,
  headers: { 'Upload-Offset': String(next) },
});

describe('tus uploader over a scripted server', () => {
  it('creates the upload and sends it in chunks, reporting each confirmed offset', async () => {
    const stack = new ScriptedHttpStack([
      created,
      patch(0, 4 * KB),
      patch(4 * KB, 8 * KB),
      patch(8 * KB, 10 * KB),
    ]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const { c, offsets, urls } = ctx();
    await uploader.upload(...withFile(item(10 * KB)), c);
    expect(offsets).toEqual([4 * KB, 8 * KB, 10 * KB]);
    expect(urls).toEqual([[URL1, false]]);
    expect(stack.sent.map((s) => s.bodySize)).toEqual([0, 4 * KB, 4 * KB, 2 * KB]);
    const meta = stack.sent[0]?.headers['Upload-Metadata'] ?? '';
    expect(meta).toContain(`filename ${btoa('engine.jpg')}`);
  });

  it('sends nothing for content the server already holds, and keeps the record it names as the upload', async () => {
    const stack = new ScriptedHttpStack([]);
    const asked: string[] = [];
    const uploader = createTusUploader({
      endpoint: ENDPOINT,
      httpStack: stack,
      chunkSize: 4 * KB,
      alreadyStored: async (queued) => {
        asked.push(queued.sha256 ?? '');
        return 'rec 9';
      },
    });
    const { c, offsets, urls } = ctx();
    await uploader.upload(...withFile(item(10 * KB, { sha256: 'ab'.repeat(32) })), c);
    expect(asked).toEqual(['ab'.repeat(32)]);
    expect(stack.sent).toEqual([]);
    expect(offsets).toEqual([]);
    expect(urls).toEqual([[`${ENDPOINT}rec%209`, false]]);
  });

  it('resumes from the stored URL at the offset the server reports', async () => {
    const stack = new ScriptedHttpStack([
      {
        method: 'HEAD',
        url: URL1,
        status: 200,
        headers: { 'Upload-Offset': String(6 * KB), 'Upload-Length': String(10 * KB) },
      },
      patch(6 * KB, 10 * KB),
    ]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const { c, offsets } = ctx();
    await uploader.upload(...withFile(item(10 * KB, { uploadUrl: URL1, bytesConfirmed: 4 * KB })), c);
    expect(offsets).toEqual([10 * KB]);
    expect(stack.sent.reduce((n, s) => n + s.bodySize, 0)).toBe(4 * KB);
  });

  it('starts a new upload when the stored one is gone, and says it restarted', async () => {
    const URL2 = 'http://ship.local/files/def';
    const stack = new ScriptedHttpStack([
      { method: 'HEAD', url: URL1, status: 404 },
      { method: 'POST', url: ENDPOINT, status: 201, headers: { Location: URL2 } },
      { method: 'PATCH', url: URL2, status: 204, headers: { 'Upload-Offset': String(2 * KB) } },
    ]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const { c, urls } = ctx();
    await uploader.upload(...withFile(item(2 * KB, { uploadUrl: URL1 })), c);
    expect(urls).toEqual([[URL2, true]]);
  });

  it.each([401, 403, 429, 500, 503])(
    'a %i on the resume HEAD keeps the upload instead of starting over',
    async (status) => {
      const stack = new ScriptedHttpStack([
        { method: 'HEAD', url: URL1, status, headers: { 'Retry-After': '7' } },
      ]);
      const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
      const { c, urls } = ctx();
      const error = await uploader
        .upload(...withFile(item(10 * KB, { uploadUrl: URL1, bytesConfirmed: 8 * KB })), c)
        .catch((e) => e);
      expect(error).toBeInstanceOf(UploadError);
      expect(error.status).toBe(status);
      expect(stack.sent.map((s) => s.method)).toEqual(['HEAD']);
      expect(urls).toEqual([]);
    },
  );

  it('starts from zero only once: a second lost upload is an error', async () => {
    const stack = new ScriptedHttpStack([{ method: 'HEAD', url: URL1, status: 404 }]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const error = await uploader
      .upload(...withFile(item(2 * KB, { uploadUrl: URL1, restarts: 1 })), ctx().c)
      .catch((e) => e);
    expect(error.code).toBe('upload-gone');
    expect(stack.sent.map((s) => s.method)).toEqual(['HEAD']);
  });

  const failures: [string, Exchange, string, number | null][] = [
    ['network failure', { method: 'PATCH', networkError: new TypeError('Failed to fetch') }, 'offline', null],
    ['stall', { method: 'PATCH', networkError: new UploadError('stalled', 'No answer') }, 'stalled', null],
    ['500', { method: 'PATCH', status: 500, body: 'boom' }, 'server-error', 500],
    ['413', { method: 'PATCH', status: 413 }, 'too-large', 413],
    ['409', { method: 'PATCH', status: 409 }, 'offset-mismatch', 409],
    ['401', { method: 'PATCH', status: 401 }, 'auth', 401],
    ['460', { method: 'PATCH', status: 460 }, 'checksum-mismatch', 460],
  ];
  it.each(failures)('a %s during a PATCH becomes %s', async (_n, failure, code, status) => {
    const stack = new ScriptedHttpStack([created, failure]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const error = await uploader.upload(...withFile(item(10 * KB)), ctx().c).catch((e) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
  });

  it('reads Retry-After from a 429', async () => {
    const stack = new ScriptedHttpStack([{ method: 'POST', status: 429, headers: { 'Retry-After': '2' } }]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const error = await uploader.upload(...withFile(item(10 * KB)), ctx().c).catch((e) => e);
    expect(error.code).toBe('rate-limited');
    expect(error.retryAfterSec).toBe(2);
  });

  it('stops at a chunk boundary when asked to yield', async () => {
    const stack = new ScriptedHttpStack([created, patch(0, 4 * KB)]);
    const uploader = createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB });
    const { c, offsets } = ctx({ shouldYield: () => true });
    const error = await uploader.upload(...withFile(item(10 * KB)), c).catch((e) => e);
    expect(error.code).toBe('yielded');
    expect(offsets).toEqual([4 * KB]);
    expect(stack.remaining).toBe(0);
  });
});

describe('tus uploader with block checksums', () => {
  it('sends each PATCH with the digests of its own blocks, and the body unchanged', async () => {
    const bytes = new Uint8Array(300 * KB).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
    const chunk = 128 * KB;
    const stack = new ScriptedHttpStack([
      created,
      patch(0, chunk),
      patch(chunk, 2 * chunk),
      patch(2 * chunk, bytes.length),
    ]);
    const uploader = createTusUploader({
      endpoint: ENDPOINT,
      httpStack: stack,
      chunkSize: chunk,
      blockChecksums: true,
    });
    const queued = item(bytes.length);
    await uploader.upload(queued, new Blob([bytes]), ctx().c);

    const patches = stack.sent.filter((s) => s.method === 'PATCH');
    expect(patches.map((s) => s.bodySize)).toEqual([chunk, chunk, 44 * KB]);
    for (const sent of patches) {
      const start = Number(sent.headers['Upload-Offset']);
      const body = bytes.subarray(start, start + sent.bodySize);
      const parsed = parseBlockChecksums(sent.headers['Upload-Block-Checksums'] ?? '', String(body.length));
      if (parsed instanceof Error) throw parsed;
      const blocks = [];
      for (let at = 0; at < body.length; at += 64 * KB) blocks.push(body.subarray(at, at + 64 * KB));
      expect(parsed.digests).toEqual(blocks.map((b) => createHash('sha256').update(b).digest()));
    }
    expect(stack.sent[0]?.headers['Upload-Block-Checksums']).toBeUndefined();
  });
});

describe('engine with the tus uploader, link cut mid-upload', () => {
  it('keeps the URL and offset, then resumes with a HEAD and sends only the rest', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore([item(10 * KB)]);
    const cut = new ScriptedHttpStack([
      created,
      patch(0, 4 * KB),
      {
        method: 'PATCH',
        expectHeaders: { 'Upload-Offset': String(4 * KB) },
        networkError: new TypeError('Failed to fetch'),
      },
    ]);
    const first = await drainQueue({
      store,
      clock,
      uploader: createTusUploader({ endpoint: ENDPOINT, httpStack: cut, chunkSize: 4 * KB }),
    });
    expect(first.stoppedBecause).toBe('offline');
    const waiting = store.items.get('q1');
    expect(waiting).toMatchObject({
      status: 'waiting',
      waitReason: 'offline',
      uploadUrl: URL1,
      bytesConfirmed: 4 * KB,
      attempts: 0,
    });

    const back = new ScriptedHttpStack([
      {
        method: 'HEAD',
        url: URL1,
        status: 200,
        headers: { 'Upload-Offset': String(4 * KB), 'Upload-Length': String(10 * KB) },
      },
      patch(4 * KB, 8 * KB),
      patch(8 * KB, 10 * KB),
    ]);
    const second = await drainQueue({
      store,
      clock,
      uploader: createTusUploader({ endpoint: ENDPOINT, httpStack: back, chunkSize: 4 * KB }),
    });
    expect(second).toMatchObject({ stoppedBecause: 'empty', uploaded: 1, remaining: 0 });
    // Every PATCH body counts in bytesSent, the cut one and the last one too.
    expect(store.items.get('q1')).toMatchObject({
      status: 'uploaded',
      bytesConfirmed: 10 * KB,
      bytesSent: 4 * KB + 4 * KB + 4 * KB + 2 * KB,
    });
    expect(back.remaining).toBe(0);
  });
});

describe('engine with the tus uploader, device storage full', () => {
  it('stops sending when a confirmed offset cannot be saved, loses nothing, and says which file', async () => {
    const clock = new VirtualClock();
    /** A device whose storage fills up after the first chunk's offset is saved. */
    class FillingStore extends MemoryQueueStore {
      offsetsSaved = 0;
      override async update(id: string, change: Change) {
        const probe = change(this.items.get(id) as QueueItem);
        if (probe && 'bytesConfirmed' in probe && ++this.offsetsSaved > 1)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return super.update(id, change);
      }
    }
    const store = new FillingStore([item(16 * KB)]);
    const stack = new ScriptedHttpStack([
      created,
      patch(0, 4 * KB),
      patch(4 * KB, 8 * KB),
      // Nothing after this: one more PATCH would fail the script.
    ]);
    const full: string[] = [];
    const out = await drainQueue({
      store,
      clock,
      uploader: createTusUploader({ endpoint: ENDPOINT, httpStack: stack, chunkSize: 4 * KB }),
      onStorageFull: (id) => full.push(id),
    });
    expect(out.stoppedBecause).toBe('storage-full');
    expect(full).toEqual(['q1']);
    expect(stack.sent.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH']);
    expect(store.items.get('q1')).toMatchObject({ uploadUrl: URL1, bytesConfirmed: 4 * KB });
    expect(store.blobs.get('q1')?.size).toBe(16 * KB);
  });
});

describe('the answer to "do you already hold this file?"', () => {
  it.each([
    [200, '{"id":"rec-1"}', true],
    [200, '<html>Welcome to the marina Wi-Fi</html>', false],
    [200, '{}', false],
    [200, '{"id":""}', false],
    [204, '', false],
    [201, '{"id":"rec-1"}', false],
    [404, '{"error":"no stored upload has this content; upload it"}', false],
    [507, '{"error":"no room"}', false],
  ])('status %i with body %s counts as stored: %s', (status, body, stored) => {
    expect(isStoredAnswer(status, body)).toBe(stored);
  });
});
