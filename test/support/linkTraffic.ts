import { connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnectionObserver } from './httpObserver.ts';
import type { LinkSettings } from './linkProfiles.ts';

const TICK_MS = 10;
// Idle credit a direction may save up: a modem does not bank minutes of unused capacity.
const BURST_MS = 50;
// When a SYN lost on a dead link is sent again (Linux, tcp_syn_retries = 6), and when TCP gives up.
const SYN_RETRY_MS = [1_000, 3_000, 7_000, 15_000, 31_000, 63_000];
const SYN_GIVE_UP_MS = 127_000;

/** What the link carried and did. */
export interface LinkStats {
  /** Uplink bytes that used link capacity, including bytes lost in a cut. */
  upBytes: number;
  /** Uplink bytes handed to the server. */
  upDeliveredBytes: number;
  /** Downlink bytes that used link capacity. */
  downBytes: number;
  /** Downlink bytes handed to the browser. */
  downDeliveredBytes: number;
  /** Connections accepted (passed on or held). */
  connections: number;
  /** New connections reset at once while the link was down. */
  refused: number;
  /** Connections destroyed by a reset or an outage, or whose held SYN timed out. */
  resets: number;
  /** Open connections silenced for good. */
  blackholes: number;
}

/** What happens to a new connection: it passes, is reset at once, or is held silent. */
export type Admission = 'accept' | 'refuse' | 'hang';

/** One direction of one connection. */
export interface Lane {
  /** Bytes waiting for link capacity. */
  queue: Buffer[];
  queued: number;
  /** Bytes on their way, due at `at`; null data stands for the sender's end of stream. */
  line: { at: number; data: Buffer | null }[];
  lastAt: number;
  /** Bytes that used link capacity. */
  passed: number;
  /** Bytes handed to the far end. */
  total: number;
}

/** One connection through the link: the browser's socket and, once it passes, the server's. */
export interface Conn {
  client: Socket;
  upstream: Socket | null;
  state: 'held' | 'open' | 'blackholed' | 'closed';
  acceptedAt: number;
  /** The TCP handshake across the link is done: no uplink byte may leave before. */
  readyAt: number;
  up: Lane;
  down: Lane;
  observer: ConnectionObserver;
  /** The server closed its side; the end goes down the link after the last bytes. */
  upstreamEnded: boolean;
}

const lane = (): Lane => ({ queue: [], queued: 0, line: [], lastAt: 0, passed: 0, total: 0 });

/** One direction's capacity: a token bucket shared by every connection; rate 0 means unlimited. */
export class TokenBucket {
  tokens = 0;
  /** Bytes were left waiting at the last send: the link has been sending since. */
  backlog = false;
  private last = performance.now();

  constructor(public rate: number) {
    this.setRate(rate);
  }

  setRate(rate: number): void {
    this.rate = rate;
    this.tokens = rate > 0 ? Math.min(this.tokens, this.cap()) : Number.POSITIVE_INFINITY;
  }

  // An idle link banks only BURST_MS of credit; a busy one earns all the time since the last refill
  // (up to a second), so a late timer on a loaded machine does not slow the link down.
  refill(now: number): void {
    const earned = (Math.min(now - this.last, 1_000) / 1000) * this.rate;
    if (this.rate > 0)
      this.tokens = Math.min(this.backlog ? Math.max(this.cap(), earned) : this.cap(), this.tokens + earned);
    this.last = now;
  }

  /** Bytes a connection may keep waiting in this direction before its sender is paused. */
  highWater(): number {
    return this.rate > 0 ? Math.max(64 * 1024, this.rate / 10) : 256 * 1024;
  }

  private cap(): number {
    return Math.max(1, (this.rate * BURST_MS) / 1000);
  }
}

/** What the traffic asks of its owner. */
export interface TrafficHooks {
  /** What to do with a new connection now. */
  admission(): Admission;
  /** The request observer for connection number `connection`. */
  observe(connection: number): ConnectionObserver;
  /** Uplink bytes that may pass before the owner wants to act (a scripted step); Infinity if none. */
  uplinkRoom(): number;
  /** Uplink bytes used capacity at `now` (already counted). */
  uplinkPassed(now: number): void;
  /** Runs `fn` after `ms` unless the owner closes first. */
  after(ms: number, fn: () => void): void;
}

const noop = () => {};

/**
 * The connections through the link and the bytes on them: a loopback proxy in front of `target`.
 * Each direction is paced by one token bucket shared by all connections, then delayed (order kept
 * within a connection), and each sender is paused while too much of its data waits, so a large
 * upload is not buffered here. Runs every 10 ms and on every arrival of data.
 */
export class LinkTraffic {
  readonly conns = new Set<Conn>();
  readonly upBucket: TokenBucket;
  readonly downBucket: TokenBucket;
  delayMs: number;
  jitterMs: number;
  /** Nothing moves before this time (a burst of loss). */
  holdUntil = 0;
  private readonly tick: NodeJS.Timeout;
  private readonly server = createServer((client) => this.accept(client));

  constructor(
    private readonly target: URL,
    settings: Partial<LinkSettings>,
    private readonly stats: LinkStats,
    private readonly hooks: TrafficHooks,
  ) {
    this.upBucket = new TokenBucket(settings.uplinkBytesPerSec ?? 0);
    this.downBucket = new TokenBucket(settings.downlinkBytesPerSec ?? 0);
    this.delayMs = settings.delayMs ?? 0;
    this.jitterMs = settings.jitterMs ?? 0;
    this.tick = setInterval(() => this.pump(), TICK_MS).unref();
  }

  /** Listens on a free loopback port; resolves to the proxy's URL. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : '');
      });
    });
  }

  /** Destroys every open (or held) connection at once, with a reset towards the browser; returns how many. */
  resetOpen(): number {
    const victims = [...this.conns].filter((c) => c.state === 'open' || c.state === 'held');
    for (const conn of victims) this.drop(conn, true);
    this.stats.resets += victims.length;
    return victims.length;
  }

  /** Silences every open connection for good: it stays open and nothing passes; returns how many. */
  blackholeOpen(): number {
    const victims = [...this.conns].filter((c) => c.state === 'open');
    for (const conn of victims) {
      conn.state = 'blackholed';
      conn.client.pause();
      conn.upstream?.pause();
      conn.up = lane();
      conn.down = lane();
      conn.observer.closed();
    }
    this.stats.blackholes += victims.length;
    return victims.length;
  }

  /** Stops: every connection is destroyed. */
  async close(): Promise<void> {
    clearInterval(this.tick);
    for (const conn of this.conns) this.drop(conn, false);
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Moves what capacity allows onto the line, delivers what is due, and paces the senders. */
  pump(): void {
    const now = performance.now();
    this.upBucket.refill(now);
    this.downBucket.refill(now);
    if (now >= this.holdUntil) {
      this.send('up', now);
      this.send('down', now);
      for (const conn of this.conns) this.deliver(conn, now);
    }
    for (const conn of this.conns) {
      if (conn.state !== 'open') continue;
      const upFull = conn.up.queued + (conn.upstream?.writableLength ?? 0) > this.upBucket.highWater();
      const downFull = conn.down.queued + conn.client.writableLength > this.downBucket.highWater();
      if (upFull) conn.client.pause();
      else conn.client.resume();
      if (downFull) conn.upstream?.pause();
      else conn.upstream?.resume();
    }
  }

  private accept(client: Socket): void {
    client.on('error', noop);
    if (this.hooks.admission() === 'refuse') {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const now = performance.now();
    const conn: Conn = {
      client,
      upstream: null,
      state: 'held',
      acceptedAt: now,
      readyAt: now,
      up: lane(),
      down: lane(),
      observer: this.hooks.observe(++this.stats.connections),
      upstreamEnded: false,
    };
    this.conns.add(conn);
    client.on('data', (data: Buffer) => {
      if (conn.state !== 'open' && conn.state !== 'held') return;
      conn.observer.uplink(data);
      this.arrive(conn, 'up', data);
    });
    client.on('close', () => conn.state !== 'blackholed' && this.drop(conn, false));
    if (this.hooks.admission() === 'accept') this.open(conn);
    else this.hold(conn, 0);
  }

  // A new connection on a dead link: its SYN is lost, and sent again by the device's TCP until the
  // link passes it or TCP gives up.
  private hold(conn: Conn, retry: number): void {
    conn.client.pause();
    const wait = (SYN_RETRY_MS[retry] ?? SYN_GIVE_UP_MS) - (performance.now() - conn.acceptedAt);
    this.hooks.after(wait, () => {
      if (conn.state !== 'held') return;
      const givenUp = retry >= SYN_RETRY_MS.length;
      const admission = this.hooks.admission();
      if (admission === 'accept' && !givenUp) this.open(conn);
      else if (admission === 'hang' && !givenUp) this.hold(conn, retry + 1);
      else {
        this.stats.resets++;
        this.drop(conn, true);
      }
    });
  }

  private open(conn: Conn): void {
    conn.state = 'open';
    conn.readyAt = performance.now() + 2 * this.delayMs;
    const upstream = connect(Number(this.target.port), this.target.hostname);
    conn.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', noop);
    upstream.on('data', (data: Buffer) => {
      if (conn.state !== 'open') return;
      conn.observer.downlink(data);
      this.arrive(conn, 'down', data);
    });
    upstream.on('close', () => {
      conn.upstreamEnded = true;
      this.pump();
    });
    conn.client.resume();
  }

  private arrive(conn: Conn, dir: 'up' | 'down', data: Buffer): void {
    conn[dir].queue.push(data);
    conn[dir].queued += data.length;
    this.pump();
  }

  private drop(conn: Conn, reset: boolean): void {
    if (conn.state === 'closed') return;
    conn.state = 'closed';
    this.conns.delete(conn);
    conn.observer.closed();
    if (reset) conn.client.resetAndDestroy();
    else conn.client.destroy();
    conn.upstream?.destroy();
  }

  // Shares the bucket's tokens evenly among the connections with bytes waiting.
  private send(dir: 'up' | 'down', now: number): void {
    const bucket = dir === 'up' ? this.upBucket : this.downBucket;
    const waiting = (c: Conn) =>
      c.state === 'open' && c[dir].queued > 0 && (dir === 'down' || now >= c.readyAt);
    let active = [...this.conns].filter(waiting);
    for (let moved = true; moved && active.length && bucket.tokens >= 1; ) {
      moved = false;
      const share = Math.max(1, Math.floor(bucket.tokens / active.length));
      for (const conn of active) {
        const from = conn[dir];
        let n = Math.min(share, from.queued, Math.floor(bucket.tokens));
        if (dir === 'up') n = Math.min(n, this.hooks.uplinkRoom());
        if (conn.state !== 'open' || n <= 0) continue;
        moved = true;
        bucket.tokens -= n;
        const at = Math.max(from.lastAt, now + this.delayMs + this.jitterMs * Math.random());
        from.lastAt = at;
        for (let left = n; left > 0; ) {
          const head = from.queue[0] as Buffer;
          const piece = head.length <= left ? (from.queue.shift() as Buffer) : head.subarray(0, left);
          if (piece !== head) from.queue[0] = head.subarray(left);
          from.line.push({ at, data: piece });
          left -= piece.length;
        }
        from.queued -= n;
        from.passed += n;
        if (dir === 'down') this.stats.downBytes += n;
        else {
          this.stats.upBytes += n;
          conn.observer.passed(from.passed);
          this.hooks.uplinkPassed(now);
        }
      }
      active = active.filter(waiting);
    }
    bucket.backlog = active.length > 0;
    if (dir === 'down') {
      for (const conn of this.conns) {
        if (conn.state !== 'open' || !conn.upstreamEnded || conn.down.queued) continue;
        conn.upstreamEnded = false;
        conn.down.line.push({ at: Math.max(conn.down.lastAt, now + this.delayMs), data: null });
      }
    }
  }

  private deliver(conn: Conn, now: number): void {
    const { up, down } = conn;
    while (conn.state === 'open' && up.line[0] && up.line[0].at <= now) {
      const data = up.line.shift()?.data as Buffer;
      if (!conn.upstream || conn.upstream.destroyed) {
        // The server closed its side: like its kernel, answer more data with a reset, so the sender
        // stops instead of feeding the link a body nobody reads.
        this.drop(conn, true);
        return;
      }
      conn.upstream.write(data);
      up.total += data.length;
      this.stats.upDeliveredBytes += data.length;
      conn.observer.delivered(up.total);
    }
    while (conn.state === 'open' && down.line[0] && down.line[0].at <= now) {
      const data = down.line.shift()?.data;
      if (!data) {
        conn.client.end();
        continue;
      }
      conn.client.write(data);
      down.total += data.length;
      this.stats.downDeliveredBytes += data.length;
    }
  }
}
