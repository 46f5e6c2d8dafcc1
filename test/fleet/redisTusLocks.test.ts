// Two stock @tus/server instances over one directory, each with its own RedisLocker: a client whose
// PATCH hangs on one resumes through the other, which asks the first to let go of the lock.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisLocker } from '../../server/redisLocker.ts';
import { type RedisService, startRedis } from '../support/fleet/redis.ts';
import { pollUntil } from '../support/pollUntil.ts';

const DRAIN_MS = 300;
let service: RedisService;
let dir: string;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  service = await startRedis();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-tus-locks-'));
}, 30_000);
afterAll(async () => {
  for (const close of closers) await close();
  await service?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One server of the fleet: tus on the shared directory, locks in Redis. */
async function instance(prefix: string) {
  const redis = new Redis(service.url);
  const locker = await RedisLocker.open({ redis, prefix, acquireTimeoutMs: 20_000 });
  const tus = new Server({
    path: '/files',
    datastore: new FileStore({ directory: dir }),
    locker,
    lockDrainTimeout: DRAIN_MS,
  });
  const server = http.createServer((req, res) => void tus.handle(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
    () => locker.close(),
    () => redis.disconnect(),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, redis };
}

const tusHeaders = { 'Tus-Resumable': '1.0.0' };

it('a HEAD through another server ends the stale PATCH holding the lock, and the upload resumes there', async () => {
  const prefix = `${randomUUID()}:`;
  const [a, b] = [await instance(prefix), await instance(prefix)];
  const file = randomBytes(1024 * 1024);
  const created = await fetch(`${a.url}/files`, {
    method: 'POST',
    headers: { ...tusHeaders, 'Upload-Length': String(file.length) },
  });
  expect(created.status).toBe(201);
  const id = (created.headers.get('location') ?? '').split('/').pop() ?? '';

  // A PATCH through server a that sends 256 KiB and then nothing, as on a link that went silent.
  const stale = http.request(`${a.url}/files/${id}`, {
    method: 'PATCH',
    headers: {
      ...tusHeaders,
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': '0',
      'Content-Length': String(file.length),
    },
  });
  stale.on('error', () => {}); // server a ends it
  const staleAnswer = once(stale, 'response').catch(() => undefined);
  stale.write(file.subarray(0, 256 * 1024));
  await pollUntil(
    'the stale PATCH to hold the lock',
    () => a.redis.exists(`${prefix}lock:${id}`),
    (n) => n === 1,
  );
  await pollUntil(
    'its bytes to reach the file',
    () => fs.statSync(path.join(dir, id)).size,
    (size) => size === 256 * 1024,
  );

  // The client gives up on it and asks server b where the upload stands.
  const askedAt = performance.now();
  const head = await fetch(`${b.url}/files/${id}`, { method: 'HEAD', headers: tusHeaders });
  const waited = performance.now() - askedAt;
  expect(head.status).toBe(200);
  const offset = Number(head.headers.get('upload-offset'));
  expect(offset).toBe(256 * 1024);
  // Server a let go after its drain time, not after b's 20 s lock timeout.
  expect(waited).toBeGreaterThanOrEqual(DRAIN_MS - 20);
  expect(waited).toBeLessThan(DRAIN_MS + 2000);
  console.info(`HEAD through another server answered after ${waited.toFixed(0)} ms (drain ${DRAIN_MS} ms)`);
  await staleAnswer;

  const resumed = await fetch(`${b.url}/files/${id}`, {
    method: 'PATCH',
    headers: {
      ...tusHeaders,
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
    },
    body: file.subarray(offset),
  });
  expect(resumed.status).toBe(204);
  expect(Number(resumed.headers.get('upload-offset'))).toBe(file.length);
  const stored = fs.readFileSync(path.join(dir, id));
  expect(createHash('sha256').update(stored).digest('hex')).toBe(
    createHash('sha256').update(file).digest('hex'),
  );
});
