import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy on loopback that caps the upload direction, like a slow satellite uplink. */
export interface LinkProxy {
  url: string;
  /** Bytes per second from browser to server; 0 means unlimited. */
  setUplink(bytesPerSec: number): void;
  /** The link goes down: open connections drop and new ones are refused until `up()`. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** Starts a proxy in front of `target` (`http://127.0.0.1:PORT`). */
export async function startLinkProxy(target: string, uplinkBytesPerSec: number): Promise<LinkProxy> {
  const { hostname, port } = new URL(target);
  let rate = uplinkBytesPerSec;
  const sockets = new Set<Socket>();
  const tickMs = 20;

  let isDown = false;

  const server: Server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const queue: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    const pump = () => {
      let allowance = rate > 0 ? (rate * tickMs) / 1000 : Number.POSITIVE_INFINITY;
      while (queue.length && allowance > 0) {
        const head = queue[0] as Buffer;
        const take = Math.min(head.length, allowance);
        upstream.write(head.subarray(0, take));
        allowance -= take;
        if (take === head.length) queue.shift();
        else queue[0] = head.subarray(take);
      }
      if (!queue.length && timer) {
        clearInterval(timer);
        timer = null;
        client.resume();
      }
    };
    client.on('data', (data) => {
      queue.push(data);
      if (queue.length > 4) client.pause();
      if (!timer) timer = setInterval(pump, tickMs);
    });
    upstream.on('data', (data) => client.write(data));
    const end = () => {
      if (timer) clearInterval(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy did not start');
  return {
    url: `http://127.0.0.1:${address.port}`,
    setUplink: (bytesPerSec) => {
      rate = bytesPerSec;
    },
    down: () => {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up: () => {
      isDown = false;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
