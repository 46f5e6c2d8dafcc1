/** One HTTP request as the link saw it pass from the browser towards the server. */
export interface SeenRequest {
  /** Which TCP connection carried it (1, 2, …). */
  connection: number;
  method: string;
  /** Path and query, e.g. `/files/abc`. */
  path: string;
  /** Bytes of the request line and headers, with the blank line that ends them. */
  headBytes: number;
  /** Declared body length. */
  bodyBytes: number;
  /** Bytes of this request (head and body) that used uplink capacity so far; cut ones included. */
  upBytes: number;
  /** When the request line reached the link (ms since epoch). */
  startedAt: number;
  /** When the first byte of the body reached the server; null before that or with no body. */
  bodyStartedAt: number | null;
  /** When the last byte of the request (head or body) reached the server; null before that. */
  sentAt: number | null;
  /** When the first byte of the answer came back, or the connection closed; null while in flight. */
  endedAt: number | null;
  /** Status of the answer; null when the connection closed before any answer. */
  status: number | null;
  /** Bytes of the answer (head and body) the server sent towards the browser so far. */
  answerBytes: number;
}

/** What the link learnt about the HTTP/1.1 requests it carried. */
export interface HttpRequestLog {
  /** Every request seen so far, in order of arrival. */
  readonly requests: readonly SeenRequest[];
  /** Highest number of requests of `method` in flight at the same time on one path. */
  peakPerPath(method: string): number;
  /** Highest number of requests of `method` in flight at the same time, all paths together. */
  peakOverall(method: string): number;
  /** Connections whose requests could not be followed (a chunked body, not HTTP); should stay 0. */
  readonly unparsedConnections: number;
}

/** The observer's hooks for one TCP connection. */
export interface ConnectionObserver {
  /** Bytes from the browser, as they reach the link. */
  uplink(data: Buffer): void;
  /** `total` bytes of this connection have now used uplink capacity in all. */
  passed(total: number): void;
  /** The server has now been handed `total` bytes of this connection in all. */
  delivered(total: number): void;
  /** Bytes from the server, as they reach the link. */
  downlink(data: Buffer): void;
  closed(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** Longer than any request head a browser sends: past this, the connection is not HTTP as we know it. */
const MAX_HEAD = 64 * 1024;

/**
 * Follows the HTTP/1.1 requests on each connection. A request counts as in flight from the moment
 * its request line reaches the link until its answer starts or its connection closes. Browsers do
 * not pipeline, so the first bytes coming back on a connection answer the request sent last on it.
 */
export class HttpObserver implements HttpRequestLog {
  readonly requests: SeenRequest[] = [];
  private readonly inFlightPerPath = new Map<string, number>();
  private readonly inFlightPerMethod = new Map<string, number>();
  private readonly peakPath = new Map<string, number>();
  private readonly peakMethod = new Map<string, number>();
  private unparsed = 0;

  constructor(private readonly now: () => number) {}

  get unparsedConnections(): number {
    return this.unparsed;
  }

  peakPerPath(method: string): number {
    return this.peakPath.get(method) ?? 0;
  }

  peakOverall(method: string): number {
    return this.peakMethod.get(method) ?? 0;
  }

  /** Starts following connection number `connection`. */
  connection(connection: number): ConnectionObserver {
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    let lost = false;
    let open: SeenRequest | null = null;
    // The request whose answer is coming back: later bytes on the connection belong to it.
    let answering: SeenRequest | null = null;
    // Bytes of this connection seen so far, and the stream offsets at which a request's body starts
    // and ends, to stamp when the server got them.
    let seen = 0;
    const marks: { offset: number; request: SeenRequest; field: 'bodyStartedAt' | 'sentAt' }[] = [];
    // Where each request not yet wholly across the link starts and ends in the stream.
    const spans: { request: SeenRequest; start: number; end: number }[] = [];
    const uplink = (data: Buffer) => {
      let rest = data;
      seen += data.length;
      while (rest.length && !lost) {
        if (bodyLeft > 0) {
          const skip = Math.min(bodyLeft, rest.length);
          bodyLeft -= skip;
          rest = rest.subarray(skip);
          continue;
        }
        const headStart = seen - rest.length - head.length;
        head = Buffer.concat([head, rest]);
        const at = head.indexOf(HEAD_END);
        if (at < 0) {
          if (head.length > MAX_HEAD) {
            lost = true;
            this.unparsed++;
            head = Buffer.alloc(0);
          }
          return;
        }
        const lines = head.subarray(0, at).toString('latin1').split('\r\n');
        rest = head.subarray(at + HEAD_END.length);
        head = Buffer.alloc(0);
        const [method = '', path = ''] = (lines[0] ?? '').split(' ');
        const headers = new Map(
          lines.slice(1).map((l) => {
            const colon = l.indexOf(':');
            return [l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()] as const;
          }),
        );
        if (headers.has('transfer-encoding')) {
          lost = true;
          this.unparsed++;
        }
        bodyLeft = Number(headers.get('content-length') ?? 0);
        if (open) this.end(open, null);
        open = {
          connection,
          method,
          path,
          headBytes: at + HEAD_END.length,
          bodyBytes: bodyLeft,
          upBytes: 0,
          startedAt: this.now(),
          bodyStartedAt: null,
          sentAt: null,
          endedAt: null,
          status: null,
          answerBytes: 0,
        };
        answering = null;
        this.begin(open);
        const bodyStart = headStart + at + HEAD_END.length;
        spans.push({ request: open, start: headStart, end: bodyStart + bodyLeft });
        if (bodyLeft > 0) marks.push({ offset: bodyStart + 1, request: open, field: 'bodyStartedAt' });
        marks.push({ offset: bodyStart + bodyLeft, request: open, field: 'sentAt' });
      }
    };
    return {
      uplink,
      passed: (total) => {
        for (const span of spans) {
          if (span.start >= total) break;
          span.request.upBytes = Math.min(total, span.end) - span.start;
        }
        while (spans.length && (spans[0]?.end ?? Number.POSITIVE_INFINITY) <= total) spans.shift();
      },
      delivered: (total) => {
        while (marks.length && (marks[0]?.offset ?? Number.POSITIVE_INFINITY) <= total) {
          const mark = marks.shift();
          if (mark) mark.request[mark.field] = this.now();
        }
      },
      downlink: (data) => {
        if (open) {
          const status = /^HTTP\/1\.[01] (\d{3})/.exec(data.subarray(0, 16).toString('latin1'));
          this.end(open, status ? Number(status[1]) : null);
          answering = open;
          open = null;
        }
        if (answering) answering.answerBytes += data.length;
      },
      closed: () => {
        if (open) this.end(open, null);
        open = null;
        marks.length = 0;
        spans.length = 0;
      },
    };
  }

  private begin(req: SeenRequest): void {
    this.requests.push(req);
    const key = `${req.method} ${req.path}`;
    const onPath = (this.inFlightPerPath.get(key) ?? 0) + 1;
    const overall = (this.inFlightPerMethod.get(req.method) ?? 0) + 1;
    this.inFlightPerPath.set(key, onPath);
    this.inFlightPerMethod.set(req.method, overall);
    this.peakPath.set(req.method, Math.max(this.peakPath.get(req.method) ?? 0, onPath));
    this.peakMethod.set(req.method, Math.max(this.peakMethod.get(req.method) ?? 0, overall));
  }

  private end(req: SeenRequest, status: number | null): void {
    if (req.endedAt !== null) return;
    req.endedAt = this.now();
    req.status = status;
    const key = `${req.method} ${req.path}`;
    this.inFlightPerPath.set(key, (this.inFlightPerPath.get(key) ?? 1) - 1);
    this.inFlightPerMethod.set(req.method, (this.inFlightPerMethod.get(req.method) ?? 1) - 1);
  }
}
