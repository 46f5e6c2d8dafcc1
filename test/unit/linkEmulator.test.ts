import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LinkEmulator,
  type LinkOptions,
  linkProfiles,
  startLinkEmulator,
} from '../support/linkEmulator.ts';

/** A TCP server that records what each connection sent it, and echoes it back when `echo`. */
async function tcpServer({ echo = false } = {}) {
  const conns: { socket: net.Socket; received: number; text: string }[] = [];
  const server = net.createServer((socket) => {
    const conn = { socket, received: 0, text: '' };
    conns.push(conn);
    socket.on('error', () => {});
    socket.on('data', (data) => {
      conn.received += data.length;
      if (data.length < 100) conn.text += data.toString();
      if (echo) socket.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    conns,
    received: () => conns.reduce((sum, c) => sum + c.received, 0),
    close: () => {
      for (const c of conns) c.socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A client socket through the link; `text` is what came back, `closed` settles on close. */
function client(url: string) {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  const out = { socket, text: '', received: 0, error: '', closed: new Promise<void>(() => {}) };
  socket.on('data', (data) => {
    out.received += data.length;
    if (data.length < 100) out.text += data.toString();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    out.error = error.code ?? error.message;
  });
  out.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Milliseconds until `check()` holds (polled every 2 ms); throws after `limit`. */
async function msUntil(check: () => boolean, limit = 5_000): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > limit) throw new Error('condition not met in time');
    await sleep(2);
  }
  return performance.now() - start;
}

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});
async function setup(options: LinkOptions = {}, server: { echo?: boolean } = {}) {
  const target = await tcpServer(server);
  const link = await startLinkEmulator(target.url, options);
  cleanup.push(
    () => target.close(),
    () => link.close(),
  );
  return { target, link };
}
const open = (link: LinkEmulator) => {
  const c = client(link.url);
  cleanup.push(() => c.socket.destroy());
  return c;
};

describe('rates', () => {
  it('paces the uplink with one bucket shared by every connection', async () => {
    const { target, link } = await setup({ uplinkBytesPerSec: 500_000 });
    const [a, b] = [open(link), open(link)];
    const start = performance.now();
    a.socket.write(Buffer.alloc(600_000));
    b.socket.write(Buffer.alloc(600_000));
    await sleep(1_200);
    // Shared evenly: neither connection is starved.
    const [ra, rb] = target.conns.map((c) => c.received);
    expect(Math.min(ra ?? 0, rb ?? 0) / Math.max(ra ?? 0, rb ?? 1)).toBeGreaterThan(0.8);
    await msUntil(() => target.received() === 1_200_000);
    const rate = 1_200_000 / ((performance.now() - start) / 1000);
    expect(rate).toBeGreaterThan(450_000);
    expect(rate).toBeLessThan(550_000);
    expect(link.stats).toMatchObject({ upBytes: 1_200_000, upDeliveredBytes: 1_200_000, connections: 2 });
  });

  it('paces the downlink', async () => {
    const { target, link } = await setup({ downlinkBytesPerSec: 400_000 });
    const c = open(link);
    await msUntil(() => target.conns.length === 1);
    const start = performance.now();
    target.conns[0]?.socket.write(Buffer.alloc(800_000));
    await msUntil(() => c.received === 800_000);
    const rate = 800_000 / ((performance.now() - start) / 1000);
    expect(rate).toBeGreaterThan(360_000);
    expect(rate).toBeLessThan(440_000);
    expect(link.stats).toMatchObject({ downBytes: 800_000, downDeliveredBytes: 800_000, upBytes: 0 });
  });
});

describe('buffering', () => {
  it('reads no faster than the link sends, so a large upload waits in the sender', async () => {
    const { target, link } = await setup({ uplinkBytesPerSec: 1_000_000 });
    const c = open(link);
    // Written as a sender does: a piece at a time, waiting whenever the socket says it is full.
    let handed = 0;
    const write = () => {
      while (handed < 64 * 1024 * 1024) {
        handed += 64 * 1024;
        if (!c.socket.write(Buffer.alloc(64 * 1024))) return void c.socket.once('drain', write);
      }
    };
    write();
    await sleep(500);
    // What left the sender: the link's queue, loopback buffers of a few MB, and half a second of link.
    expect(handed).toBeLessThan(16 * 1024 * 1024);
    expect(target.received()).toBeLessThan(1_000_000);
  });

  it('an unlimited link passes bulk data at loopback speed', async () => {
    const { target, link } = await setup();
    const c = open(link);
    c.socket.write(Buffer.alloc(64 * 1024 * 1024));
    await msUntil(() => target.received() === 64 * 1024 * 1024, 4_000);
    expect(link.stats.upDeliveredBytes).toBe(64 * 1024 * 1024);
  });
});

describe('delay', () => {
  it('adds the delay each way, and a round trip for the handshake of a new connection', async () => {
    const { link } = await setup({ delayMs: 100 }, { echo: true });
    const c = open(link);
    c.socket.write('a');
    const first = await msUntil(() => c.text === 'a');
    c.socket.write('b');
    const second = await msUntil(() => c.text === 'ab');
    expect(first).toBeGreaterThanOrEqual(395);
    expect(first).toBeLessThan(600);
    expect(second).toBeGreaterThanOrEqual(195);
    expect(second).toBeLessThan(350);
  });
});

describe('jitter', () => {
  it('keeps the bytes of a connection in order whatever delay each piece draws', async () => {
    const { target, link } = await setup({ delayMs: 10, jitterMs: 60 });
    const c = open(link);
    let sent = '';
    for (let i = 0; i < 40; i++) {
      sent += `${i},`;
      c.socket.write(`${i},`);
      await sleep(5);
    }
    await msUntil(() => target.conns[0]?.text.length === sent.length, 2_000);
    expect(target.conns[0]?.text).toBe(sent);
  });
});

describe('faults', () => {
  it('a reset closes the browser and the server side at once', async () => {
    const { target, link } = await setup();
    const c = open(link);
    await msUntil(() => target.conns.length === 1);
    expect(link.reset()).toBe(1);
    expect(await msUntil(() => c.socket.destroyed, 500)).toBeLessThan(100);
    expect(c.error).toBe('ECONNRESET');
    await msUntil(() => target.conns[0]?.socket.destroyed === true, 500);
    expect(link.stats.resets).toBe(1);
    expect(link.faults).toMatchObject([{ kind: 'reset', connections: 1 }]);
  });

  it('a server that closed its side resets a sender that goes on, so no body crosses the link unread', async () => {
    const { target, link } = await setup({ uplinkBytesPerSec: 100_000 });
    const c = open(link);
    await msUntil(() => target.conns.length === 1);
    target.conns[0]?.socket.destroy();
    // The browser keeps writing a body the server will never read.
    c.socket.write(Buffer.alloc(200_000));
    await msUntil(() => c.socket.destroyed, 2_000);
    expect(c.error).toBe('ECONNRESET');
    // A second of link at most went to it, not the two seconds the whole body would take.
    expect(link.stats.upBytes).toBeLessThan(100_000);
  });

  it('a blackholed connection stays open and carries nothing either way; a new one works at once', async () => {
    const { target, link } = await setup({}, { echo: true });
    const a = open(link);
    a.socket.write('x');
    await msUntil(() => a.text === 'x');
    expect(link.blackholeOpen()).toBe(1);
    a.socket.write('y');
    target.conns[0]?.socket.write('z');
    const b = open(link);
    b.socket.write('n');
    expect(await msUntil(() => b.text === 'n')).toBeLessThan(100);
    await sleep(500);
    expect(a.text).toBe('x');
    expect(target.conns[0]?.text).toBe('x');
    expect(a.socket.destroyed).toBe(false);
    expect(link.stats.blackholes).toBe(1);
  });

  it('"hang" accepts new connections and keeps them silent; they pass at the next SYN retry once it ends', async () => {
    const { target, link } = await setup({}, { echo: true });
    const before = open(link);
    await msUntil(() => target.conns.length === 1);
    link.hangNew(true);
    const held = open(link);
    const heldAt = performance.now();
    held.socket.write('q');
    before.socket.write('o');
    expect(await msUntil(() => before.text === 'o')).toBeLessThan(100);
    await sleep(500);
    expect(target.conns).toHaveLength(1);
    expect(held.text).toBe('');
    expect(held.socket.destroyed).toBe(false);
    expect(link.state).toBe('hang');
    link.hangNew(false);
    await msUntil(() => held.text === 'q');
    const passedAfter = performance.now() - heldAt;
    expect(passedAfter).toBeGreaterThanOrEqual(990);
    expect(passedAfter).toBeLessThan(1_500);
    expect(link.timeline.map((t) => t.state)).toEqual(['up', 'hang', 'up']);
  });

  it('an outage drops open connections and refuses new ones, then recovers', async () => {
    const { target, link } = await setup({}, { echo: true });
    const a = open(link);
    await msUntil(() => target.conns.length === 1);
    link.outage(600);
    await a.closed;
    const refused = open(link);
    await refused.closed;
    expect(refused.error).toBe('ECONNRESET');
    expect(target.conns).toHaveLength(1);
    await sleep(650);
    const b = open(link);
    b.socket.write('k');
    await msUntil(() => b.text === 'k');
    expect(link.stats).toMatchObject({ resets: 1, refused: 1, connections: 2 });
    expect(link.timeline.map((t) => t.state)).toEqual(['up', 'down', 'up']);
    const [, down, up] = link.timeline;
    expect((up?.at ?? 0) - (down?.at ?? 0)).toBeGreaterThanOrEqual(599);
    expect(up?.firstUplinkByteAt).toBeGreaterThanOrEqual(up?.at ?? 0);
    expect(down?.firstUplinkByteAt).toBe(up?.firstUplinkByteAt);
    expect(link.msIn('down')).toBeCloseTo(600, -2);
  });

  it('a burst of loss holds every byte, then delivers them all on the same connection', async () => {
    const { target, link } = await setup({ uplinkBytesPerSec: 1_000_000 });
    const c = open(link);
    const start = performance.now();
    c.socket.write(Buffer.alloc(1_000_000));
    await sleep(300);
    link.loss(1_000);
    await sleep(50);
    const early = target.received();
    await sleep(900);
    expect(target.received()).toBe(early);
    expect(link.state).toBe('loss');
    await msUntil(() => target.received() === 1_000_000);
    expect((performance.now() - start) / 1000).toBeGreaterThan(1.9);
    expect(c.socket.destroyed).toBe(false);
    expect(link.stats).toMatchObject({ upBytes: 1_000_000, upDeliveredBytes: 1_000_000, connections: 1 });
    expect(link.timeline.map((t) => t.state)).toEqual(['up', 'loss', 'up']);
  });

  it('records the end of a burst even when its timer fires before the burst is over', async () => {
    const { link } = await setup({ uplinkBytesPerSec: 1_000_000 });
    link.loss(50);
    const began = link.timeline.at(-1)?.at ?? 0;
    // As when a busy event loop's cached clock lags: the burst outlasts the timer set for its end.
    (link as unknown as { traffic: { holdUntil: number } }).traffic.holdUntil += 80;
    await msUntil(() => link.timeline.at(-1)?.state === 'up');
    expect(link.timeline.map((t) => t.state)).toEqual(['up', 'loss', 'up']);
    expect((link.timeline.at(-1)?.at ?? 0) - began).toBeGreaterThanOrEqual(125);
  });

  it('a scripted cut at an uplink byte count: bytes still on the way count as sent, not delivered', async () => {
    const { target, link } = await setup({
      uplinkBytesPerSec: 1_000_000,
      delayMs: 20,
      schedule: [{ atUplinkBytes: 100_000, action: { kind: 'reset' } }],
    });
    const c = open(link);
    c.socket.write(Buffer.alloc(300_000));
    await c.closed;
    await sleep(100);
    expect(link.stats.upBytes).toBe(100_000);
    expect(link.stats.upDeliveredBytes).toBe(target.received());
    expect(link.stats.upDeliveredBytes).toBeLessThan(100_000);
    expect(link.stats.upDeliveredBytes).toBeGreaterThan(30_000);
  });
});

describe('profiles', () => {
  it('plays a profile with a short period', async () => {
    const profile = linkProfiles.geoResets({ everyMs: 300 });
    expect(profile).toMatchObject({ uplinkBytesPerSec: 250_000, delayMs: 300 });
    const { target, link } = await setup(profile);
    open(link);
    await msUntil(() => target.conns.length === 1);
    await msUntil(() => link.stats.resets === 1, 1_000);
    expect(link.faults.length).toBeGreaterThanOrEqual(1);
  });

  it('runs the scripts of starlink, wifiDeadZone and geoStalls, and stops a script when asked', async () => {
    const { link } = await setup(linkProfiles.starlink({ everyMs: 200, lossMs: [50, 100] }));
    const dead = await startLinkEmulator(link.url, linkProfiles.wifiDeadZone({ atMs: 100, forMs: 200 }));
    cleanup.push(() => dead.close());
    const stalls = await startLinkEmulator(link.url, linkProfiles.geoStalls({ everyMs: 100 }));
    cleanup.push(() => stalls.close());
    await sleep(700);
    expect(link.timeline.filter((t) => t.state === 'loss').length).toBeGreaterThanOrEqual(2);
    expect(dead.timeline.map((t) => t.state)).toEqual(['up', 'down', 'up']);
    expect(stalls.faults.length).toBeGreaterThanOrEqual(5);
    const stop = stalls.play([{ atMs: 0, everyMs: 50, action: { kind: 'reset' } }]);
    await sleep(120);
    stop();
    const resets = stalls.faults.filter((f) => f.kind === 'reset').length;
    expect(resets).toBeGreaterThanOrEqual(2);
    await sleep(150);
    expect(stalls.faults.filter((f) => f.kind === 'reset')).toHaveLength(resets);
  });

  it('satellite down behind Wi-Fi: open connections go silent, new ones hang, then pass', async () => {
    const { target, link } = await setup(
      { ...linkProfiles.satDownBehindWifi({ atMs: 100, forMs: 400 }), delayMs: 0 },
      { echo: true },
    );
    const a = open(link);
    await msUntil(() => target.conns.length === 1);
    await msUntil(() => link.state === 'hang');
    a.socket.write('a');
    const b = open(link);
    b.socket.write('b');
    await msUntil(() => b.text === 'b', 2_000);
    expect(a.text).toBe('');
    expect(link.stats).toMatchObject({ blackholes: 1, connections: 2 });
    expect(link.timeline.map((t) => t.state)).toEqual(['up', 'hang', 'up']);
  });
});

describe('HTTP requests', () => {
  it('records each request, when its body reached the server, and its answer', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.method === 'PATCH' ? 204 : 200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const link = await startLinkEmulator(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, {
      uplinkBytesPerSec: 200_000,
    });
    cleanup.push(() => link.close());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanup.push(() => agent.destroy());
    const send = (method: string, path: string, body?: Buffer, chunked = false) =>
      new Promise<number>((resolve, reject) => {
        const headers = chunked ? {} : { 'Content-Length': String(body?.length ?? 0) };
        const req = http.request(`${link.url}${path}`, { method, agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        // Written before the end, a body of unstated length goes chunked.
        if (chunked) req.write(body);
        req.end(chunked ? undefined : body);
      });
    expect(await send('PATCH', '/files/a', Buffer.alloc(100_000))).toBe(204);
    expect(await send('HEAD', '/files/a')).toBe(200);
    const [patch, head] = link.requests;
    expect(patch).toMatchObject({
      connection: 1,
      method: 'PATCH',
      path: '/files/a',
      bodyBytes: 100_000,
      status: 204,
    });
    expect(head).toMatchObject({
      connection: 1,
      method: 'HEAD',
      bodyBytes: 0,
      bodyStartedAt: null,
      status: 200,
    });
    if (!patch?.bodyStartedAt || !patch.sentAt || !patch.endedAt) throw new Error('PATCH not stamped');
    // 100 kB at 200 kB/s: the body takes about half a second to cross.
    expect(patch.sentAt - patch.bodyStartedAt).toBeGreaterThan(400);
    expect(patch.endedAt).toBeGreaterThanOrEqual(patch.sentAt);
    expect(patch.upBytes).toBe(patch.headBytes + 100_000);
    expect(head?.upBytes).toBe(head?.headBytes);
    expect(link.peakOverall('PATCH')).toBe(1);
    expect(link.unparsedConnections).toBe(0);
    await send('POST', '/files', Buffer.from('x'), true);
    expect(link.unparsedConnections).toBe(1);
  });

  it('counts the bytes of each request head and of each answer, however they are split', async () => {
    const answers = ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'HTTP/1.1 204 No Content\r\n\r\n'];
    const server = net.createServer((socket) => {
      let heads = 0;
      socket.on('data', (data) => {
        for (const _ of data.toString('latin1').matchAll(/\r\n\r\n/g)) {
          const answer = answers[heads++] ?? '';
          // Each answer comes in two writes, as a server may send its status line and then the rest.
          socket.write(answer.slice(0, 17));
          setTimeout(() => socket.write(answer.slice(17)), 20);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const link = await startLinkEmulator(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    cleanup.push(() => link.close());
    const c = open(link);
    const probe = 'GET /probe HTTP/1.1\r\nHost: boat\r\n\r\n';
    const progress = 'GET /api/progress/abc HTTP/1.1\r\nHost: boat\r\nAuthorization: Bearer t\r\n\r\n';
    c.socket.write(probe.slice(0, 7));
    await sleep(20);
    c.socket.write(probe.slice(7));
    await msUntil(() => c.received === answers[0]?.length);
    c.socket.write(progress);
    await msUntil(() => c.received === (answers[0]?.length ?? 0) + (answers[1]?.length ?? 0));
    expect(link.requests.map((r) => [r.path, r.headBytes, r.upBytes, r.answerBytes, r.status])).toEqual([
      ['/probe', probe.length, probe.length, answers[0]?.length, 200],
      ['/api/progress/abc', progress.length, progress.length, answers[1]?.length, 204],
    ]);
  });

  it('counts the bytes of a cut request that used the link, not those that never left', async () => {
    const { link } = await setup({
      uplinkBytesPerSec: 1_000_000,
      schedule: [{ atUplinkBytes: 100_000, action: { kind: 'reset' } }],
    });
    const c = open(link);
    c.socket.write('PATCH /files/a HTTP/1.1\r\nContent-Length: 300000\r\n\r\n');
    c.socket.write(Buffer.alloc(300_000));
    await c.closed;
    const [patch] = link.requests;
    expect(patch).toMatchObject({ method: 'PATCH', bodyBytes: 300_000, upBytes: 100_000, status: null });
  });
});
