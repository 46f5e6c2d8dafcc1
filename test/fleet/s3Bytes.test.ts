// Tender's own upload store (the tus endpoint, its checks and its filing) with its bytes on S3 on
// Swift, over real HTTP: one upload continued by a second server, and throughput against files.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, S3, S3Client } from '@aws-sdk/client-s3';
import { MemoryLocker } from '@tus/server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../../server/db.ts';
import { SqliteDevices } from '../../server/devices.ts';
import { FileBytes } from '../../server/fileBytes.ts';
import { silentLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { SqlitePartials } from '../../server/partials.ts';
import { MemoryPatchProgress } from '../../server/patchProgress.ts';
import { SqliteUploadRecords } from '../../server/records.ts';
import { copyObject } from '../../server/s3/copy.ts';
import { S3Bytes } from '../../server/s3/s3Bytes.ts';
import type { UploadBytes } from '../../server/uploadBytes.ts';
import { Uploads } from '../../server/uploads.ts';
import { bytes, encodeMetadata, OCTETS, sha256, TUS, tempDir } from '../server/helpers.ts';
import { type SwiftS3Service, startSwiftS3 } from '../support/fleet/swiftS3.ts';

const MiB = 1024 * 1024;

/** What servers of one fleet share: the database (here one SQLite file) and a device. */
async function sharedState() {
  const dir = tempDir('tender-s3-db-');
  const db = openDatabase(dir);
  const devices = new SqliteDevices(db);
  const device = await devices.enroll('Engine room');
  return {
    devices,
    device,
    partials: new SqlitePartials(db),
    records: new SqliteUploadRecords(db),
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One server: Tender's tus endpoint over `bytes`, on loopback, every request as `device`. */
async function tenderServer(bytes: UploadBytes, shared: Awaited<ReturnType<typeof sharedState>>) {
  const uploads = new Uploads({
    bytes,
    expiryMs: 0,
    maxUploadBytes: 5 * 1024 * MiB,
    quota: { maxReservedBytes: 20 * 1024 * MiB, maxUnfinished: 16 },
    corsOrigins: new Set(),
    records: shared.records,
    partials: shared.partials,
    devices: shared.devices,
    locker: new MemoryLocker(),
    receiving: new MemoryPatchProgress(),
    metrics: new Metrics(),
    log: silentLogger,
  });
  const deviceId = shared.device.deviceId;
  const server = http.createServer((req, res) => {
    const create = req.method === 'POST' ? { id: uploads.newId(), metadata: metadataOf(req) } : undefined;
    void uploads.handle(req, res, { deviceId, create });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async create(size: number, metadata: Record<string, string>) {
      const res = await fetch(`${url}/files/`, {
        method: 'POST',
        headers: { ...TUS, 'Upload-Length': String(size), 'Upload-Metadata': encodeMetadata(metadata) },
      });
      expect(res.status).toBe(201);
      return new URL(res.headers.get('location') ?? '', url).pathname;
    },
    patch(location: string, offset: number, body: Buffer) {
      return fetch(url + location, {
        method: 'PATCH',
        headers: { ...TUS, 'Content-Type': OCTETS, 'Upload-Offset': String(offset) },
        body: new Uint8Array(body),
      });
    },
    async close() {
      await uploads.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// The Upload-Metadata pairs, decoded (the gateway's checks of them are not what is tested here).
function metadataOf(req: http.IncomingMessage): Record<string, string> {
  const pairs = String(req.headers['upload-metadata'] ?? '').split(',');
  return Object.fromEntries(
    pairs.filter(Boolean).map((pair) => {
      const [key = '', value = ''] = pair.trim().split(' ');
      return [key, Buffer.from(value, 'base64').toString()];
    }),
  );
}

function opened<T>(stored: T | undefined): T {
  if (!stored) throw new Error('nothing stored');
  return stored;
}

describe('the Tender store with its bytes on S3 on Swift', () => {
  let swift: SwiftS3Service;
  const dirs: string[] = [];
  const staging = () => {
    const dir = tempDir('tender-s3-staging-');
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    swift = await startSwiftS3();
  }, 120_000);
  afterAll(async () => {
    await swift?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const s3Bytes = (prefix: string) =>
    new S3Bytes({ client: swift.clientConfig, bucket: swift.bucket, prefix, stagingDir: staging() });

  test('a 13 MiB upload begun on one server and finished on another is filed with its SHA-256', async () => {
    const shared = await sharedState();
    const first = await tenderServer(s3Bytes('fleet/'), shared);
    const second = await tenderServer(s3Bytes('fleet/'), shared);
    try {
      const data = bytes(13 * MiB + 12_345, 21);
      const location = await first.create(data.length, { filename: 'bilge-pump.mp4', sha256: sha256(data) });
      const id = path.basename(location);
      expect((await first.patch(location, 0, data.subarray(0, 6 * MiB))).status).toBe(204);
      expect((await first.patch(location, 6 * MiB, data.subarray(6 * MiB, 9 * MiB))).status).toBe(204);
      // The second server has no running hash: it completes from the SHA-256 state kept in S3.
      const last = await second.patch(location, 9 * MiB, data.subarray(9 * MiB));
      expect(last.status).toBe(204);
      expect(last.headers.get('upload-offset')).toBe(String(data.length));
      const record = await shared.records.get(id);
      expect(record?.sha256).toBe(sha256(data));
      expect(record?.path).toMatch(/Engine room\/.*bilge-pump\.mp4$/);
      // Read back from S3 directly, as an operator would.
      const s3 = new S3Client(swift.clientConfig);
      const got = await s3.send(new GetObjectCommand({ Bucket: swift.bucket, Key: `fleet/${record?.path}` }));
      expect(sha256(Buffer.from((await got.Body?.transformToByteArray()) ?? []))).toBe(sha256(data));
      s3.destroy();
      expect(await shared.partials.get(id)).toBeUndefined();
    } finally {
      await first.close();
      await second.close();
      shared.close();
    }
  });

  test('a file whose bytes do not match its sha256 metadata is refused and its bytes deleted', async () => {
    const shared = await sharedState();
    const bytesOnS3 = s3Bytes('mismatch/');
    const server = await tenderServer(bytesOnS3, shared);
    try {
      const data = bytes(6 * MiB, 22);
      const wrong = sha256(bytes(6 * MiB, 23));
      const location = await server.create(data.length, { filename: 'x.bin', sha256: wrong });
      expect((await server.patch(location, 0, data)).status).toBe(460);
      expect(await bytesOnS3.length(path.basename(location))).toBeUndefined();
      expect(await bytesOnS3.list()).toEqual([]);
    } finally {
      await server.close();
      shared.close();
    }
  });

  test('a large object is copied in parts, server-side, byte for byte', async () => {
    const s3 = new S3(swift.clientConfig);
    const Bucket = swift.bucket;
    try {
      const data = bytes(13 * MiB, 25);
      await s3.putObject({ Bucket, Key: 'copy/engine log.bin', Body: data });
      // Parts of 5 MiB from 5 MiB on: three UploadPartCopy ranges (5, 5 and 3 MiB).
      const sizes = { singleBytes: 5 * MiB, partBytes: 5 * MiB };
      await copyObject(s3, Bucket, { key: 'copy/engine log.bin', size: data.length }, 'copy/to/y.bin', sizes);
      // A multipart object's ETag ends with its number of parts.
      expect((await s3.headObject({ Bucket, Key: 'copy/to/y.bin' })).ETag).toMatch(/-3"$/);
      const whole = await s3.getObject({ Bucket, Key: 'copy/to/y.bin' });
      expect(sha256(Buffer.from((await whole.Body?.transformToByteArray()) ?? []))).toBe(sha256(data));
    } finally {
      s3.destroy();
    }
  });

  // TENDER_S3_BENCH_MIB=256 for the figures in the docs; the suite's run stays small.
  test('8 MiB PATCHes through the store: throughput on files and on S3 in the same run', async () => {
    const total = Number(process.env.TENDER_S3_BENCH_MIB ?? 32) * MiB;
    const data = bytes(total, 24);
    const root = tempDir('tender-s3-files-');
    dirs.push(root);
    const figures: Record<string, number> = {};
    for (const [name, store] of [
      ['files', new FileBytes(root)],
      ['s3', s3Bytes('bench/')],
    ] as const) {
      const shared = await sharedState();
      const server = await tenderServer(store, shared);
      try {
        const started = performance.now();
        const location = await server.create(total, { filename: 'bench.bin', sha256: sha256(data) });
        let lastPatch = 0;
        for (let at = 0; at < total; at += 8 * MiB) {
          if (name === 's3' && at + 8 * MiB >= total) {
            // Parts stored before the last PATCH, from the tail object that counts them.
            const Key = `bench/unfinished/${path.basename(location)}.part`;
            const s3 = new S3(swift.clientConfig);
            const head = await s3.headObject({ Bucket: swift.bucket, Key });
            s3.destroy();
            figures['s3 parts before the last PATCH'] = Number(head.Metadata?.['tail-parts']);
          }
          const sent = performance.now();
          const res = await server.patch(location, at, data.subarray(at, at + 8 * MiB));
          expect(res.status).toBe(204);
          lastPatch = performance.now() - sent;
        }
        const seconds = (performance.now() - started) / 1000;
        figures[`${name} MiB/s`] = Math.round(total / MiB / seconds);
        // The last PATCH also verifies the whole file and files it (on S3: assembles, then copies).
        figures[`${name} last PATCH s`] = Math.round(lastPatch) / 1000;
        const record = await shared.records.get(path.basename(location));
        expect(record?.sha256).toBe(sha256(data));
        // What reading the whole file back (to hash it) costs, which the kept SHA-256 state saves.
        const readStart = performance.now();
        const stored = await store.open(record?.path ?? '');
        expect(sha256(await buffer(opened(stored).stream()))).toBe(sha256(data));
        figures[`${name} read-back s`] = Math.round(performance.now() - readStart) / 1000;
      } finally {
        await server.close();
        shared.close();
      }
    }
    console.log(`${total / MiB} MiB in 8 MiB PATCHes`, figures);
    expect(figures['s3 MiB/s']).toBeGreaterThan(0);
  }, 300_000);
});
