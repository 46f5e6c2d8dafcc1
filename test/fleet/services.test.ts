// The fleet's services, each started here from Debian's packages, driven with the clients the fleet
// server uses: S3 on Swift (AWS SDK, @tus/s3-store), Redis (ioredis), PostgreSQL (pg), nginx.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { Server as TusServer } from '@tus/server';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type NginxService, startNginx } from '../support/fleet/nginx.ts';
import { type PostgresService, startPostgres } from '../support/fleet/postgres.ts';
import { RecordingUpstream } from '../support/fleet/recordingUpstream.ts';
import { type RedisService, startRedis } from '../support/fleet/redis.ts';
import { type SwiftS3Service, startSwiftS3 } from '../support/fleet/swiftS3.ts';

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Polls `condition` every 20 ms until true; fails after `timeoutMs`. */
async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `promise`, or a rejection with `message` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('S3 on Swift', () => {
  let swift: SwiftS3Service;
  let s3: S3Client;
  beforeAll(async () => {
    swift = await startSwiftS3();
    s3 = new S3Client(swift.clientConfig);
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await swift?.stop();
  });

  test('an object put is read back byte for byte, and is gone once deleted', async () => {
    const Bucket = swift.bucket;
    const body = randomBytes(300_000);
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'crew/photo.jpg', Body: body, ContentType: 'image/jpeg' }),
    );
    const read = await s3.send(new GetObjectCommand({ Bucket, Key: 'crew/photo.jpg' }));
    expect(read.ContentType).toBe('image/jpeg');
    expect(read.ContentLength).toBe(body.length);
    expect(sha256(await (read.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())))).toBe(
      sha256(body),
    );
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'crew/photo.jpg' }));
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'crew/photo.jpg' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });

  test('a multipart upload is assembled in part order', async () => {
    const Bucket = swift.bucket;
    const Key = 'engine-room.mp4';
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(123_457)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const etags = await Promise.all(
      parts.map(async (Body, index) => {
        const answer = await s3.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body }),
        );
        return { ETag: answer.ETag, PartNumber: index + 1 };
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: etags } }),
    );
    const read = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(read.ContentLength).toBe(10 * MiB + 123_457);
    const bytes = await (read.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()));
    expect(sha256(bytes)).toBe(sha256(Buffer.concat(parts)));
  });

  test('stock @tus/server on @tus/s3-store stores a resumed tus upload in Swift intact', async () => {
    const datastore = new S3Store({
      partSize: 5 * MiB,
      useTags: false,
      s3ClientConfig: { ...swift.clientConfig, bucket: swift.bucket },
    });
    const tus = new TusServer({ path: '/files', datastore });
    const http = createServer((req, res) => void tus.handle(req, res));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const file = randomBytes(12 * MiB + 4321);
      const tusHeaders = { 'Tus-Resumable': '1.0.0' };
      const created = await fetch(`${base}/files`, {
        method: 'POST',
        headers: {
          ...tusHeaders,
          'Upload-Length': String(file.length),
          'Upload-Metadata': `filename ${Buffer.from('manual.pdf').toString('base64')}`,
        },
      });
      expect(created.status).toBe(201);
      const location = new URL(created.headers.get('location') ?? '', base).href;
      const chunk = 3 * MiB;
      for (let offset = 0; offset < file.length; offset += chunk) {
        // Each PATCH starts where the server says it is, as a resuming client does.
        const head = await fetch(location, { method: 'HEAD', headers: tusHeaders });
        expect(Number(head.headers.get('upload-offset'))).toBe(offset);
        const patched = await fetch(location, {
          method: 'PATCH',
          headers: {
            ...tusHeaders,
            'Content-Type': 'application/offset+octet-stream',
            'Upload-Offset': String(offset),
          },
          body: file.subarray(offset, offset + chunk),
        });
        expect(patched.status).toBe(204);
        expect(Number(patched.headers.get('upload-offset'))).toBe(Math.min(offset + chunk, file.length));
      }
      const id = location.slice(location.lastIndexOf('/') + 1);
      const s3 = new S3Client(swift.clientConfig);
      const stored = await s3.send(new GetObjectCommand({ Bucket: swift.bucket, Key: id }));
      const bytes = await (stored.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()));
      s3.destroy();
      expect(bytes.length).toBe(file.length);
      expect(sha256(bytes)).toBe(sha256(file));
    } finally {
      http.close();
    }
  });
});

describe('Redis', () => {
  let service: RedisService;
  let redis: Redis;
  beforeAll(async () => {
    service = await startRedis();
    redis = new Redis(service.url, { lazyConnect: true });
    await redis.connect();
  }, 30_000);
  afterAll(async () => {
    redis?.disconnect();
    await service?.stop();
  });

  test('a value set is read back', async () => {
    await redis.set('upload:abc:offset', '1048576');
    expect(await redis.get('upload:abc:offset')).toBe('1048576');
  });

  test('SET NX PX is a lock: one holder at a time, free again when it lapses', async () => {
    const key = 'lock:upload:abc';
    expect(await redis.set(key, 'instance-a', 'PX', 400, 'NX')).toBe('OK');
    expect(await redis.set(key, 'instance-b', 'PX', 400, 'NX')).toBeNull();
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
    expect(await redis.get(key)).toBe('instance-a');
    const takenAt = Date.now();
    await until('the lock to lapse', async () => (await redis.exists(key)) === 0);
    expect(Date.now() - takenAt).toBeGreaterThan(200);
    expect(await redis.set(key, 'instance-b', 'PX', 400, 'NX')).toBe('OK');
    expect(await redis.get(key)).toBe('instance-b');
  });
});

describe('PostgreSQL', () => {
  let service: PostgresService;
  beforeAll(async () => {
    service = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
  });

  test('a row inserted on one connection is selected on another', async () => {
    const writer = new pg.Client({ connectionString: service.connectionString });
    const reader = new pg.Client({ connectionString: service.connectionString });
    await Promise.all([writer.connect(), reader.connect()]);
    try {
      await writer.query(
        'CREATE TABLE records (id text PRIMARY KEY, name text NOT NULL, size bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now())',
      );
      await writer.query('INSERT INTO records (id, name, size) VALUES ($1, $2, $3), ($4, $5, $6)', [
        ...['r1', 'hull.jpg', 5_368_709_120],
        ...['r2', 'ÉCHO sondeur.pdf', 42],
      ]);
      const { rows } = await reader.query('SELECT id, name, size FROM records ORDER BY id');
      expect(rows).toEqual([
        { id: 'r1', name: 'hull.jpg', size: '5368709120' },
        { id: 'r2', name: 'ÉCHO sondeur.pdf', size: '42' },
      ]);
    } finally {
      await Promise.all([writer.end(), reader.end()]);
    }
  });
});

describe('nginx in front of two instances', () => {
  const upstreams = [new RecordingUpstream('a'), new RecordingUpstream('b')];
  let nginx: NginxService;
  beforeAll(async () => {
    nginx = await startNginx({
      upstreams: await Promise.all(upstreams.map((upstream) => upstream.listen())),
    });
  }, 30_000);
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  });

  /** PUTs `body` in 64 KiB writes, holding all but the first until an instance has seen a byte. */
  async function streamedPut(name: string, body: Buffer) {
    const req = request(`${nginx.url}/files/${name}`, {
      method: 'PUT',
      headers: { 'content-length': body.length, 'x-request-name': name },
    });
    const answered = once(req, 'response');
    answered.catch(() => {}); // awaited below; a failed wait for the first byte must not leave it unhandled
    const firstByte = Promise.any(upstreams.map((upstream) => upstream.firstByteOf(name)));
    const write = async (data: Buffer) => {
      if (!req.write(data)) await once(req, 'drain');
    };
    await write(body.subarray(0, 64 * 1024));
    await within(firstByte, 10_000, 'no instance saw a byte while the client was still sending (buffered?)');
    const sentFirstBytesAt = Date.now();
    for (let offset = 64 * 1024; offset < body.length; offset += 64 * 1024) {
      await write(body.subarray(offset, offset + 64 * 1024));
    }
    req.end();
    const [res] = (await answered) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const answer = JSON.parse(Buffer.concat(chunks).toString()) as {
      upstream: string;
      bytes: number;
      sha256: string;
    };
    return { status: res.statusCode, answer, sentFirstBytesAt };
  }

  test('long PUTs stream through to each instance in turn, unbuffered, with forwarding headers', async () => {
    const bodies = [randomBytes(8 * MiB), randomBytes(8 * MiB + 1)];
    const answers = [];
    for (const [index, body] of bodies.entries()) {
      const put = await streamedPut(`put-${index}`, body);
      expect(put.status).toBe(200);
      expect(put.answer).toMatchObject({ bytes: body.length, sha256: sha256(body) });
      const seen = upstreams
        .flatMap((upstream) => upstream.requests)
        .find((r) => r.url === `/files/put-${index}`);
      // The instance had the first bytes before the client sent the rest.
      expect(seen?.firstByteAt).toBeLessThanOrEqual(put.sentFirstBytesAt);
      expect(seen?.headers).toMatchObject({
        host: `127.0.0.1:${nginx.port}`,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `127.0.0.1:${nginx.port}`,
      });
      answers.push(put.answer.upstream);
    }
    expect(answers.sort()).toEqual(['a', 'b']);
  });

  test('connections to the instances are kept alive across requests', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${nginx.url}/api/progress/${i}`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    for (const upstream of upstreams) {
      const connections = new Set(upstream.requests.map((r) => r.connection));
      expect(upstream.requests.length).toBeGreaterThanOrEqual(3);
      expect(connections.size).toBe(1);
    }
  });
});
