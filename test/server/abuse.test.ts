// The abuse suite: each way the server was found to give in, as a test that fails if it does again.
// Here: dedupe under the device rate and the disk floor, and a disk that fills mid-PATCH. Elsewhere:
// quota.test.ts (one device reserving the disk; revocation, termination, expiry and restarts release),
// revocation.test.ts (open requests cut from the CLI and the API), connections.test.ts (trickled
// bodies, connection caps, header deadline, failed sign-ins), enrolment.test.ts (one-time codes).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  bytes,
  encodeMetadata,
  listRecords,
  OCTETS,
  sha256,
  startServer,
  type TestDevice,
  type TestServer,
  tempDir,
  until,
} from './helpers.ts';

const JPEG = { filename: 'photo.jpg', filetype: 'image/jpeg' };

function dedupe(s: TestServer, device: TestDevice, data: Buffer) {
  return fetch(`${s.url}/api/dedupe`, {
    method: 'POST',
    headers: device.headers,
    body: JSON.stringify({ sha256: sha256(data), size: data.length, metadata: JPEG }),
  });
}

async function upload(s: TestServer, device: TestDevice, data: Buffer): Promise<string> {
  const url = await s.create(device, data.length, { ...JPEG, sha256: sha256(data) });
  const res = await s.patch(device, url, 0, data);
  if (res.status !== 204) throw new Error(`upload failed: ${res.status}`);
  return url;
}

describe('dedupe', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ TENDER_DEVICE_RATE: '1', TENDER_DEVICE_BURST: '5' });
  });
  afterAll(() => s?.close());

  it('shares the device’s request rate with uploads and the rest of the device API', async () => {
    const owner = await s.enroll();
    const data = bytes(1000, 71);
    await upload(s, owner, data);
    const asker = await s.enroll();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await dedupe(s, asker, data)).status);
    // The burst of 5 (less what a second of refill gives back) goes through; the rest is refused.
    expect(statuses.filter((st) => st === 200).length).toBeLessThanOrEqual(6);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const records = await listRecords(s.url, `?device=${asker.deviceId}`);
    expect(records.length).toBe(statuses.filter((st) => st === 200).length);
    // The same bucket: tus requests and the device API are refused too, with a time to wait.
    const head = await fetch(`${s.url}/files/`, { method: 'POST', headers: asker.headers });
    expect(head.status).toBe(429);
    const me = await fetch(`${s.url}/api/device`, { headers: asker.headers });
    expect(me.status).toBe(429);
    expect(Number(me.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('dedupe with little disk left', () => {
  it('is refused with 507 like an upload, and writes neither a record nor a link', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = await startServer({ TENDER_DATA_DIR: dataDir });
    const owner = await first.enroll();
    const data = bytes(1000, 72);
    await upload(first, owner, data);
    const asker = await first.enroll();
    await first.tender.close();
    // The same data on a disk that is now below the free-space floor.
    const s = await startServer({ TENDER_DATA_DIR: dataDir, TENDER_MIN_FREE_BYTES: String(2 ** 52) });
    try {
      expect((await dedupe(s, asker, data)).status).toBe(507);
      const created = await fetch(`${s.url}/files/`, {
        method: 'POST',
        headers: { ...asker.headers, 'Upload-Length': '1000' },
      });
      expect(created.status).toBe(507);
      expect(await listRecords(s.url, `?device=${asker.deviceId}`)).toEqual([]);
      const files = fs.readdirSync(path.join(dataDir, 'uploads'), { recursive: true });
      expect(files.filter((f) => String(f).endsWith('.jpg'))).toHaveLength(1);
      // Content nobody stored is still answered 404: no disk is needed to say so.
      expect((await dedupe(s, asker, bytes(1000, 73))).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe('disk full in the middle of a PATCH', () => {
  it('answers 507, keeps the acknowledged offset, and resumes once there is room', async () => {
    const s = await startServer();
    try {
      const device = await s.enroll();
      const data = bytes(600_000, 74);
      const url = await s.create(device, data.length, { ...JPEG, sha256: sha256(data) });
      expect((await s.patch(device, url, 0, data.subarray(0, 100_000))).status).toBe(204);
      // Every write to the upload's file now fails with ENOSPC, as on a full disk.
      const file = path.join(s.dataDir, 'files', url.split('/').pop() ?? '');
      const kept = fs.readFileSync(file);
      fs.rmSync(file);
      fs.symlinkSync('/dev/full', file);
      const full = await s.patch(device, url, 100_000, data.subarray(100_000));
      expect(full.status).toBe(507);
      expect(await full.text()).toContain('out of storage');
      expect((await s.head(device, url)).headers.get('upload-offset')).toBe('100000');

      fs.rmSync(file);
      fs.writeFileSync(file, kept);
      expect((await s.patch(device, url, 100_000, data.subarray(100_000))).status).toBe(204);
      const records = await listRecords(s.url, `?device=${device.deviceId}`);
      expect(records.map((r) => r.sha256)).toEqual([sha256(data)]);
    } finally {
      await s.close();
    }
  });
});

describe('a creation with upload that is cut before its answer', () => {
  it('leaves no upload behind to hold the device’s quota: its client never learnt the URL', async () => {
    const s = await startServer({ TENDER_DEVICE_MAX_UNFINISHED: '1' });
    try {
      const device = await s.enroll();
      const unfinished = () =>
        fetch(`${s.url}/api/devices/${device.deviceId}/unfinished`, { headers: ADMIN }).then(
          (r) => r.json() as Promise<unknown[]>,
        );
      const req = http.request(`${s.url}/files/`, {
        method: 'POST',
        headers: {
          ...device.headers,
          'Upload-Length': '1000',
          'Upload-Metadata': encodeMetadata(JPEG),
          'Content-Type': OCTETS,
          'Content-Length': '1000',
        },
      });
      req.on('error', () => {});
      req.write(bytes(10));
      expect(await until(unfinished, (list) => list.length === 1)).toHaveLength(1);
      req.destroy();
      expect(await until(unfinished, (list) => list.length === 0)).toEqual([]);
      expect(fs.readdirSync(path.join(s.dataDir, 'files'))).toEqual([]);
      // The device's one slot is free again.
      const again = await fetch(`${s.url}/files/`, {
        method: 'POST',
        headers: { ...device.headers, 'Upload-Length': '5', 'Upload-Metadata': encodeMetadata(JPEG) },
      });
      expect(again.status).toBe(201);
    } finally {
      await s.close();
    }
  });
});
