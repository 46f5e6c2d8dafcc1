import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeBytes } from '../../server/disk.ts';
import { compiledServer } from './compiled.ts';
import {
  ADMIN,
  bytes,
  encodeMetadata,
  hangingPatch,
  listRecords,
  sha256,
  startServer,
  type TestDevice,
  type TestServer,
  tempDir,
  until,
} from './helpers.ts';

const MB = 1_000_000;
const JPEG = { filename: 'photo.jpg', filetype: 'image/jpeg' };

const cli = compiledServer();

function post(s: TestServer, device: TestDevice, size: number) {
  return fetch(`${s.url}/files/`, {
    method: 'POST',
    headers: { ...device.headers, 'Upload-Length': String(size), 'Upload-Metadata': encodeMetadata(JPEG) },
  });
}

function unfinished(s: TestServer, device: TestDevice) {
  return fetch(`${s.url}/api/devices/${device.deviceId}/unfinished`, { headers: ADMIN }).then(
    (r) => r.json() as Promise<{ id: string; size: number; offset: number }[]>,
  );
}

/** Ids of the unfinished uploads whose bytes the server holds (on disk, or in S3 in a fleet run). */
async function filesOnDisk(s: TestServer): Promise<string[]> {
  return (await s.stored.list()).map((u) => u.id);
}

describe('per-device quota', () => {
  it('stops one device from reserving the disk: the honest device still uploads', async () => {
    // Room for 100 MB of new uploads on this disk; each device may hold 30 MB of unfinished ones.
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const s = await startServer({
      TENDER_DATA_DIR: dataDir,
      TENDER_MIN_FREE_BYTES: String((await freeBytes(dataDir)) - 100 * MB),
      TENDER_DEVICE_MAX_RESERVED_BYTES: String(30 * MB),
    });
    try {
      const hog = await s.enroll('Hog');
      const honest = await s.enroll('Honest');
      // The hog creates uploads it never sends: only the first fits in its share.
      const hogStatuses = [];
      for (let i = 0; i < 4; i++) hogStatuses.push((await post(s, hog, 30 * MB)).status);
      expect(hogStatuses).toEqual([201, 429, 429, 429]);
      const refused = await post(s, hog, 1);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      // One upload can never be larger than a device's share.
      expect((await post(s, hog, 31 * MB)).status).toBe(413);

      const data = bytes(2 * MB, 5);
      const created = await post(s, honest, data.length);
      const url = new URL(created.headers.get('location') ?? '', s.url).href;
      const patched = await s.patch(honest, url, 0, data);
      const records = await listRecords(s.url, `?device=${honest.deviceId}`);
      console.log(
        `Quota hog: creations answered ${hogStatuses.join(', ')}; honest device: create ${created.status}, ` +
          `PATCH ${patched.status}, ${records.length} record with ${records[0]?.size} bytes`,
      );
      expect(created.status).toBe(201);
      expect(patched.status).toBe(204);
      expect(records.map((r) => r.sha256)).toEqual([sha256(data)]);
    } finally {
      await s.close();
    }
  });

  it('caps unfinished uploads per device; termination and expiry give the slots back', async () => {
    const s = await startServer({
      TENDER_DEVICE_MAX_UNFINISHED: '2',
      TENDER_UPLOAD_EXPIRY_MS: '2000',
      TENDER_SWEEP_INTERVAL_MS: '100',
    });
    try {
      const a = await s.enroll();
      const first = await s.create(a, 100, JPEG);
      await s.create(a, 100, JPEG);
      const third = await post(s, a, 100);
      expect(third.status).toBe(429);
      expect(await third.json()).toEqual({ error: expect.stringContaining('2 unfinished uploads') });
      // Another device is not affected.
      expect((await post(s, await s.enroll(), 100)).status).toBe(201);

      expect((await fetch(first, { method: 'DELETE', headers: a.headers })).status).toBe(204);
      expect((await post(s, a, 100)).status).toBe(201);
      expect((await post(s, a, 100)).status).toBe(429);

      // Once the sweep deletes the expired uploads, the device may start new ones.
      const after = await until(
        () => post(s, a, 100).then((r) => r.status),
        (status) => status === 201,
        8000,
      );
      expect(after).toBe(201);
    } finally {
      await s.close();
    }
  });

  it('holds when a device creates many uploads at once', async () => {
    const s = await startServer({
      TENDER_DEVICE_MAX_UNFINISHED: '3',
      TENDER_DEVICE_MAX_OPEN: '20',
      TENDER_DEVICE_BURST: '100',
    });
    try {
      const a = await s.enroll();
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () => post(s, a, 100).then((r) => r.status)),
      );
      expect(statuses.filter((st) => st === 201)).toHaveLength(3);
      expect(statuses.filter((st) => st === 429)).toHaveLength(9);
      expect(await unfinished(s, a)).toHaveLength(3);
      expect(await filesOnDisk(s)).toHaveLength(3);
    } finally {
      await s.close();
    }
  });

  it('lists a device’s unfinished uploads for the operator and drops them, cutting an open PATCH', async () => {
    const s = await startServer({ TENDER_DEVICE_MAX_UNFINISHED: '2' });
    try {
      const a = await s.enroll();
      const first = await s.create(a, 1000, JPEG);
      const second = await s.create(a, 1000, JPEG);
      expect((await s.patch(a, second, 0, bytes(100))).status).toBe(204);
      const hung = hangingPatch(a, first, 0, 1000, bytes(10));
      await hung.written;

      const listed = await unfinished(s, a);
      expect(listed.map((u) => u.id).sort()).toEqual([first, second].map((u) => u.split('/').pop()).sort());
      expect(listed.find((u) => second.endsWith(u.id))).toMatchObject({ size: 1000, offset: 100 });

      const drop = await fetch(`${s.url}/api/devices/${a.deviceId}/unfinished`, {
        method: 'DELETE',
        headers: ADMIN,
      });
      expect(await drop.json()).toEqual({ dropped: 2 });
      await hung.closed;
      expect(await unfinished(s, a)).toEqual([]);
      expect(await filesOnDisk(s)).toEqual([]);
      expect((await s.head(a, second)).status).toBe(404);
      // The device is still trusted and has its quota back.
      expect((await post(s, a, 100)).status).toBe(201);
      const unknown = await fetch(`${s.url}/api/devices/nope/unfinished`, { headers: ADMIN });
      expect(unknown.status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('drops from the CLI: the running server deletes the marked uploads within seconds', async () => {
    const s = await startServer({ TENDER_DEVICE_MAX_UNFINISHED: '1' });
    try {
      const a = await s.enroll();
      const url = await s.create(a, 1000, JPEG);
      const listed = await cli.run(s.dataDir, 'unfinished', a.deviceId, '--json');
      expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: url.split('/').pop() })]);
      const dropped = await cli.run(s.dataDir, 'drop', a.deviceId);
      expect(dropped.code).toBe(0);
      expect(dropped.stdout).toContain('Marked 1 unfinished upload');
      const gone = await until(
        () => unfinished(s, a),
        (list) => list.length === 0,
        3000,
      );
      expect(gone).toEqual([]);
      expect((await post(s, a, 100)).status).toBe(201);
      expect((await cli.run(s.dataDir, 'drop', 'nope')).code).toBe(2);
    } finally {
      await s.close();
    }
  });
});

describe('revocation releases reservations', () => {
  it('through the admin API: files deleted, disk space counted free at once', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const s = await startServer({
      TENDER_DATA_DIR: dataDir,
      TENDER_MIN_FREE_BYTES: String((await freeBytes(dataDir)) - 100 * MB),
    });
    try {
      const hog = await s.enroll();
      const honest = await s.enroll();
      expect((await post(s, hog, 60 * MB)).status).toBe(201);
      expect((await post(s, honest, 60 * MB)).status).toBe(507);
      const revoke = await fetch(`${s.url}/api/devices/${hog.deviceId}`, {
        method: 'DELETE',
        headers: ADMIN,
      });
      expect(revoke.status).toBe(204);
      expect((await post(s, honest, 60 * MB)).status).toBe(201);
      await until(
        () => unfinished(s, hog),
        (list) => list.length === 0,
      );
      expect(await unfinished(s, hog)).toEqual([]);
      expect(await filesOnDisk(s)).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('after a restart, a device revoked while the server was down holds nothing', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const env = {
      TENDER_DATA_DIR: dataDir,
      TENDER_MIN_FREE_BYTES: String((await freeBytes(dataDir)) - 100 * MB),
    };
    let s = await startServer(env);
    const hog = await s.enroll();
    expect((await post(s, hog, 60 * MB)).status).toBe(201);
    await s.tender.close();
    expect((await cli.run(dataDir, 'revoke', hog.deviceId)).code).toBe(0);
    s = await startServer(env);
    try {
      const honest = await s.enroll();
      expect((await post(s, honest, 60 * MB)).status).toBe(201);
      const files = await until(
        () => filesOnDisk(s),
        (list) => list.length === 1,
      );
      expect(files).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
