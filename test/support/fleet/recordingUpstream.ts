import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a recording upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Which of the upstream's connections carried it (1, 2, …). */
  connection: number;
  /** ms since the epoch of the first body byte, if any. */
  firstByteAt: number | null;
  bytes: number;
  sha256: string;
}

/**
 * A tiny HTTP server standing in for one app instance behind a proxy: it reads each body as it
 * streams in, says when a request's first body byte arrives, and answers
 * `{ upstream, bytes, sha256 }` once the body has ended.
 */
export class RecordingUpstream {
  readonly name: string;
  readonly requests: SeenRequest[] = [];
  private readonly server: Server;
  private readonly events = new EventEmitter();
  private readonly connectionIds = new WeakMap<Socket, number>();
  private connections = 0;

  constructor(name: string) {
    this.name = name;
    this.server = createServer((req, res) => {
      const hash = createHash('sha256');
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        connection: this.connectionIds.get(req.socket) ?? 0,
        firstByteAt: null,
        bytes: 0,
        sha256: '',
      };
      this.requests.push(seen);
      req.on('data', (chunk: Buffer) => {
        if (seen.firstByteAt === null) {
          seen.firstByteAt = Date.now();
          this.events.emit('first-byte', req.headers['x-request-name']);
        }
        seen.bytes += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        seen.sha256 = hash.digest('hex');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ upstream: this.name, bytes: seen.bytes, sha256: seen.sha256 }));
      });
    });
    this.server.on('connection', (socket) => this.connectionIds.set(socket, ++this.connections));
  }

  /** Starts listening on a free loopback port; resolves with `127.0.0.1:PORT`. */
  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves when the first body byte of the request sent with `x-request-name: name` arrives. */
  firstByteOf(name: string): Promise<void> {
    return new Promise((resolve) => {
      const onFirst = (seenName: unknown) => {
        if (seenName !== name) return;
        this.events.off('first-byte', onFirst);
        resolve();
      };
      this.events.on('first-byte', onFirst);
    });
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
