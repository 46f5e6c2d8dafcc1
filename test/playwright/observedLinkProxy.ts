import { connect, createServer, type Server, type Socket } from 'node:net';

/** One HTTP request as the proxy saw it pass from the browser towards the server. */
export interface SeenRequest {
  /** Which TCP connection carried it (1, 2, …). */
  connection: number;
  method: string;
  /** Path and query, e.g. `/files/abc`. */
  path: string;
  /** Declared body length. */
  bodyBytes: number;
  /** When the request line reached the proxy (ms since epoch). */
  startedAt: number;
  /** When the first byte of the answer came back, or the connection closed; null while in flight. */
  endedAt: number | null;
  /** Status of the answer; null when the connection closed before any answer. */
  status: number | null;
}

/** A link proxy that also records every request and how many of a kind were in flight at once. */
export interface ObservedLinkProxy {
  url: string;
  /** Bytes per second from browser to server; 0 means unlimited. */
  setUplink(bytesPerSec: number): void;
  close(): Promise<void>;
  /** Every request seen so far, in order of arrival. */
  readonly requests: readonly SeenRequest[];
  /** Highest number of requests of `method` in flight at the same time on one path. */
  peakPerPath(method: string): number;
  /** Highest number of requests of `method` in flight at the same time, all paths together. */
  peakOverall(method: string): number;
  /** Connections whose requests could not be followed (e.g. a chunked body); should stay 0. */
  readonly unparsedConnections: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Starts a proxy in front of `target` (`http://127.0.0.1:PORT`) that caps the upload direction like
 * `startLinkProxy`, and follows the HTTP/1.1 requests on each connection. A request counts as in
 * flight from the moment its request line reaches the proxy until its answer starts or its
 * connection closes. Browsers do not pipeline, so the first bytes coming back on a connection
 * answer the request sent last on it.
 */
export async function startObservedLinkProxy(
  target: string,
  uplinkBytesPerSec: number,
): Promise<ObservedLinkProxy> {
  const { hostname, port } = new URL(target);
  let rate = uplinkBytesPerSec;
  const sockets = new Set<Socket>();
  const tickMs = 20;
  const requests: SeenRequest[] = [];
  const inFlightPerPath = new Map<string, number>();
  const inFlightPerMethod = new Map<string, number>();
  const peakPath = new Map<string, number>();
  const peakMethod = new Map<string, number>();
  let connections = 0;
  let unparsed = 0;

  const begin = (req: SeenRequest) => {
    requests.push(req);
    const key = `${req.method} ${req.path}`;
    const onPath = (inFlightPerPath.get(key) ?? 0) + 1;
    const overall = (inFlightPerMethod.get(req.method) ?? 0) + 1;
    inFlightPerPath.set(key, onPath);
    inFlightPerMethod.set(req.method, overall);
    peakPath.set(req.method, Math.max(peakPath.get(req.method) ?? 0, onPath));
    peakMethod.set(req.method, Math.max(peakMethod.get(req.method) ?? 0, overall));
  };
  const end = (req: SeenRequest, status: number | null) => {
    if (req.endedAt !== null) return;
    req.endedAt = Date.now();
    req.status = status;
    const key = `${req.method} ${req.path}`;
    inFlightPerPath.set(key, (inFlightPerPath.get(key) ?? 1) - 1);
    inFlightPerMethod.set(req.method, (inFlightPerMethod.get(req.method) ?? 1) - 1);
  };

  const server: Server = createServer((client) => {
    const connection = ++connections;
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const queue: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;

    // Request parser: headers accumulate in `head`, then `bodyLeft` bytes of body are skipped.
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    let lost = false;
    let open: SeenRequest | null = null;
    const parse = (data: Buffer) => {
      let rest = data;
      while (rest.length && !lost) {
        if (bodyLeft > 0) {
          const skip = Math.min(bodyLeft, rest.length);
          bodyLeft -= skip;
          rest = rest.subarray(skip);
          continue;
        }
        head = Buffer.concat([head, rest]);
        rest = Buffer.alloc(0);
        const at = head.indexOf(HEAD_END);
        if (at < 0) return;
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
          unparsed++;
        }
        bodyLeft = Number(headers.get('content-length') ?? 0);
        if (open) end(open, null);
        open = {
          connection,
          method,
          path,
          bodyBytes: bodyLeft,
          startedAt: Date.now(),
          endedAt: null,
          status: null,
        };
        begin(open);
      }
    };

    const pump = () => {
      let allowance = rate > 0 ? (rate * tickMs) / 1000 : Number.POSITIVE_INFINITY;
      while (queue.length && allowance > 0) {
        const chunk = queue[0] as Buffer;
        const take = Math.min(chunk.length, allowance);
        upstream.write(chunk.subarray(0, take));
        allowance -= take;
        if (take === chunk.length) queue.shift();
        else queue[0] = chunk.subarray(take);
      }
      if (!queue.length && timer) {
        clearInterval(timer);
        timer = null;
        client.resume();
      }
    };
    client.on('data', (data) => {
      parse(data);
      queue.push(data);
      if (queue.length > 4) client.pause();
      if (!timer) timer = setInterval(pump, tickMs);
    });
    upstream.on('data', (data) => {
      if (open) {
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(data.subarray(0, 16).toString('latin1'));
        end(open, status ? Number(status[1]) : null);
        open = null;
      }
      client.write(data);
    });
    const close = () => {
      if (timer) clearInterval(timer);
      if (open) end(open, null);
      open = null;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy did not start');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    peakPerPath: (method) => peakPath.get(method) ?? 0,
    peakOverall: (method) => peakMethod.get(method) ?? 0,
    get unparsedConnections() {
      return unparsed;
    },
    setUplink: (bytesPerSec) => {
      rate = bytesPerSec;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
