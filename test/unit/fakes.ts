import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import type { Clock, QueueStore } from '../../src/shared/engine.ts';
import type { BlobLike, QueueItem } from '../../src/shared/types.ts';

/** An in-memory QueueStore for engine tests. */
export class MemoryQueueStore implements QueueStore<BlobLike> {
  readonly items = new Map<string, QueueItem<BlobLike>>();

  constructor(items: QueueItem<BlobLike>[] = []) {
    for (const item of items) this.items.set(item.id, structuredClone({ ...item, blob: undefined as never }));
    for (const item of items) (this.items.get(item.id) as QueueItem<BlobLike>).blob = item.blob;
  }

  async all() {
    return [...this.items.values()].map((i) => ({ ...i }));
  }

  async get(id: string) {
    const item = this.items.get(id);
    return item ? { ...item } : undefined;
  }

  async update(id: string, patch: Partial<QueueItem<BlobLike>>) {
    const item = this.items.get(id);
    if (!item) return undefined;
    const next = { ...item, ...patch, id };
    this.items.set(id, next);
    return { ...next };
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
