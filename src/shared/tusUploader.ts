import { DetailedError, type HttpResponse, type HttpStack, Upload } from 'tus-js-client';
import { blobFileReader } from './blobFileReader.ts';
import { BLOCK_CHECKSUMS_HEADER } from './blockChecksums.ts';
import { downscaleMetadata } from './dataSaver.ts';
import { DigestsAhead } from './digestsAhead.ts';
import type { UploadContext, Uploader } from './engine.ts';
import type { BlobLike, QueueItem } from './types.ts';
import { codeForStatus, parseRetryAfter, UploadError } from './UploadError.ts';

/** Options of the tus uploader. */
export interface TusUploaderOptions {
  /** tus creation endpoint, e.g. `/files/` resolved against the origin. */
  endpoint: string;
  /** How requests are sent; in the worker, a fetch stack with stall timeouts. */
  httpStack: HttpStack;
  /** Bytes per PATCH, fixed or chosen chunk by chunk. Finite, so a run can stop between chunks. */
  chunkSize: number | ChunkPolicy;
  /** Headers for every request of an attempt, e.g. the device's Authorization. */
  getHeaders?: () => Promise<Record<string, string>>;
  /**
   * Asks the server whether it already holds this file (by SHA-256); an id means it recorded the
   * file for this device under that id (see `storedRecordId`) and nothing needs sending, null that it
   * must be sent. Only asked before a new upload is created.
   */
  alreadyStored?: (item: QueueItem, headers: Record<string, string>) => Promise<string | null>;
  /**
   * Send `Upload-Block-Checksums` with every PATCH: the server keeps the whole blocks that match of
   * a cut or damaged chunk, and refuses the rest. The next chunk is hashed while one is sent.
   */
  blockChecksums?: boolean;
}

/** Chooses each PATCH's size and learns from how it went (see ChunkSizer). */
export interface ChunkPolicy {
  next(item: QueueItem): number;
  succeeded(bytes: number): void;
  failed(bytes: number): void;
}

const fixedChunks = (size: number): ChunkPolicy => ({ next: () => size, succeeded() {}, failed() {} });

/**
 * Wraps a stack for one attempt: counts every PATCH body handed to the network (failed ones in full),
 * and stops tus-js-client from starting over on a bad resume. On any HEAD answer but 2xx and 423 it
 * creates a new upload from zero (lib/upload.ts `_resumeUpload`): a passing 503 or 401 would throw
 * away everything already sent over the satellite. Here only 404/410 (the server lost the upload)
 * may start again, and only once per file. No PATCH goes before the previous chunk's offset is
 * saved: if the device cannot record progress (a full disk), nothing more is sent that nobody could keep.
 */
function guardedStack(
  inner: HttpStack,
  item: QueueItem,
  onSent: (bytes: number) => void,
  saved: () => Promise<void>,
  digests: DigestsAhead | null,
): HttpStack {
  return {
    getName: () => inner.getName(),
    createRequest(method, url) {
      const req = inner.createRequest(method, url);
      return {
        getMethod: () => req.getMethod(),
        getURL: () => req.getURL(),
        setHeader: (header, value) => req.setHeader(header, value),
        getHeader: (header) => req.getHeader(header),
        setProgressHandler: (handler) => req.setProgressHandler(handler),
        abort: () => req.abort(),
        getUnderlyingObject: () => req.getUnderlyingObject(),
        async send(body?: BlobLike | null) {
          if (method === 'PATCH') await saved();
          if (method === 'PATCH' && digests && body?.size) {
            // A PATCH carries the file's bytes from its Upload-Offset on (tus).
            const start = Number(req.getHeader('Upload-Offset'));
            req.setHeader(BLOCK_CHECKSUMS_HEADER, await digests.forChunk(start, start + body.size));
          }
          let res: HttpResponse;
          try {
            res = await req.send(body);
          } finally {
            if (method === 'PATCH' && body?.size) onSent(body.size);
          }
          if (method === 'HEAD') checkResume(res, item);
          return res;
        },
      };
    },
  };
}

/** Throws unless a resume HEAD answer lets tus-js-client go on safely. */
function checkResume(res: HttpResponse, item: QueueItem): void {
  const status = res.getStatus();
  if ((status >= 200 && status < 300) || status === 423) return;
  const gone = status === 404 || status === 410;
  if (gone && item.restarts === 0) return;
  const code = gone ? 'upload-gone' : codeForStatus(status);
  throw new UploadError(code, `Server answered ${status} when resuming`, {
    status,
    retryAfterSec: parseRetryAfter(res.getHeader('Retry-After'), Date.now()),
  });
}

/** The tus metadata sent for an item: name and type, its tags, and what Data saver made of it. */
export function tusMetadata(item: QueueItem): Record<string, string> {
  const meta: Record<string, string> = {
    ...item.tags,
    filename: item.name,
    filetype: item.type,
    queueId: item.id,
  };
  meta.priority = String(item.priority);
  if (item.sha256) meta.sha256 = item.sha256;
  return { ...meta, ...downscaleMetadata(item) };
}

/** Classifies whatever tus-js-client reported into an UploadError. */
export function classifyTusError(err: unknown, now: number = Date.now()): UploadError {
  if (err instanceof UploadError) return err;
  if (err instanceof DetailedError) {
    const res = err.originalResponse;
    if (res) {
      const status = res.getStatus();
      const body = res.getBody()?.trim().slice(0, 200);
      const detail = body ? `: ${body}` : '';
      return new UploadError(codeForStatus(status), `Server answered ${status}${detail}`, {
        status,
        retryAfterSec: parseRetryAfter(res.getHeader('Retry-After'), now),
        cause: err,
      });
    }
    if (err.causingError instanceof UploadError) return err.causingError;
    return new UploadError('offline', 'Cannot reach the server', { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new UploadError('unreadable', `Cannot read the file: ${message}`, { cause: err });
}

/** An Uploader that sends items with tus-js-client, resuming from the item's stored upload URL. */
export function createTusUploader(options: TusUploaderOptions): Uploader<BlobLike> {
  const chunks = typeof options.chunkSize === 'number' ? fixedChunks(options.chunkSize) : options.chunkSize;
  return {
    async upload(item: QueueItem, file: BlobLike, ctx: UploadContext): Promise<void> {
      const headers = (await options.getHeaders?.()) ?? {};
      if (!item.uploadUrl && item.sha256 && options.alreadyStored) {
        const stored = await options.alreadyStored(item, headers).catch(() => null);
        // Recorded under the endpoint like any upload, so the file's stage ashore can be asked.
        if (stored)
          return ctx.onUploadUrl(
            `${options.endpoint.replace(/\/?$/, '/')}${encodeURIComponent(stored)}`,
            false,
          );
      }
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        let chunkSize = chunks.next(item);
        // Persistence of offsets runs in order; completion waits for it.
        let pending: Promise<void> = Promise.resolve();
        const settle = (err?: UploadError) => {
          if (settled) return;
          settled = true;
          // Any chunk that did not go through (a cut, a stall, a 409 after the browser resent it) shrinks the next.
          if (err && err.code !== 'aborted' && err.code !== 'yielded') chunks.failed(chunkSize);
          ctx.signal.removeEventListener('abort', onAbort);
          pending.then(
            () => (err ? reject(err) : resolve()),
            (storeErr) => reject(storeErr),
          );
        };
        const persist = (step: () => Promise<void>) => {
          pending = pending.then(step);
        };
        const upload = new Upload(file as never, {
          endpoint: options.endpoint,
          uploadUrl: item.uploadUrl,
          chunkSize,
          uploadSize: item.size,
          headers,
          retryDelays: null,
          metadata: tusMetadata(item),
          fingerprint: async () => `tender-${item.id}`,
          storeFingerprintForResuming: false,
          fileReader: blobFileReader,
          httpStack: guardedStack(
            options.httpStack,
            item,
            (bytes) => ctx.onSent(bytes),
            () => pending,
            options.blockChecksums ? new DigestsAhead(file) : null,
          ),
          onUploadUrlAvailable: () => {
            const url = upload.url;
            if (!url) return;
            const restarted = item.uploadUrl !== null && url !== item.uploadUrl;
            persist(() => ctx.onUploadUrl(url, restarted));
          },
          onProgress: (bytesSent) => ctx.onProgress(bytesSent),
          onChunkComplete: (chunk, bytesAccepted, bytesTotal) => {
            persist(() => ctx.onOffset(bytesAccepted));
            // tus-js-client reads options.chunkSize as it cuts each chunk: the next one follows the link.
            chunks.succeeded(chunk);
            chunkSize = chunks.next(item);
            upload.options.chunkSize = chunkSize;
            if (bytesAccepted < bytesTotal && ctx.shouldYield()) {
              void upload.abort();
              settle(new UploadError('yielded', 'Run budget spent; continuing in the next run'));
            }
          },
          onSuccess: () => settle(),
          onError: (err) => settle(classifyTusError(err)),
        });
        const onAbort = () => {
          void upload.abort();
          settle(new UploadError('aborted', 'Upload stopped'));
        };
        if (ctx.signal.aborted) return onAbort();
        ctx.signal.addEventListener('abort', onAbort);
        upload.start();
      });
    },
  };
}

/**
 * True only when an answer to the dedupe question is Tender saying it recorded the file: a 200
 * whose JSON body names the new record. Any other 2xx (a captive portal's page, a proxy's answer)
 * must not mark a file Uploaded with nothing sent.
 */
export function isStoredAnswer(status: number, body: string): boolean {
  return storedRecordId(status, body) !== null;
}

/** The id of the record a dedupe answer names, when it is Tender saying it recorded the file (see `isStoredAnswer`). */
export function storedRecordId(status: number, body: string): string | null {
  if (status !== 200) return null;
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return typeof parsed?.id === 'string' && parsed.id.length > 0 ? parsed.id : null;
  } catch {
    return null;
  }
}
