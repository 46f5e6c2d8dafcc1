import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../server/log.ts';
import { metricValue } from '../support/metrics.ts';
import { compiledServer } from './compiled.ts';
import {
  ADMIN,
  ADMIN_TOKEN,
  bytes,
  encodeMetadata,
  OCTETS,
  startServer,
  TUS,
  tempDir,
  until,
} from './helpers.ts';

const compiled = compiledServer();

/** A raw connection from `localAddress`; `closed` settles when the server (or anyone) closes it. */
function connect(url: string, localAddress = '127.0.0.1') {
  const { port } = new URL(url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port), localAddress });
  let received = '';
  socket.on('data', (d) => {
    received += d;
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const ready = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed, ready, status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0) };
}

/** One request from `localAddress` (fetch cannot choose it); resolves to the status and body. */
function requestFrom(
  localAddress: string,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

async function gauge(url: string, name: string, from = '127.0.0.9'): Promise<number> {
  return metricValue((await requestFrom(from, `${url}/metrics`, 'GET', ADMIN)).body, name);
}

describe('unauthenticated connections', () => {
  it('a trickle attack: every connection gets its answer and is closed; memory stays flat', async () => {
    const COUNT = 3000;
    const dataDir = path.join(tempDir(), 'data');
    const server = await compiled.start({
      TENDER_DATA_DIR: dataDir,
      TENDER_ADMIN_TOKEN: ADMIN_TOKEN,
      // Caps high enough that the attack reaches the request handling it is aimed at.
      TENDER_MAX_CONNECTIONS: '5000',
      TENDER_MAX_CONNECTIONS_PER_ADDRESS: '5000',
    });
    const timers: NodeJS.Timeout[] = [];
    try {
      const rssBefore = rssKiB(server.pid);
      const clients = [];
      for (let i = 0; i < COUNT; i++) {
        const c = connect(server.url);
        clients.push(c);
        if (i % 100 === 99) await Promise.all(clients.slice(-100).map((x) => x.ready));
      }
      await Promise.all(clients.map((c) => c.ready));
      const connected = await until(
        () => gauge(server.url, 'tender_open_connections'),
        (n) => n - 1 === COUNT,
      );
      const attackStart = Date.now();
      for (const [i, c] of clients.entries()) {
        c.socket.write(
          'POST /files/ HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 10000000\r\n' +
            `Authorization: Bearer wrong-token-${i}\r\nContent-Length: 10000000\r\n\r\n`,
        );
        // A byte every 100 ms: each one would restart an idle timer.
        timers.push(setInterval(() => c.socket.writable && c.socket.write('x'), 100));
      }
      let peakRss = rssBefore;
      const allClosed = Promise.all(clients.map((c) => c.closed));
      const sampling = (async () => {
        for (let i = 0; i < 100; i++) {
          peakRss = Math.max(peakRss, rssKiB(server.pid));
          const done = await Promise.race([
            allClosed.then(() => true),
            new Promise((r) => setTimeout(r, 100, false)),
          ]);
          if (done) return;
        }
      })();
      const lastClosed = await Promise.race([
        allClosed.then((times) => Math.max(...times)),
        new Promise<number>((r) => setTimeout(r, 15_000, Number.NaN)),
      ]);
      await sampling;
      const stillOpen = clients.filter((c) => !c.socket.destroyed).length;
      const answered = clients.filter((c) => [401, 429].includes(c.status())).length;
      const openAfter = (await gauge(server.url, 'tender_open_connections')) - 1;
      console.log(
        `Trickle attack, ${COUNT} connections: ${connected - 1} open on the server before the requests, ` +
          `all closed ${lastClosed - attackStart} ms after, ${openAfter} open then; ` +
          `RSS ${Math.round(rssBefore / 1024)} MiB before, peak ${Math.round(peakRss / 1024)} MiB`,
      );
      expect(stillOpen).toBe(0);
      expect(answered).toBe(COUNT);
      expect(openAfter).toBe(0);
      expect(peakRss - rssBefore).toBeLessThan(100 * 1024);
    } finally {
      for (const t of timers) clearInterval(t);
      await server.stop();
    }
  }, 60_000);

  it('the answer comes at once and a large body is not read', async () => {
    const s = await startServer();
    try {
      const c = connect(s.url);
      await c.ready;
      c.socket.write(
        'POST /files/ HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Length: 100000000\r\n\r\n',
      );
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 100_000_000 && c.socket.writable && c.socket.write(chunk)) sent += chunk.length;
      };
      c.socket.on('drain', pump);
      pump();
      await c.closed;
      expect(c.status()).toBe(401);
      expect(await s.metric('tender_bytes_received_total')).toBeLessThan(10_000_000);
    } finally {
      await s.close();
    }
  });

  it('headers must arrive within the header deadline', async () => {
    const s = await startServer({ TENDER_HEADERS_TIMEOUT_MS: '1000' });
    try {
      const c = connect(s.url);
      await c.ready;
      const start = Date.now();
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const timer = setInterval(() => c.socket.writable && c.socket.write('X-Slow: y\r\n'), 100);
      const closedAt = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(r, 6000, 0))]);
      clearInterval(timer);
      expect(closedAt).toBeGreaterThan(0);
      expect(closedAt - start).toBeLessThan(3000);
    } finally {
      await s.close();
    }
  });
});

describe('connection caps', () => {
  it('caps connections per address; another address (an honest device) still uploads', async () => {
    const s = await startServer({
      TENDER_MAX_CONNECTIONS_PER_ADDRESS: '20',
      TENDER_HEADERS_TIMEOUT_MS: '60000',
    });
    try {
      const enrolled = await requestFrom(
        '127.0.0.3',
        `${s.url}/api/devices`,
        'POST',
        ADMIN,
        Buffer.from('{"name":"Honest"}'),
      );
      const { token } = JSON.parse(enrolled.body) as { token: string };
      const device = { headers: { ...TUS, Authorization: `Bearer ${token}` } };
      const hog = Array.from({ length: 50 }, () => connect(s.url, '127.0.0.1'));
      const open = await until(
        () => hog.filter((c) => !c.socket.destroyed).length,
        (n) => n === 20,
      );
      expect(open).toBe(20);
      const created = await requestFrom('127.0.0.2', `${s.url}/files/`, 'POST', {
        ...device.headers,
        'Upload-Length': '5',
        'Upload-Metadata': encodeMetadata({ filename: 'a.jpg', filetype: 'image/jpeg' }),
      });
      expect(created.status).toBe(201);
      const url = new URL(String(created.headers.location), s.url).href;
      const patched = await requestFrom(
        '127.0.0.2',
        url,
        'PATCH',
        { ...device.headers, 'Content-Type': OCTETS, 'Upload-Offset': '0' },
        bytes(5),
      );
      expect(patched.status).toBe(204);
      for (const c of hog) c.socket.destroy();
    } finally {
      await s.close();
    }
  });

  it('caps connections in total', async () => {
    const s = await startServer({ TENDER_MAX_CONNECTIONS: '30', TENDER_HEADERS_TIMEOUT_MS: '60000' });
    try {
      const many = Array.from({ length: 40 }, (_, i) => connect(s.url, `127.0.0.${2 + (i % 5)}`));
      const open = await until(
        () => many.filter((c) => !c.socket.destroyed).length,
        (n) => n === 30,
      );
      expect(open).toBe(30);
      for (const c of many) c.socket.destroy();
    } finally {
      await s.close();
    }
  });
});

describe('failed authentication', () => {
  it('is rate limited per address and logged only up to the limit; other addresses are unaffected', async () => {
    const lines: string[] = [];
    const log: Logger = (_level, msg) => {
      lines.push(msg);
    };
    const s = await startServer({}, { log });
    try {
      const device = await s.enroll();
      const statuses: number[] = [];
      let retryAfter: string | string[] | undefined;
      for (let i = 0; i < 60; i++) {
        const path = i % 2 ? '/files/' : '/api/device';
        const res = await requestFrom('127.0.0.2', `${s.url}${path}`, i % 2 ? 'POST' : 'GET', {
          ...TUS,
          Authorization: `Bearer guess-${i}`,
        });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers['retry-after'];
      }
      expect(statuses.slice(0, 20).every((st) => st === 401)).toBe(true);
      expect(statuses.slice(-20)).toEqual(Array(20).fill(429));
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(lines.filter((l) => l === 'auth failed').length).toBeLessThanOrEqual(22);
      // The valid device, from its own address, is not held up.
      const me = await requestFrom('127.0.0.3', `${s.url}/api/device`, 'GET', device.headers);
      expect(me.status).toBe(200);
      // Nor is the admin.
      expect((await requestFrom('127.0.0.3', `${s.url}/api/devices`, 'GET', ADMIN)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
