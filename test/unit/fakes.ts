import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import type { Clock } from '../../src/shared/engine.ts';
import { type Change, type QueueStore, releasable } from '../../src/shared/queueStore.ts';
import {
  type BlobLike,
  type NewFile,
  newQueueItem,
  type QueueItem,
  type UploadStatus,
} from '../../src/shared/types.ts';

/** An in-memory QueueStore for engine tests; `writes` counts every record write, `blobWrites` every file write. */
export class MemoryQueueStore implements QueueStore<BlobLike> {
  readonly items = new Map<string, QueueItem>();
  readonly blobs = new Map<string, BlobLike>();
  writes = 0;
  blobWrites = 0;

  /** Seeds records; each file's bytes are `blobs[id]`, or zeros of the record's size. */
  constructor(items: QueueItem[] = [], blobs: Record<string, BlobLike> = {}) {
    for (const item of items) this.seed(item, blobs[item.id]);
  }

  /** Puts a record and its file in place, as if added earlier (not counted as writes). */
  seed(item: QueueItem, blob: BlobLike = new Blob([new Uint8Array(item.size)])) {
    this.items.set(item.id, structuredClone(item));
    this.blobs.set(item.id, blob);
  }

  async all() {
    return [...this.items.values()].map((i) => structuredClone(i));
  }

  async get(id: string) {
    const item = this.items.get(id);
    return item ? structuredClone(item) : undefined;
  }

  async add(files: NewFile<BlobLike>[]) {
    if (files.some(({ item }) => this.items.has(item.id))) throw new Error('an item with that id exists');
    for (const { item, blob } of files) {
      this.items.set(item.id, structuredClone(item));
      this.blobs.set(item.id, blob);
      this.writes++;
      this.blobWrites++;
    }
  }

  async update(id: string, change: Change) {
    const item = this.items.get(id);
    if (!item) return undefined;
    const patch = change(structuredClone(item));
    if (!patch) return structuredClone(item);
    const next = { ...item, ...patch, id };
    this.items.set(id, next);
    this.writes++;
    return structuredClone(next);
  }

  async blob(id: string) {
    return this.blobs.get(id);
  }

  async release(id: string, now: number) {
    const item = this.items.get(id);
    if (!item || !releasable(item)) return item && structuredClone(item);
    this.blobs.delete(id);
    return this.update(id, () => ({ releasedAt: now }));
  }

  async remove(id: string) {
    this.items.delete(id);
    this.blobs.delete(id);
  }
}

/** A clock whose sleeps pass instantly, advancing virtual time. */
export class VirtualClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now() {
    return this.time;
  }
  async sleep(ms: number) {
    this.time += Math.max(0, ms);
  }
}

/** One scripted exchange: what the client must ask, and what the fake server answers. */
export interface Exchange {
  method: string;
  url?: string;
  /** Checks on the request headers, e.g. `{ 'Upload-Offset': '0' }`. */
  expectHeaders?: Record<string, string>;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Instead of answering, fail as the network would. */
  networkError?: Error;
}

/** A tus HttpStack that answers a script in order and records what was sent. */
export class ScriptedHttpStack implements HttpStack {
  readonly sent: { method: string; url: string; headers: Record<string, string>; bodySize: number }[] = [];
  readonly #script: Exchange[];

  constructor(script: Exchange[]) {
    this.#script = [...script];
  }

  get remaining() {
    return this.#script.length;
  }

  getName() {
    return 'ScriptedHttpStack';
  }

  createRequest(method: string, url: string): HttpRequest {
    const headers: Record<string, string> = {};
    const stack = this;
    return {
      getMethod: () => method,
      getURL: () => url,
      setHeader: (k, v) => {
        headers[k] = v;
      },
      getHeader: (k) => headers[k],
      setProgressHandler: () => {},
      abort: async () => {},
      getUnderlyingObject: () => null,
      async send(body?: BlobLike | null): Promise<HttpResponse> {
        stack.sent.push({ method, url, headers: { ...headers }, bodySize: body?.size ?? 0 });
        const next = stack.#script.shift();
        if (!next) throw new Error(`unexpected ${method} ${url}: script is empty`);
        if (next.method !== method) throw new Error(`expected ${next.method}, got ${method} ${url}`);
        if (next.url && next.url !== url) throw new Error(`expected ${next.url}, got ${url}`);
        for (const [k, v] of Object.entries(next.expectHeaders ?? {})) {
          if (headers[k] !== v) throw new Error(`${method}: header ${k} was ${headers[k]}, expected ${v}`);
        }
        if (next.networkError) throw next.networkError;
        const resHeaders = new Map(Object.entries(next.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
        return {
          getStatus: () => next.status ?? 200,
          getHeader: (k) => resHeaders.get(k.toLowerCase()),
          getBody: () => next.body ?? '',
          getUnderlyingObject: () => null,
        };
      },
    };
  }
}

/** A queue record as the app makes one for `${id}.jpg` of `size` bytes, in `status`, with `patch` applied. */
export function makeItem(
  id: string,
  status: UploadStatus,
  size = 1000,
  patch: Partial<QueueItem> = {},
): QueueItem {
  const blob: BlobLike = { size, type: 'image/jpeg', slice: () => blob, stream: () => new ReadableStream() };
  return { ...newQueueItem({ id, blob, name: `${id}.jpg` }, 0), status, ...patch };
}
