import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledServer } from './compiled.ts';
import {
  ADMIN,
  bytes,
  encodeMetadata,
  hangingPatch,
  listRecords,
  OCTETS,
  startServer,
  type TestDevice,
  type TestServer,
  until,
} from './helpers.ts';

const JPEG = { filename: 'photo.jpg', filetype: 'image/jpeg' };

const cli = compiledServer();
let s: TestServer;
beforeAll(async () => {
  s = await startServer();
}, 60_000);
afterAll(async () => {
  await s?.close();
});

/** Resolves with the time the request's connection closed, or rejects after `ms`. */
function closedWithin(closed: Promise<void>, ms: number): Promise<number> {
  return Promise.race([
    closed.then(() => Date.now()),
    new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error(`request still open ${ms} ms after revocation`)), ms),
    ),
  ]);
}

/** A creation-with-upload POST that declares `size` bytes, sends 10, then goes silent. */
function hangingPost(device: TestDevice, size: number) {
  const req = http.request(`${s.url}/files/`, {
    method: 'POST',
    headers: {
      ...device.headers,
      'Upload-Length': String(size),
      'Upload-Metadata': encodeMetadata(JPEG),
      'Content-Type': OCTETS,
      'Content-Length': String(size),
    },
  });
  const closed = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
  req.write(bytes(10));
  return { req, closed };
}

function unfinishedCount(device: TestDevice): Promise<number> {
  return fetch(`${s.url}/api/devices/${device.deviceId}/unfinished`, { headers: ADMIN })
    .then((r) => r.json() as Promise<unknown[]>)
    .then((list) => list.length);
}

/** A revoked device holds no unfinished upload (once the server has dropped them) and no record. */
async function expectNothingLeft(device: TestDevice): Promise<void> {
  expect(
    await until(
      () => unfinishedCount(device),
      (n) => n === 0,
    ),
  ).toBe(0);
  expect(await listRecords(s.url, `?device=${device.deviceId}`)).toEqual([]);
}

describe('revocation cuts the device off at once', () => {
  it('from the CLI: an open PATCH is cut within 2 s and its upload is never recorded', async () => {
    const device = await s.enroll();
    const data = bytes(1000, 3);
    const url = await s.create(device, data.length, JPEG);
    const hung = hangingPatch(device, url, 0, data.length, data.subarray(0, 500));
    await hung.written;

    const revoked = await cli.run(s.dataDir, 'revoke', device.deviceId);
    expect(revoked.code).toBe(0);
    const cutAt = await closedWithin(hung.closed, 5000);
    // The revocation commits somewhere between the CLI's start and its exit.
    console.log(
      `CLI revocation to cut of an open PATCH: ${cutAt - revoked.exitedAt} ms after the CLI exited, ` +
        `${cutAt - revoked.startedAt} ms after it was started`,
    );
    expect(cutAt - revoked.exitedAt).toBeLessThan(2000);

    // The rest of the body cannot finish the upload: the connection is gone and the token refused.
    expect((await s.patch(device, url, 0, data)).status).toBe(401);
    await expectNothingLeft(device);
  });

  it('from the admin API: a POST carrying its body and a PATCH on another upload are both cut', async () => {
    const device = await s.enroll();
    const url = await s.create(device, 1000, JPEG);
    const patch = hangingPatch(device, url, 0, 1000, bytes(10));
    await patch.written;
    const post = hangingPost(device, 1000);
    // Both requests are in the server's hands: the POST has created its upload.
    expect(
      await until(
        () => unfinishedCount(device),
        (n) => n === 2,
      ),
    ).toBe(2);

    const revokedAt = Date.now();
    const res = await fetch(`${s.url}/api/devices/${device.deviceId}`, { method: 'DELETE', headers: ADMIN });
    expect(res.status).toBe(204);
    const [patchCut, postCut] = await Promise.all([
      closedWithin(patch.closed, 2000),
      closedWithin(post.closed, 2000),
    ]);
    expect(Math.max(patchCut, postCut) - revokedAt).toBeLessThan(1000);
    await expectNothingLeft(device);
  });

  it('leaves other devices’ open uploads running', async () => {
    const keep = await s.enroll();
    const gone = await s.enroll();
    const data = bytes(1000, 4);
    const url = await s.create(keep, data.length, JPEG);
    const hung = hangingPatch(keep, url, 0, data.length, data.subarray(0, 400));
    await hung.written;
    // The admin API cuts before it answers, so the kept PATCH has lived through the revocation.
    const res = await fetch(`${s.url}/api/devices/${gone.deviceId}`, { method: 'DELETE', headers: ADMIN });
    expect(res.status).toBe(204);
    const done = new Promise<number>((resolve) => hung.req.on('response', (r) => resolve(r.statusCode ?? 0)));
    hung.req.end(data.subarray(400));
    expect(await done).toBe(204);
  });
});
