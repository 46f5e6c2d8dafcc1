import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import { BLOCK_CHECKSUMS_HEADER, blockChecksums } from '../shared/blockChecksums.ts';
import { UploadError } from '../shared/UploadError.ts';

/** Timeouts of the fetch stack. */
export interface FetchHttpStackOptions {
  /** A request with no answer this long after its body would have been sent counts as stalled. */
  stallMs: number;
  /** Slowest acceptable rate for a request body, used to give large PATCHes more time. */
  minBytesPerSec: number;
  /**
   * Send `Upload-Block-Checksums` with every PATCH body: the server keeps the whole blocks that
   * match of a cut or damaged chunk, and refuses the rest.
   */
  checksum?: boolean;
  /**
   * Where to read how many bytes of an upload have reached the server while a PATCH is in flight
   * (the upload URL in, the progress URL out). Without it a PATCH is only judged by its total time.
   */
  progressUrl?: (uploadUrl: string) => string | null;
  /** How often to read that progress; default 3 s. */
  progressIntervalMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * tus-js-client's HTTP stack over fetch, for the service worker where XMLHttpRequest does not exist.
 * Every request carries an AbortSignal that fires on a stall: fetch alone can hang forever on a dead
 * satellite link (tus-js-client issues #773, #906).
 */
export class FetchHttpStack implements HttpStack {
  readonly #options: FetchHttpStackOptions;

  constructor(options: FetchHttpStackOptions) {
    this.#options = options;
  }

  createRequest(method: string, url: string): HttpRequest {
    return new FetchHttpRequest(method, url, this.#options);
  }

  getName(): string {
    return 'TenderFetchHttpStack';
  }
}

class FetchHttpRequest implements HttpRequest {
  readonly #method: string;
  readonly #url: string;
  readonly #options: FetchHttpStackOptions;
  readonly #headers: Record<string, string> = {};
  readonly #controller = new AbortController();

  constructor(method: string, url: string, options: FetchHttpStackOptions) {
    this.#method = method;
    this.#url = url;
    this.#options = options;
  }

  getMethod(): string {
    return this.#method;
  }

  getURL(): string {
    return this.#url;
  }

  setHeader(header: string, value: string): void {
    this.#headers[header] = value;
  }

  getHeader(header: string): string | undefined {
    return this.#headers[header];
  }

  #onProgress: ((bytesSent: number) => void) | null = null;

  // fetch reports no upload progress, and bytes handed to the socket are not bytes delivered
  // (socket buffers hide ~15 s of a satellite link); progress comes from the server instead.
  setProgressHandler(handler: (bytesSent: number) => void): void {
    this.#onProgress = handler;
  }

  /**
   * While a PATCH is in flight, reads the server's count of received bytes: reports it as progress,
   * and declares a stall when it has not moved for stallMs, long before the whole-body limit.
   */
  #watchProgress(doFetch: typeof fetch): () => void {
    const progressUrl = this.#options.progressUrl?.(this.#url);
    const startOffset = Number(this.#headers['Upload-Offset'] ?? Number.NaN);
    if (this.#method !== 'PATCH' || !progressUrl || Number.isNaN(startOffset)) return () => {};
    const every = this.#options.progressIntervalMs ?? 3000;
    const auth = this.#headers.Authorization;
    let best = startOffset;
    let movedAt = Date.now();
    let busy = false;
    const timer = setInterval(async () => {
      if (!busy) {
        busy = true;
        try {
          const res = await doFetch(progressUrl, {
            headers: auth ? { Authorization: auth } : {},
            cache: 'no-store',
            signal: AbortSignal.timeout(every * 2),
          });
          const body = res.ok ? ((await res.json()) as { received?: number }) : {};
          if (typeof body.received === 'number' && body.received > best) {
            best = body.received;
            movedAt = Date.now();
            this.#onProgress?.(best - startOffset);
          }
        } catch {
          // A failed read is no progress; the stall check below decides.
        } finally {
          busy = false;
        }
      }
      if (Date.now() - movedAt > this.#options.stallMs) {
        this.#controller.abort(
          new UploadError(
            'stalled',
            `The server received nothing for ${Math.round(this.#options.stallMs / 1000)} s`,
          ),
        );
      }
    }, every);
    return () => clearInterval(timer);
  }

  async send(blob?: Blob | null): Promise<HttpResponse> {
    const size = blob?.size ?? 0;
    const body: Blob | null = blob ?? null;
    if (blob && this.#options.checksum && this.#method === 'PATCH') {
      // Hashed a block at a time, but sent as the Blob itself: a Blob is immutable, so the bytes
      // are the same, and Chromium streams a Blob body from its file about 4× faster than an
      // ArrayBuffer body from a service worker (2 MiB PATCH on loopback: ~30 ms against ~120 ms).
      this.#headers[BLOCK_CHECKSUMS_HEADER] = await blockChecksums(blob);
    }
    const limitMs = this.#options.stallMs + (size * 1000) / this.#options.minBytesPerSec;
    const timer = setTimeout(() => {
      this.#controller.abort(
        new UploadError('stalled', `No answer from the server for ${Math.round(limitMs / 1000)} s`),
      );
    }, limitMs);
    const doFetch = this.#options.fetch ?? fetch;
    const stopWatching = this.#watchProgress(doFetch);
    try {
      const res = await doFetch(this.#url, {
        method: this.#method,
        headers: this.#headers,
        body,
        signal: this.#controller.signal,
        cache: 'no-store',
        credentials: 'same-origin',
      });
      const text = await res.text();
      return new FetchHttpResponse(res, text);
    } catch (err) {
      const reason = this.#controller.signal.reason;
      if (reason instanceof UploadError) throw reason;
      throw err;
    } finally {
      clearTimeout(timer);
      stopWatching();
    }
  }

  async abort(): Promise<void> {
    this.#controller.abort();
  }

  getUnderlyingObject(): unknown {
    return this.#controller;
  }
}

class FetchHttpResponse implements HttpResponse {
  readonly #res: Response;
  readonly #body: string;

  constructor(res: Response, body: string) {
    this.#res = res;
    this.#body = body;
  }

  getStatus(): number {
    return this.#res.status;
  }

  getHeader(header: string): string | undefined {
    return this.#res.headers.get(header) ?? undefined;
  }

  getBody(): string {
    return this.#body;
  }

  getUnderlyingObject(): unknown {
    return this.#res;
  }
}
