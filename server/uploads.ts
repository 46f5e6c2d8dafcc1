import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type Lock, type Locker, Server } from '@tus/server';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import { BLOCK_CHECKSUMS_HEADER } from './blockChecksums.ts';
import type { Devices } from './devices.ts';
import { tusError } from './httpError.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Partials } from './partials.ts';
import type { PatchProgress } from './patchProgress.ts';
import { type DeviceQuota, quotaRefusal } from './quota.ts';
import type { UploadRecords } from './records.ts';
import { DurableStore, type Writer } from './store.ts';
import { Sweeper } from './sweeper.ts';
import type { UploadBytes } from './uploadBytes.ts';
import { UploadFiling } from './uploadFiling.ts';

/** Per-request facts the tus hooks need, attached to the Node request before tus sees it. */
export type UploadRequest = Writer & {
  /** For POST: the id the new upload gets, and its validated metadata. */
  create?: { id: string; metadata: Record<string, string> };
};

/** What the tus endpoint needs from the rest of the server. */
export type UploadsOptions = {
  /** Where uploads' bytes are kept, unfinished and finished. */
  bytes: UploadBytes;
  expiryMs: number;
  maxUploadBytes: number;
  /** Checked again as the upload is created, so concurrent creations cannot overshoot it. */
  quota: DeviceQuota;
  corsOrigins: ReadonlySet<string>;
  records: UploadRecords;
  partials: Partials;
  devices: Devices;
  /**
   * Upload locks, taken by every tus request and by the bookkeeping. A shared implementation must
   * call the holder's requestRelease when another server asks, as @tus/server's MemoryLocker does
   * within a process: a resuming client's HEAD ends the stale PATCH that holds the lock.
   */
  locker: Locker;
  /** Where open PATCHes report how far their bodies have come. */
  receiving: PatchProgress;
  metrics: Metrics;
  log: Logger;
};

/** The tus 1.0 endpoint at /files plus the bookkeeping that turns finished uploads into records. */
export class Uploads {
  readonly tus: Server;
  readonly store: DurableStore;
  /** Deletes unfinished uploads that expired or can no longer be resumed. */
  readonly sweeper: Sweeper;
  /** Turns finished uploads into records; its listeners hear of each. */
  readonly filing: UploadFiling;
  private readonly opts: UploadsOptions;
  private readonly requests = new WeakMap<http.IncomingMessage, UploadRequest>();
  private readonly writers = new Map<string, UploadRequest>();
  private stopped = false;

  constructor(opts: UploadsOptions) {
    this.opts = opts;
    this.store = new DurableStore({
      bytes: opts.bytes,
      expiryMs: opts.expiryMs,
      partials: opts.partials,
      records: opts.records,
      receiving: opts.receiving,
      metrics: opts.metrics,
      log: opts.log,
      writerOf: (id) => this.writers.get(id),
      admit: (reserved, size) => {
        const over = quotaRefusal(reserved, size, opts.quota);
        return over && tusError(over.status, over.error);
      },
      onComplete: (partial, sha256) => this.filing.complete(partial, sha256),
    });
    this.filing = new UploadFiling({
      bytes: opts.bytes,
      records: opts.records,
      partials: opts.partials,
      devices: opts.devices,
      metrics: opts.metrics,
      log: opts.log,
      newId: () => this.newId(),
      discard: (id) => this.store.discard(id),
    });
    this.sweeper = new Sweeper({
      expiryMs: opts.expiryMs,
      partials: opts.partials,
      records: opts.records,
      bytes: opts.bytes,
      store: this.store,
      metrics: opts.metrics,
      log: opts.log,
      locker: opts.locker,
      stopped: () => this.stopped,
    });
    this.tus = new Server({
      path: '/files',
      datastore: this.store,
      // Per request, so the store knows which request holds an upload's lock (its device, its checksum).
      locker: (req) => this.lockerFor(nodeRequest(req)),
      relativeLocation: true,
      respectForwardedHeaders: false,
      maxSize: opts.maxUploadBytes,
      // The library's default answers every origin with '*'.
      allowedOrigins: (origin) => opts.corsOrigins.has(origin),
      allowedHeaders: ['Upload-Checksum', BLOCK_CHECKSUMS_HEADER],
      exposedHeaders: ['Upload-Expires', 'Retry-After', 'Tus-Checksum-Algorithm'],
      onResponseError: async (req, error) => {
        const failure = this.requestOf(req)?.failure;
        // A 460 says where the upload stands (Upload-Offset); @tus/server has no way to add a header.
        const res = nodeResponse(req);
        for (const [name, value] of Object.entries(failure?.headers ?? {})) res?.setHeader(name, value);
        // A PATCH at a stale offset is usually a browser resending a chunk by itself after a reset
        // (Chromium does on a reused connection): its body is useless, and read to the end it would
        // cross the satellite for nothing. Closing stops it; the client asks HEAD either way.
        if ('status_code' in error && error.status_code === 409 && req.method === 'PATCH')
          res?.setHeader('Connection', 'close');
        return failure && failure !== error ? failure : undefined;
      },
      // The record is the crew's receipt; deleting the bytes behind it would leave it lying.
      disableTerminationForFinishedUploads: true,
      namingFunction: (req) => {
        const id = this.requestOf(req)?.create?.id;
        if (!id) throw new Error('upload creation without a prepared request');
        return id;
      },
      onUploadCreate: async (req) => {
        this.opts.metrics.uploadsStarted++;
        return { metadata: this.requestOf(req)?.create?.metadata ?? {} };
      },
      // Writes complete uploads themselves; this catches the one path without a write: a zero-length
      // upload finished at creation. Must return an object: the POST path reads fields off it unguarded.
      onUploadFinish: async (_req, upload) => {
        await this.reconcile(upload.id);
        return {};
      },
    });
  }

  /** Hands a request to tus with its per-request facts. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, request: UploadRequest): Promise<void> {
    // The body bypasses @tus/server: the store reads it from the Node request (see withoutBody).
    request.body = req.iterator({ destroyOnReturn: false });
    this.requests.set(req, request);
    await sendNodeResponse(res, await this.tus.handleWeb(withoutBody(req, res)));
  }

  /** A fresh upload id (32 hex digits). */
  newId(): string {
    return randomBytes(16).toString('hex');
  }

  /** Whether every byte of `id` is in and verified (recorded, or being recorded). */
  async isComplete(id: string): Promise<boolean> {
    return Boolean((await this.opts.records.get(id)) || (await this.opts.partials.get(id))?.completion);
  }

  /** The device that created upload `id`, whether finished or not. */
  async ownerOf(id: string): Promise<string | undefined> {
    const partial = await this.opts.partials.get(id);
    if (partial) return partial.deviceId;
    return (await this.opts.records.get(id))?.deviceId ?? undefined;
  }

  /**
   * Files `id` if all its bytes are acknowledged but its record is not written yet (a crash or a
   * cut-off final PATCH), so a HEAD that reports the upload finished is never ahead of the record.
   * Takes the upload's lock when there is work to do; callers must not hold it.
   */
  async reconcile(id: string): Promise<void> {
    const before = await this.opts.partials.get(id);
    if (this.stopped || !before || before.acked !== before.size) return;
    await this.sweeper.locked(id, async () => {
      const partial = await this.opts.partials.get(id);
      if (this.stopped || !partial || partial.acked !== partial.size) return;
      if (partial.completion) await this.filing.file(partial);
      else await this.store.completeRecovered(partial);
    });
  }

  /**
   * Finishes uploads a crash left half-recorded (each under its lock), deletes unfinished ones past
   * their expiry and bytes no upload owns. Touches nothing another server may be writing.
   */
  async maintain(): Promise<void> {
    // Only fully acknowledged uploads have anything to finish: the others cost no read of their own.
    const finished = (await this.opts.partials.all()).filter((p) => p.acked === p.size);
    for (const partial of finished) {
      if (this.stopped) return;
      await this.reconcile(partial.id).catch((error: unknown) => {
        this.opts.log('error', 'could not finish upload', { id: partial.id, error: String(error) });
      });
    }
    await this.sweeper.dropAbandoned();
    await this.sweeper.expire();
    await this.sweeper.dropOrphans();
  }

  /** Refuses new bookkeeping and resolves when none is running, so the database can be closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filing.settled();
  }

  private requestOf(req: unknown): UploadRequest | undefined {
    const node = nodeRequest(req);
    return node && this.requests.get(node);
  }

  private lockerFor(node: http.IncomingMessage | undefined) {
    const request = node && this.requests.get(node);
    return {
      newLock: (id: string): Lock => {
        const inner = this.opts.locker.newLock(id);
        return {
          lock: async (signal, requestRelease) => {
            await inner.lock(signal, () => {
              this.endStalePatch(id, node);
              return requestRelease();
            });
            if (request) this.writers.set(id, request);
          },
          unlock: async () => {
            if (this.writers.get(id) === request) this.writers.delete(id);
            await inner.unlock();
          },
        };
      },
    };
  }

  // Another request wants this upload's lock, from this server or (through a shared locker) another:
  // its client gave up on a PATCH still receiving (a silent stall). Left alone, that PATCH would
  // keep the lock until @tus/server's drain timeout; destroying it acknowledges what it received and
  // releases the lock at once. Within one server the gateway has usually closed it already. A PATCH
  // whose body is all in is finishing (recording the upload, which bookkeeping may be waiting for)
  // and answers soon: it is left to do so.
  private endStalePatch(id: string, node: http.IncomingMessage | undefined): void {
    if (node?.method !== 'PATCH' || node.complete || node.socket.destroyed) return;
    this.opts.metrics.stalePatchesClosed++;
    node.socket.destroy();
    this.opts.log('info', 'stale PATCH closed', { id, by: 'lock request' });
  }
}

type Wrapped = { runtime?: { node?: { req?: http.IncomingMessage; res?: http.ServerResponse } } } | undefined;

// @tus/server wraps the Node request (srvx); the original is kept at runtime.node.req.
function nodeRequest(req: unknown): http.IncomingMessage | undefined {
  return (req as Wrapped)?.runtime?.node?.req;
}

// The Node response beside it; headers set on it are merged into the one @tus/server writes.
function nodeResponse(req: unknown): http.ServerResponse | undefined {
  return (req as Wrapped)?.runtime?.node?.res;
}

// @tus/server would read the body as a web stream made from the Node request, then turn it back into
// a Node stream and pipe it through two more: about a tenth of the main thread's CPU on a fast upload.
// Its request is given no body, so tus hands the store an empty stream, and the store reads the
// Node request itself (UploadRequest.body), which still ends, fails and is cut as before.
function withoutBody(req: http.IncomingMessage, res: http.ServerResponse): Request {
  const request = new NodeRequest({ req, res });
  Object.defineProperty(request, 'body', { value: null });
  return request;
}
