import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, encodeMetadata, OCTETS, startServer, type TestDevice, type TestServer } from './helpers.ts';

// Walks the tus 1.0.0 protocol text (tus.io/protocols/resumable-upload) section by section against
// the running server: core, each extension it advertises, method override, version negotiation.

const JPEG = encodeMetadata({ filename: 'a.jpg', filetype: 'image/jpeg' });
const RFC_7231_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

let s: TestServer;
let device: TestDevice;
beforeAll(async () => {
  s = await startServer({ TENDER_MAX_UPLOAD_BYTES: '1000000' });
  device = await s.enroll();
});
afterAll(() => s?.close());

function request(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer) {
  return fetch(url, {
    method,
    headers: { ...device.headers, ...headers },
    body: body && new Uint8Array(body),
  });
}

async function create(size: number): Promise<string> {
  const res = await request('POST', `${s.url}/files/`, {
    'Upload-Length': String(size),
    'Upload-Metadata': JPEG,
  });
  expect(res.status).toBe(201);
  return new URL(res.headers.get('location') ?? '', s.url).href;
}

const patchHeaders = (offset: number) => ({ 'Content-Type': OCTETS, 'Upload-Offset': String(offset) });

describe('core protocol', () => {
  it('OPTIONS: Tus-Version, Tus-Extension, Tus-Max-Size, without Tus-Resumable or a token', async () => {
    const res = await fetch(`${s.url}/files/`, { method: 'OPTIONS' });
    expect([200, 204]).toContain(res.status);
    expect(res.headers.get('tus-version')?.split(',')).toContain('1.0.0');
    expect(res.headers.get('tus-max-size')).toBe('1000000');
    const extensions = res.headers.get('tus-extension')?.split(',') ?? [];
    expect(extensions).toEqual(
      expect.arrayContaining(['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum']),
    );
    // Not offered, so not advertised: a client must not rely on them.
    expect(extensions).not.toContain('creation-defer-length');
    expect(extensions).not.toContain('concatenation');
  });

  it('HEAD: Upload-Offset, Upload-Length, Cache-Control: no-store, Tus-Resumable; 404 when unknown', async () => {
    const url = await create(100);
    const res = await request('HEAD', url);
    expect(res.status).toBe(200);
    expect(res.headers.get('upload-offset')).toBe('0');
    expect(res.headers.get('upload-length')).toBe('100');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('tus-resumable')).toBe('1.0.0');
    expect((await request('HEAD', `${s.url}/files/${'0'.repeat(32)}`)).status).toBe(404);
  });

  it('PATCH: 204 with the new Upload-Offset; 409 for a wrong offset', async () => {
    const url = await create(100);
    const res = await request('PATCH', url, patchHeaders(0), bytes(40));
    expect(res.status).toBe(204);
    expect(res.headers.get('upload-offset')).toBe('40');
    expect(res.headers.get('tus-resumable')).toBe('1.0.0');
    expect((await request('PATCH', url, patchHeaders(10), bytes(10))).status).toBe(409);
    expect((await request('HEAD', url)).headers.get('upload-offset')).toBe('40');
  });

  it('PATCH without or with a wrong Content-Type answers 415, a missing or bad Upload-Offset 400', async () => {
    const url = await create(100);
    const cases: [string, Record<string, string>, number][] = [
      ['no Content-Type', { 'Upload-Offset': '0' }, 415],
      ['text/plain', { 'Content-Type': 'text/plain', 'Upload-Offset': '0' }, 415],
      ['application/octet-stream', { 'Content-Type': 'application/octet-stream', 'Upload-Offset': '0' }, 415],
      ['no Upload-Offset', { 'Content-Type': OCTETS }, 400],
      ['negative Upload-Offset', { 'Content-Type': OCTETS, 'Upload-Offset': '-1' }, 400],
      ['non-numeric Upload-Offset', { 'Content-Type': OCTETS, 'Upload-Offset': 'abc' }, 400],
    ];
    for (const [label, headers, status] of cases) {
      const res = await fetch(url, {
        method: 'PATCH',
        headers: { ...device.headers, ...headers },
        body: new Uint8Array(bytes(10)),
      });
      expect(res.status, label).toBe(status);
      expect(((await res.json()) as { error: string }).error, label).toMatch(/Content-Type|Upload-Offset/);
    }
    expect((await request('HEAD', url)).headers.get('upload-offset')).toBe('0');
  });
});

describe('every answer', () => {
  it('carries Tus-Resumable: 1.0.0, errors included', async () => {
    const url = await create(10);
    const answers = [
      await request('HEAD', url),
      await request('PATCH', url, patchHeaders(0), bytes(4)),
      await request('PATCH', url, patchHeaders(0), bytes(4)),
      await request('PATCH', url, { 'Upload-Offset': '4' }, bytes(4)),
      await request('HEAD', `${s.url}/files/${'0'.repeat(32)}`),
      await request('POST', `${s.url}/files/`, { 'Upload-Length': '5', 'Upload-Metadata': JPEG }),
      await request('DELETE', url),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 204, 409, 415, 404, 201, 204]);
    for (const res of answers) expect(res.headers.get('tus-resumable'), String(res.status)).toBe('1.0.0');
  });
});

describe('version negotiation', () => {
  it('answers 412 with Tus-Version to an unsupported or missing Tus-Resumable, for every method', async () => {
    const url = await create(10);
    for (const method of ['POST', 'HEAD', 'PATCH', 'DELETE']) {
      for (const version of ['0.2.2', '2.0.0', undefined]) {
        const headers: Record<string, string> = { ...device.headers, ...patchHeaders(0) };
        delete headers['Tus-Resumable'];
        if (version) headers['Tus-Resumable'] = version;
        const target = method === 'POST' ? `${s.url}/files/` : url;
        const res = await fetch(target, { method, headers: { ...headers, 'Upload-Length': '10' } });
        expect(res.status, `${method} ${version}`).toBe(412);
        expect(res.headers.get('tus-version'), `${method} ${version}`).toBe('1.0.0');
      }
    }
    expect((await request('HEAD', url)).status).toBe(200);
  });
});

describe('creation and creation-with-upload', () => {
  it('POST creates with Location; Upload-Metadata comes back on HEAD; too large is 413', async () => {
    const url = await create(10);
    const head = await request('HEAD', url);
    expect(head.headers.get('upload-metadata')?.split(',').sort()).toEqual(JPEG.split(',').sort());
    const big = await request('POST', `${s.url}/files/`, {
      'Upload-Length': '1000001',
      'Upload-Metadata': JPEG,
    });
    expect(big.status).toBe(413);
    const deferred = await request('POST', `${s.url}/files/`, {
      'Upload-Defer-Length': '1',
      'Upload-Metadata': JPEG,
    });
    // Not advertised, so refused as not implemented rather than half-supported.
    expect(deferred.status).toBe(501);
  });

  it('POST with a body stores it and answers its Upload-Offset', async () => {
    const res = await request(
      'POST',
      `${s.url}/files/`,
      { 'Upload-Length': '100', 'Upload-Metadata': JPEG, 'Content-Type': OCTETS },
      bytes(60),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('upload-offset')).toBe('60');
  });
});

describe('expiration', () => {
  it('sends Upload-Expires as an RFC 7231 date on creation and PATCH of an unfinished upload', async () => {
    const created = await request('POST', `${s.url}/files/`, {
      'Upload-Length': '10',
      'Upload-Metadata': JPEG,
    });
    expect(created.headers.get('upload-expires')).toMatch(RFC_7231_DATE);
    const url = new URL(created.headers.get('location') ?? '', s.url).href;
    const patched = await request('PATCH', url, patchHeaders(0), bytes(5));
    expect(patched.headers.get('upload-expires')).toMatch(RFC_7231_DATE);
  });
});

describe('checksum', () => {
  it('advertises its algorithms, accepts a matching chunk, 460 for a mismatch, 400 for an unknown one', async () => {
    const options = await fetch(`${s.url}/files/`, { method: 'OPTIONS' });
    expect(options.headers.get('tus-checksum-algorithm')?.split(',').sort()).toEqual(['sha1', 'sha256']);
    const url = await create(20);
    const chunk = bytes(10, 9);
    const sha1 = createHash('sha1').update(chunk).digest('base64');
    const wrong = createHash('sha1').update(bytes(10, 8)).digest('base64');
    const mismatch = await request(
      'PATCH',
      url,
      { ...patchHeaders(0), 'Upload-Checksum': `sha1 ${wrong}` },
      chunk,
    );
    expect(mismatch.status).toBe(460);
    const unknown = await request(
      'PATCH',
      url,
      { ...patchHeaders(0), 'Upload-Checksum': `md4 ${sha1}` },
      chunk,
    );
    expect(unknown.status).toBe(400);
    const ok = await request('PATCH', url, { ...patchHeaders(0), 'Upload-Checksum': `sha1 ${sha1}` }, chunk);
    expect(ok.status).toBe(204);
  });
});

describe('termination', () => {
  it('DELETE ends an unfinished upload (204, then 404); a completed one answers 409 and stays', async () => {
    const open = await create(10);
    expect((await request('DELETE', open)).status).toBe(204);
    expect((await request('HEAD', open)).status).toBe(404);

    const done = await create(5);
    expect((await request('PATCH', done, patchHeaders(0), bytes(5))).status).toBe(204);
    const refused = await request('DELETE', done);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toContain('never deleted');
    expect((await request('HEAD', done)).headers.get('upload-offset')).toBe('5');
  });
});

describe('X-HTTP-Method-Override', () => {
  it('handles POST + override as PATCH, HEAD and DELETE', async () => {
    const url = await create(20);
    const patched = await request(
      'POST',
      url,
      { ...patchHeaders(0), 'X-HTTP-Method-Override': 'PATCH' },
      bytes(8),
    );
    expect(patched.status).toBe(204);
    expect(patched.headers.get('upload-offset')).toBe('8');
    const head = await request('POST', url, { 'X-HTTP-Method-Override': 'HEAD' });
    expect(head.headers.get('upload-offset')).toBe('8');
    const deleted = await request('POST', url, { 'X-HTTP-Method-Override': 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await request('HEAD', url)).status).toBe(404);
    const bogus = await request('POST', `${s.url}/files/`, { 'X-HTTP-Method-Override': 'GET' });
    expect(bogus.status).toBe(400);
  });
});

describe('error codes a client can act on', () => {
  it('never answers a malformed request from a valid device with 401 or 403', async () => {
    const url = await create(50);
    const malformed: [string, string, Record<string, string>][] = [
      ['PATCH', url, {}],
      ['PATCH', url, { 'Content-Type': OCTETS }],
      ['PATCH', url, { 'Upload-Offset': '0' }],
      ['PATCH', url, { 'Content-Type': 'text/html', 'Upload-Offset': '0' }],
      ['PATCH', url, { 'Content-Type': OCTETS, 'Upload-Offset': '99999999999999999999' }],
      ['POST', `${s.url}/files/`, {}],
      ['POST', `${s.url}/files/`, { 'Upload-Length': 'x' }],
      ['POST', url, { 'X-HTTP-Method-Override': 'PATCH' }],
      ['DELETE', `${s.url}/files/`, {}],
    ];
    for (const [method, target, headers] of malformed) {
      const res = await request(method, target, headers, method === 'PATCH' ? bytes(5) : undefined);
      expect([401, 403], `${method} ${JSON.stringify(headers)}: ${res.status}`).not.toContain(res.status);
      expect(res.status, `${method} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${JSON.stringify(headers)}`).toBeLessThan(500);
    }
  });
});
