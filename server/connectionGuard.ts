import type http from 'node:http';
import type { Socket } from 'node:net';
import { TokenBuckets } from './tokenBuckets.ts';

/** Limits on connections and on failed authentication, per remote address and in total. */
export type ConnectionLimits = {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Failed authentications an address may make per second on average, and in a burst. */
  authFailureRate: number;
  authFailureBurst: number;
};

// After an answer that leaves a body unread, the peer gets this long to read it before the socket
// is destroyed: long enough for the answer to arrive, short enough that trickling bytes cannot
// keep the connection (the idle timer restarts with every byte; this does not).
const LINGER_MS = 1_000;
// Address buckets kept before full ones (addresses that stopped failing) are forgotten.
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Guards the listening socket: caps connections per address and in total, rate limits failed
 * authentication per address, and closes connections whose request body the server will not read.
 */
export class ConnectionGuard {
  private readonly limits: ConnectionLimits;
  private readonly perAddress = new Map<string, number>();
  private readonly failures: TokenBuckets;
  private total = 0;
  /** Connections refused by the caps since start. */
  refused = 0;

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
    this.failures = new TokenBuckets({ rate: limits.authFailureRate, burst: limits.authFailureBurst });
  }

  /** Open connections now. */
  get open(): number {
    return this.total;
  }

  /** Counts connections as they open and close; destroys those over a cap at once. */
  attach(server: http.Server): void {
    server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const mine = this.perAddress.get(address) ?? 0;
      if (this.total >= this.limits.maxConnections || mine >= this.limits.maxConnectionsPerAddress) {
        this.refused++;
        socket.destroy();
        return;
      }
      this.total++;
      this.perAddress.set(address, mine + 1);
      socket.once('close', () => {
        this.total--;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.perAddress.set(address, left);
        else this.perAddress.delete(address);
      });
    });
  }

  /** Seconds `address` must wait before its next authentication attempt; 0 when it may try now. */
  authWait(address: string, now = Date.now()): number {
    return this.failures.wait(address, now);
  }

  /** Counts one failed authentication from `address`. */
  authFailed(address: string, now = Date.now()): void {
    this.failures.spend(address, now);
    if (this.failures.size > MAX_TRACKED_ADDRESSES) this.failures.forgetFull(now);
  }

  /**
   * Closes the connection after a refusal that says `Connection: close` (a failed or throttled
   * sign-in, a PATCH at a stale offset) if its request body was left unread. Other early answers, such as a device's 429 in
   * the middle of its PATCH, keep the connection: Node reads and drops the rest of the body, and the
   * client gets the answer it can act on instead of a connection reset it would take for a dead link.
   */
  watch(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.once('finish', () => {
      if (!req.complete && String(res.getHeader('Connection')).toLowerCase() === 'close')
        lingerThenDestroy(req.socket);
    });
  }
}

function lingerThenDestroy(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
