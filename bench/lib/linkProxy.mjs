import net from 'node:net';
import { performance } from 'node:perf_hooks';

const TICK_MS = 10;
// Idle credit the uplink may save up: a real modem does not bank minutes of unused capacity.
const BURST_MS = 50;
const HIGH_WATER = 64 * 1024;

/**
 * A loopback TCP proxy playing a satellite link: the client-to-server direction is paced by one
 * token bucket shared by all connections, both directions are delayed by `delayMs`, and the
 * connection carrying the uplink byte number `dropAtUpBytes` is cut there (once).
 * `stats.upBytes` counts bytes that used uplink capacity, including bytes lost in a cut.
 */
export async function startLinkProxy(target, { uplinkBytesPerSec, delayMs = 0, dropAtUpBytes }) {
  const { hostname, port } = new URL(target);
  const stats = { upBytes: 0, downBytes: 0, connections: 0, drops: 0, dropAtMs: undefined };
  const connections = new Set();
  const opened = performance.now();
  let tokens = 0;
  let last = performance.now();

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    const timers = new Set();
    const conn = { client, upstream, queue: [], queued: 0, closed: false };
    const later = (fn) => {
      if (!delayMs) return fn();
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, delayMs);
      timers.add(timer);
    };
    conn.later = later;
    conn.destroy = () => {
      if (conn.closed) return;
      conn.closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      conn.queue = [];
      client.destroy();
      upstream.destroy();
      connections.delete(conn);
    };
    stats.connections++;
    connections.add(conn);
    client.on('data', (data) => {
      conn.queue.push(data);
      conn.queued += data.length;
      if (conn.queued > HIGH_WATER) client.pause();
    });
    upstream.on('data', (data) => {
      stats.downBytes += data.length;
      later(() => client.write(data));
    });
    // The server's last bytes are still on their way down; close after them.
    upstream.on('close', () => later(conn.destroy));
    client.on('close', conn.destroy);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });

  const pump = () => {
    const now = performance.now();
    tokens = Math.min(
      (uplinkBytesPerSec * BURST_MS) / 1000,
      tokens + ((now - last) / 1000) * uplinkBytesPerSec,
    );
    last = now;
    for (const conn of connections) {
      while (tokens >= 1 && conn.queue.length && !conn.closed) {
        const head = conn.queue[0];
        let take = Math.min(head.length, Math.floor(tokens));
        const cut = dropAtUpBytes !== undefined && !stats.drops;
        if (cut) take = Math.min(take, dropAtUpBytes - stats.upBytes);
        const piece = head.subarray(0, take);
        if (take === head.length) conn.queue.shift();
        else conn.queue[0] = head.subarray(take);
        conn.queued -= take;
        tokens -= take;
        stats.upBytes += take;
        if (cut && stats.upBytes >= dropAtUpBytes) {
          stats.drops++;
          stats.dropAtMs = Math.round(performance.now() - opened);
          conn.destroy();
          break;
        }
        conn.later(() => conn.upstream.write(piece));
      }
      if (!conn.closed && conn.queued <= HIGH_WATER) conn.client.resume();
    }
  };
  const timer = setInterval(pump, TICK_MS);

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    async close() {
      clearInterval(timer);
      for (const conn of connections) conn.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
