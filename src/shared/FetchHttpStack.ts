import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import type { Clock } from './engine.ts';
import { type LinkTraffic, StallJudge, type StallLimits } from './stallJudge.ts';
import { after, every, sleepUntil } from './timerClock.ts';
import type { BlobLike, SignalLike } from './types.ts';
import { UploadError } from './UploadError.ts';

/** The parts of an AbortSignal the stack uses. */
export interface AbortSignalLike extends SignalLike {
  readonly reason: unknown;
}

/** The parts of an AbortController the stack uses; the worker's and Node's fit. */
export interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

/** A request as the stack hands it to fetch: fetch's RequestInit, narrowed. */
export interface FetchInit {
  method?: string;
  headers: Record<string, string>;
  body?: BlobLike | null;
  signal: AbortSignalLike;
  cache: 'no-store';
  credentials?: 'same-origin';
}

/** The parts of fetch's Response the stack reads. */
export interface FetchAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The environment's fetch (the worker's, Node's), narrowed to what the stack uses. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchAnswer>;

/** Options of the fetch stack. */
export interface FetchHttpStackOptions {
  /** Limits for a request starting now, from the link's measured round trip. */
  limits: () => StallLimits;
  /** Sends requests: the environment's fetch. */
  fetch: FetchLike;
  /** The environment's AbortController, to stop a request fetch is running. */
  AbortController: new () => AbortControllerLike;
  /** Time for stall deadlines, progress reads and pacing. */
  clock: Clock;
  /**
   * Where to read how many bytes of an upload have reached the server while a PATCH is in flight
   * (the upload URL in, the progress URL out). Without it a PATCH is judged only by its answer.
   */
  progressUrl?: (uploadUrl: string) => string | null;
  /** Told of every answer, transfer, failure and byte on the link. */
  link?: LinkTraffic;
  /** Ms to wait after a PATCH of `bytes` that took `elapsedMs`, to keep under a bandwidth cap. */
  pace?: (bytes: number, elapsedMs: number) => number;
}

/** Slowest rate a PATCH body is allowed when the server's progress cannot be read: 16 KiB/s. */
const MIN_BYTES_PER_SEC = 16 * 1024;
/** Headers a browser adds to each request (User-Agent, Accept, Origin, …), roughly. */
const REQUEST_OVERHEAD = 400;
/** Status line and headers of an answer, roughly. */
const RESPONSE_OVERHEAD = 250;
/** Progress reads in flight at once. */
const MAX_READS = 3;

const secs = (ms: number) => Math.round(ms / 1000);

/** Bytes of the headers set on a request, as they go on the wire. */
function headerBytes(headers: Record<string, string>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) bytes += name.length + value.length + 4;
  return bytes;
}

/**
 * tus-js-client's HTTP stack over fetch, the same in the service worker (where XMLHttpRequest does not
 * exist) and in Node. Every request carries an AbortSignal that fires on a stall: fetch alone can
 * hang forever on a dead satellite link (tus-js-client issues #773, #906).
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
  readonly #controller: AbortControllerLike;

  constructor(method: string, url: string, options: FetchHttpStackOptions) {
    this.#method = method;
    this.#url = url;
    this.#options = options;
    this.#controller = new options.AbortController();
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

  #stall(message: string): void {
    this.#controller.abort(new UploadError('stalled', message));
  }

  /**
   * While a PATCH is in flight, reads the server's count of received bytes: reports it as
   * progress and as goodput, and gives the request up when the count stops moving (StallJudge).
   */
  #watchProgress(limits: StallLimits, bodyBytes: number): () => void {
    const progressUrl = this.#options.progressUrl?.(this.#url);
    const startOffset = Number(this.#headers['Upload-Offset'] ?? Number.NaN);
    if (this.#method !== 'PATCH' || !progressUrl || Number.isNaN(startOffset)) {
      return this.#deadline(limits.answerMs + (bodyBytes * 1000) / MIN_BYTES_PER_SEC);
    }
    const { clock, link, fetch, AbortController } = this.#options;
    const now = () => clock.now();
    const judge = new StallJudge(limits, startOffset, bodyBytes, now());
    const auth = this.#headers.Authorization;
    let lastAt = now();
    let reading = 0;
    const read = async () => {
      reading++;
      const askedAt = now();
      const timeout = new AbortController();
      const stopTimeout = after(clock, limits.readTimeoutMs, () => timeout.abort());
      try {
        const res = await fetch(progressUrl, {
          headers: auth ? { Authorization: auth } : {},
          cache: 'no-store',
          signal: timeout.signal,
        });
        const text = await res.text();
        link?.spent?.(REQUEST_OVERHEAD + RESPONSE_OVERHEAD + text.length, 'progress');
        link?.answered(now() - askedAt);
        const body = res.ok ? (JSON.parse(text) as { received?: unknown; idleMs?: unknown }) : {};
        if (typeof body.received === 'number') {
          const at = now();
          const idleMs = typeof body.idleMs === 'number' ? body.idleMs : undefined;
          const gained = judge.read(body.received, at, idleMs);
          if (gained > 0) {
            link?.transferred(gained, at - lastAt);
            lastAt = at;
            this.#progressed = judge.received - startOffset;
            this.#onProgress?.(this.#progressed);
          }
        }
      } catch {
        // A read with no answer is no news; the judge decides from what it has.
        link?.spent?.(REQUEST_OVERHEAD, 'progress');
      } finally {
        stopTimeout();
        reading--;
      }
    };
    const stopReading = every(clock, limits.readEveryMs, () => {
      // A read may hang on a pooled connection the link killed; the next one does not wait for it,
      // so it gets a live connection and the server's word within a round trip.
      if (reading < MAX_READS) void read();
      const verdict = judge.verdict(now());
      if (verdict === 'silent') this.#stall(`The server received nothing for ${secs(limits.silentMs)} s`);
      else if (verdict === 'blind') this.#stall(`No sign of the server for ${secs(limits.blindMs)} s`);
      else if (verdict === 'no-answer')
        this.#stall(`No answer for ${secs(limits.settleMs)} s after the last byte`);
    });
    this.#sinceLastRead = () => ({ bytes: bodyBytes - (judge.received - startOffset), ms: now() - lastAt });
    return stopReading;
  }

  /** Gives the request up after `ms` with no answer. */
  #deadline(ms: number): () => void {
    return after(this.#options.clock, ms, () => this.#stall(`No answer from the server for ${secs(ms)} s`));
  }

  /** Bytes the server is known to hold of this PATCH's body, from progress reads. */
  #progressed = 0;
  /** Body bytes not yet seen by a progress read, and time since the last read that saw some. */
  #sinceLastRead: (() => { bytes: number; ms: number }) | null = null;

  async send(blob?: BlobLike | null): Promise<HttpResponse> {
    const size = blob?.size ?? 0;
    // Sent as the Blob itself: Chromium streams a Blob body from its file about 4× faster than an
    // ArrayBuffer body from a service worker (2 MiB PATCH on loopback: ~30 ms against ~120 ms), and
    // Node reads a Blob from disk (fs.openAsBlob) only as it sends it.
    const body: BlobLike | null = blob ?? null;
    const isPatch = this.#method === 'PATCH';
    const { clock, link, fetch } = this.#options;
    const limits = this.#options.limits();
    const startedAt = clock.now();
    const stopWatching = this.#watchProgress(limits, size);
    const sentBytes = REQUEST_OVERHEAD + headerBytes(this.#headers) + size;
    try {
      const res = await fetch(this.#url, {
        method: this.#method,
        headers: this.#headers,
        body,
        signal: this.#controller.signal,
        cache: 'no-store',
        credentials: 'same-origin',
      });
      const text = await res.text();
      const elapsed = clock.now() - startedAt;
      link?.spent?.(sentBytes + RESPONSE_OVERHEAD + text.length, isPatch ? 'payload' : 'control');
      if (!isPatch || size === 0) link?.answered(elapsed);
      else {
        link?.answered();
        const rest = this.#sinceLastRead?.() ?? { bytes: size, ms: elapsed };
        if (res.ok && rest.bytes > 0) link?.transferred(rest.bytes, rest.ms);
      }
      const pause = isPatch ? (this.#options.pace?.(sentBytes, elapsed) ?? 0) : 0;
      if (pause > 0) await sleepUntil(clock, clock.now() + pause, this.#controller.signal);
      return new FetchHttpResponse(res, text);
    } catch (err) {
      // A failed body counts in full: fetch cannot say how much of it left.
      link?.spent?.(sentBytes, isPatch ? 'retry' : 'control');
      const reason = this.#controller.signal.reason;
      // Stopped on purpose (pause, yield) says nothing about the link.
      if (reason instanceof UploadError || !this.#controller.signal.aborted) link?.failed();
      if (reason instanceof UploadError) throw reason;
      throw err;
    } finally {
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
  readonly #res: FetchAnswer;
  readonly #body: string;

  constructor(res: FetchAnswer, body: string) {
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
