import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  b64,
  bytes,
  encodeMetadata,
  hangingPatch,
  listRecords,
  OCTETS,
  sha256,
  startServer,
  type TestDevice,
  type TestServer,
  until,
} from './helpers.ts';

let s: TestServer;
let device: TestDevice;

beforeAll(async () => {
  s = await startServer({
    TENDER_MAX_UPLOAD_BYTES: '1000000',
    TENDER_ALLOWED_TYPES: 'image/*,application/pdf,text/plain',
  });
  device = await s.enroll();
});
afterAll(() => s?.close());

function post(headers: Record<string, string>, as = device) {
  return fetch(`${s.url}/files/`, { method: 'POST', headers: { ...as.headers, ...headers } });
}

describe('size and type limits', () => {
  it('announces Tus-Max-Size and refuses a larger upload with 413 before any byte is sent', async () => {
    const options = await fetch(`${s.url}/files/`, { method: 'OPTIONS' });
    expect(options.headers.get('tus-max-size')).toBe('1000000');
    const jpeg = encodeMetadata({ filetype: 'image/jpeg' });
    expect((await post({ 'Upload-Length': '1000001', 'Upload-Metadata': jpeg })).status).toBe(413);
    expect((await post({ 'Upload-Length': '1000000', 'Upload-Metadata': jpeg })).status).toBe(201);
  });

  it('refuses a PATCH body longer than the upload', async () => {
    const url = await s.create(device, 10, { filetype: 'text/plain' });
    const res = await s.patch(device, url, 0, bytes(20));
    expect(res.status).toBe(413);
    expect((await s.head(device, url)).headers.get('upload-offset')).toBe('0');
  });

  it('takes a body without Content-Length, and refuses one that runs past the upload with 413', async () => {
    const content = bytes(10);
    const chunked = (url: string, offset: number, pieces: Buffer[]) =>
      fetch(url, {
        method: 'PATCH',
        headers: { ...device.headers, 'Content-Type': OCTETS, 'Upload-Offset': String(offset) },
        body: new ReadableStream({
          pull(controller) {
            const piece = pieces.shift();
            if (piece) controller.enqueue(piece);
            else controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);

    const fits = await s.create(device, 10, { filetype: 'text/plain', sha256: sha256(content) });
    const whole = await chunked(fits, 0, [content.subarray(0, 4), content.subarray(4)]);
    expect(whole.status).toBe(204);
    expect(whole.headers.get('upload-offset')).toBe('10');

    const url = await s.create(device, 10, { filetype: 'text/plain', sha256: sha256(content) });
    const over = await chunked(url, 0, [content.subarray(0, 6), bytes(6, 2), bytes(6, 3)]);
    expect(over.status).toBe(413);
    // What arrived within the upload may stay; the rest is sent again and the file completes intact.
    const kept = Number((await s.head(device, url)).headers.get('upload-offset'));
    expect(kept === 0 || kept === 6, `offset ${kept}`).toBe(true);
    expect((await s.patch(device, url, kept, content.subarray(kept))).status).toBe(204);
    const records = await listRecords(s.url);
    for (const done of [fits, url]) {
      expect(records.find((r) => done.endsWith(String(r.id)))).toMatchObject({ sha256: sha256(content) });
    }
  });

  it('refuses file types off the allowlist with 415, and normalises accepted ones', async () => {
    const refused = await post({
      'Upload-Length': '5',
      'Upload-Metadata': encodeMetadata({ filetype: 'video/mp4' }),
    });
    expect(refused.status).toBe(415);
    expect(((await refused.json()) as { error: string }).error).toContain('video/mp4');
    // No filetype means application/octet-stream, which this server does not accept.
    expect((await post({ 'Upload-Length': '5' })).status).toBe(415);
    const ok = await post({
      'Upload-Length': '3',
      'Upload-Metadata': encodeMetadata({ filename: 'a.pdf', filetype: 'Application/PDF; charset=binary' }),
    });
    expect(ok.status).toBe(201);
    const url = new URL(ok.headers.get('location') ?? '', s.url).href;
    expect((await s.patch(device, url, 0, Buffer.from('pdf'))).status).toBe(204);
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record).toMatchObject({ type: 'application/pdf', name: 'a.pdf' });
  });
});

/** What the app sends with a photo Data saver made smaller. */
const DOWNSCALED: Record<string, string> = {
  filename: 'pump.jpg',
  filetype: 'image/jpeg',
  dataSaver: 'downscaled',
  originalName: 'pump.png',
  originalType: 'image/png',
  originalSize: '12100000',
  originalWidth: '8000',
  originalHeight: '6000',
  width: '2048',
  height: '1536',
};

describe('hostile metadata', () => {
  const cases: [string, string][] = [
    ['NUL in a value', encodeMetadata({ filename: 'a\u0000.jpg', filetype: 'image/jpeg' })],
    ['newline in a value', encodeMetadata({ filename: 'a\nb.jpg', filetype: 'image/jpeg' })],
    ['right-to-left override', encodeMetadata({ filename: 'evil\u202Egpj.exe', filetype: 'image/jpeg' })],
    ['over-long value', encodeMetadata({ filename: `${'x'.repeat(1100)}.jpg`, filetype: 'image/jpeg' })],
    [
      'too much in total',
      encodeMetadata({
        ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(900)])),
        filetype: 'image/jpeg',
      }),
    ],
    ['bad key', `fi/le ${b64('x')},filetype ${b64('image/jpeg')}`],
    ['duplicate key', `filename ${b64('a')},filename ${b64('b')},filetype ${b64('image/jpeg')}`],
    ['not base64', `filename a$b,filetype ${b64('image/jpeg')}`],
    [
      'not UTF-8',
      `filename ${Buffer.from([0xff, 0xfe, 0x41]).toString('base64')},filetype ${b64('image/jpeg')}`,
    ],
    ['bad sha256', encodeMetadata({ sha256: 'abc', filetype: 'image/jpeg' })],
    ['bad media type', encodeMetadata({ filetype: 'image jpeg' })],
    ['name that is only dots', encodeMetadata({ filename: '../..', filetype: 'image/jpeg' })],
    ['Data saver flag other than downscaled', encodeMetadata({ ...DOWNSCALED, dataSaver: 'yes' })],
    [
      'Data saver without the original size',
      encodeMetadata(Object.fromEntries(Object.entries(DOWNSCALED).filter(([k]) => k !== 'originalSize'))),
    ],
    ['original size that is not a number', encodeMetadata({ ...DOWNSCALED, originalSize: '12 MB' })],
    ['original size of zero', encodeMetadata({ ...DOWNSCALED, originalSize: '0' })],
    ['negative width', encodeMetadata({ ...DOWNSCALED, width: '-2048' })],
    ['height past a million pixels', encodeMetadata({ ...DOWNSCALED, originalHeight: '1000001' })],
    ['original type that is not a media type', encodeMetadata({ ...DOWNSCALED, originalType: 'png' })],
    ['original name that is only dots', encodeMetadata({ ...DOWNSCALED, originalName: '..' })],
  ];
  for (const [label, header] of cases) {
    it(`refuses ${label} with 400 and a message`, async () => {
      const res = await post({ 'Upload-Length': '5', 'Upload-Metadata': header });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/metadata/i);
    });
  }

  it("keeps what Data saver says of a photo's original, tidied like the file's own name and type", async () => {
    const data = Buffer.from('small');
    const res = await post({
      'Upload-Length': String(data.length),
      'Upload-Metadata': encodeMetadata({
        ...DOWNSCALED,
        originalName: 'C:\\fakepath\\pump.png',
        originalType: 'Image/PNG; x=1',
      }),
    });
    expect(res.status).toBe(201);
    const url = new URL(res.headers.get('location') ?? '', s.url).href;
    expect((await s.patch(device, url, 0, data)).status).toBe(204);
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record?.metadata).toMatchObject({
      ...DOWNSCALED,
      originalName: 'pump.png',
      originalType: 'image/png',
    });
  });

  it('cuts a path out of filename and files the upload inside its own folder', async () => {
    const data = Buffer.from('hello');
    const res = await post({
      'Upload-Length': String(data.length),
      'Upload-Metadata': encodeMetadata({ filename: '../../../etc/passwd', filetype: 'text/plain' }),
    });
    expect(res.status).toBe(201);
    const url = new URL(res.headers.get('location') ?? '', s.url).href;
    expect((await s.patch(device, url, 0, data)).status).toBe(204);
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record?.name).toBe('passwd');
    expect(String(record?.path)).toMatch(/^uploads\/\d{4}\/\d{2}\/[^/]+\/[0-9a-f]{32}-passwd$/);
  });
});

describe('per-device limits', () => {
  it('answers 429 with Retry-After when a device exceeds its request rate; other devices are unaffected', async () => {
    const r = await startServer({ TENDER_DEVICE_RATE: '1', TENDER_DEVICE_BURST: '3' });
    try {
      const a = await r.enroll();
      const b = await r.enroll();
      const url = await r.create(a, 10);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const res = await r.head(a, url);
        statuses.push(res.status);
        retryAfter ??= res.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await r.create(b, 10)).length).toBeGreaterThan(0);
      expect(await r.metric('tender_rate_limited_total')).toBe(2);
    } finally {
      await r.close();
    }
  });

  it('answers 429 when a device has too many uploads open at once', async () => {
    const r = await startServer({ TENDER_DEVICE_MAX_OPEN: '1' });
    try {
      const a = await r.enroll();
      const first = await r.create(a, 1000);
      const second = await r.create(a, 1000);
      const hanging = hangingPatch(a, first, 0, 1000, bytes(10));
      await hanging.written;
      await until(
        () =>
          fetch(`${r.url}/api/progress/${first.split('/').pop()}`, { headers: a.headers }).then((x) =>
            x.json(),
          ),
        (p) => (p as { received: number }).received === 10,
      );
      const busy = await r.patch(a, second, 0, bytes(10));
      expect(busy.status).toBe(429);
      expect(busy.headers.get('retry-after')).toBe('2');
      hanging.req.destroy();
      await hanging.closed;
      const freed = await until(
        () => r.patch(a, second, 0, bytes(10)).then((x) => x.status),
        (st) => st === 204,
      );
      expect(freed).toBe(204);
    } finally {
      await r.close();
    }
  });
});

describe('disk quota', () => {
  it('refuses new uploads with 507 when they would leave less than TENDER_MIN_FREE_BYTES free', async () => {
    const q = await startServer({ TENDER_MIN_FREE_BYTES: String(2 ** 52) });
    try {
      const a = await q.enroll();
      const res = await fetch(`${q.url}/files/`, {
        method: 'POST',
        headers: { ...a.headers, 'Upload-Length': '1' },
      });
      expect(res.status).toBe(507);
      expect(await q.metric('tender_disk_free_bytes')).toBeGreaterThan(0);
    } finally {
      await q.close();
    }
  });
});

describe('malformed requests', () => {
  it('survives a fuzz loop of garbage headers without crashing or corrupting an upload in progress', async () => {
    const data = bytes(600_000, 21);
    const url = await s.create(device, data.length, {
      filename: 'victim.jpg',
      filetype: 'image/jpeg',
      sha256: sha256(data),
    });
    const victimPath = new URL(url).pathname;
    expect((await s.patch(device, url, 0, data.subarray(0, 200_000))).status).toBe(204);

    const garbage = () => {
      const pick = Math.floor(Math.random() * 8);
      const raw = randomBytes(1 + Math.floor(Math.random() * 40));
      if (pick === 0) return String(-Math.floor(Math.random() * 1e6));
      if (pick === 1) return '9'.repeat(30);
      if (pick === 2) return `${Math.random()}`;
      if (pick === 3) return raw.toString('base64');
      if (pick === 4) return raw.toString('latin1').replace(/[\r\n\0]/g, ' ');
      if (pick === 5) return `sha256 ${raw.toString('base64')}`;
      if (pick === 6) return '';
      return ` ${raw.toString('hex')} , , `;
    };
    const names = [
      'Upload-Offset',
      'Upload-Length',
      'Upload-Metadata',
      'Upload-Checksum',
      'Upload-Block-Checksums',
      'Tus-Resumable',
      'Content-Type',
      'Upload-Defer-Length',
      'Upload-Concat',
      'Authorization',
      'X-HTTP-Method-Override',
    ];
    const methods = ['POST', 'PATCH', 'HEAD', 'DELETE', 'OPTIONS', 'GET', 'PUT'];
    const statuses = new Set<number>();
    const { port } = new URL(s.url);
    for (let i = 0; i < 300; i++) {
      const headers: Record<string, string> = Math.random() < 0.7 ? { ...device.headers } : {};
      for (const name of names) if (Math.random() < 0.4) headers[name] = garbage();
      const method = methods[i % methods.length] ?? 'HEAD';
      // A well-formed DELETE from the owner would legitimately end the victim: not the owner's, then.
      if (method === 'DELETE' && i % 2)
        headers.Authorization = `Bearer ${randomBytes(32).toString('base64url')}`;
      // Aim at the victim's URL half the time; the rest at the collection or junk ids.
      const target =
        i % 2
          ? victimPath
          : ['/files/', '/files', `/files/${randomBytes(4).toString('hex')}`, '/files/..%2f..'][i % 4];
      const status = await rawRequest(
        Number(port),
        method,
        target ?? '/files/',
        headers,
        i % 3 === 0 ? randomBytes(64) : undefined,
      );
      statuses.add(status);
    }
    // Still serving, and every answer was an HTTP status, not a dropped connection or a 5xx.
    expect([...statuses].every((code) => code >= 200 && code < 500 && code !== 0)).toBe(true);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

    // The victim is intact: resume from the server's offset and finish with the right digest.
    const head = await s.head(device, url);
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(200_000);
    const rest = await s.patch(device, url, offset, data.subarray(offset));
    expect(rest.status).toBe(204);
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record?.sha256).toBe(sha256(data));
  }, 30_000);
});

/** One request over a fresh connection with raw header values; resolves to the status (0: no answer). */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
) {
  return new Promise<number>((resolve) => {
    let req: http.ClientRequest;
    try {
      // From another loopback address, as from another machine: the fuzzer's failed sign-ins get its
      // own address throttled, not the victim's.
      req = http.request({
        host: '127.0.0.1',
        localAddress: '127.0.0.2',
        port,
        method,
        path,
        headers,
        agent: false,
        timeout: 5000,
      });
    } catch {
      resolve(200); // Node refused to send an invalid header value: nothing reached the server.
      return;
    }
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
