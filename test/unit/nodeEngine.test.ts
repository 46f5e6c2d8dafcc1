import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeClock, nodeFetchStack } from '../../src/node/nodeFetchStack.ts';
import { SqliteQueueStore } from '../../src/node/SqliteQueueStore.ts';
import { drainQueue } from '../../src/shared/engine.ts';
import { stallLimits } from '../../src/shared/stallJudge.ts';
import { createTusUploader } from '../../src/shared/tusUploader.ts';
import { newQueueItem } from '../../src/shared/types.ts';
import {
  ADMIN,
  listRecords,
  startServer,
  type TestDevice,
  type TestServer,
  until,
} from '../server/helpers.ts';
import { type LinkEmulator, startLinkEmulator } from '../support/linkEmulator.ts';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let server: TestServer;
let device: TestDevice;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-node-engine-'));

beforeAll(async () => {
  server = await startServer();
  device = await server.enroll('Relay');
});
afterAll(async () => {
  // The link's cut connections sit half-closed on the server; without this it waits out its 5 s grace.
  server.tender.server.closeAllConnections();
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/**
 * The engine as a Node process wires it: the SQLite queue in `dir`, the shared fetch stack on
 * Node's fetch, tus-js-client with block checksums, reaching the server at `base`.
 */
function nodeEngine(dir: string, base: string, chunkSize: number) {
  const store = new SqliteQueueStore(dir);
  const clock = nodeClock();
  const uploader = createTusUploader({
    endpoint: `${base}/files/`,
    httpStack: nodeFetchStack({
      clock,
      limits: () => stallLimits(5),
      progressUrl: (uploadUrl) => `${base}/api/progress/${new URL(uploadUrl).pathname.split('/').pop()}`,
    }),
    chunkSize,
    getHeaders: async () => ({ Authorization: `Bearer ${device.token}` }),
    blockChecksums: true,
  });
  return { store, clock, uploader };
}

/** A file of random bytes written to disk, queued in `store` as read from there. */
async function queueFileFromDisk(store: SqliteQueueStore, size: number) {
  const bytes = randomBytes(size);
  const file = path.join(root, `${randomUUID()}.bin`);
  fs.writeFileSync(file, bytes);
  const blob = await fs.openAsBlob(file, { type: 'application/octet-stream' });
  const id = randomUUID();
  const item = newQueueItem({ id, blob, name: 'engine-log.bin', sha256: sha256(bytes) }, Date.now());
  await store.add([{ item, blob }]);
  return { id, bytes };
}

/** The bytes the server filed for queue item `id`, downloaded through the admin API. */
async function storedOnServer(id: string): Promise<Buffer> {
  const record = (await listRecords(server.url, `?q=${id}`)).find(
    (r) => (r.metadata as Record<string, string>).queueId === id,
  );
  expect(record).toBeDefined();
  const res = await fetch(`${server.url}/api/uploads/${record?.id}/content`, { headers: ADMIN });
  return Buffer.from(await res.arrayBuffer());
}

/** A point in the link's traffic to count from. */
const mark = (link: LinkEmulator) => ({
  delivered: link.stats.upDeliveredBytes,
  requests: link.requests.length,
});

/**
 * Request body bytes the link handed to the server since `from`: every uplink byte less the heads
 * of the requests. Counted as delivered, so the bytes of a cut PATCH still in flight when the
 * client gave it up count too.
 */
const bodyBytesSince = (link: LinkEmulator, from: ReturnType<typeof mark>) =>
  link.stats.upDeliveredBytes -
  from.delivered -
  link.requests.slice(from.requests).reduce((sum, r) => sum + r.headBytes, 0);

describe(`the engine in Node (tus-js-client's ${process.env.TUS_BUILD} build)`, () => {
  it('uploads a file from disk in chunks from the SQLite queue; the server holds the same SHA-256', async () => {
    const dir = path.join(root, 'whole');
    const { store, clock, uploader } = nodeEngine(dir, server.url, MiB);
    const { id, bytes } = await queueFileFromDisk(store, 3 * MiB + 12345);
    const confirmed: number[] = [];
    const outcome = await drainQueue({
      store,
      uploader,
      clock,
      onChange: (item) => confirmed.push(item.bytesConfirmed),
    });
    expect(outcome).toMatchObject({ stoppedBecause: 'empty', uploaded: 1, remaining: 0 });
    expect([...new Set(confirmed)].filter((n) => n > 0)).toEqual([MiB, 2 * MiB, 3 * MiB, bytes.length]);
    expect(sha256(await storedOnServer(id))).toBe(sha256(bytes));
    // Uploaded: the record stays, the queue's copy of the bytes is deleted from disk.
    expect(await store.get(id)).toMatchObject({ status: 'uploaded', releasedAt: expect.any(Number) });
    expect(fs.readdirSync(path.join(dir, 'files'))).toEqual([]);
    store.close();
  });

  it('resumes from the server’s offset in a new engine over the same queue, resending nothing acknowledged', async () => {
    // 1 MiB/s up, so the link and not the server's socket buffers holds what is in flight. Once
    // 3 MiB have crossed, in the second 2 MiB chunk, it slows to a trickle that still moves (no
    // stall): the engine is stopped there, however late its progress reads come.
    const link = await startLinkEmulator(server.url, {
      uplinkBytesPerSec: MiB,
      schedule: [{ atUplinkBytes: 3 * MiB, action: { kind: 'rates', uplinkBytesPerSec: 16 * 1024 } }],
    });
    const dir = path.join(root, 'resumed');
    const size = 5 * MiB;
    const first = nodeEngine(dir, link.url, 2 * MiB);
    const { id, bytes } = await queueFileFromDisk(first.store, size);
    const start = mark(link);

    const stop = new AbortController();
    const stopped = await drainQueue({
      ...first,
      signal: stop.signal,
      // The server's count, read while a PATCH is in flight: stop inside the second chunk.
      onProgress: (_id, onServer) => {
        if (onServer > 2.5 * MiB) stop.abort();
      },
    });
    first.store.close();
    expect(stopped.stoppedBecause).toBe('aborted');
    // What the stopped engine had already handed to its sockets crosses at full speed, until the
    // link has seen every connection of the first run answered or closed.
    link.setUplink(0);
    const settled = await until(
      () => link.requests.every((r) => r.endedAt !== null),
      (all) => all,
      15_000,
    );
    expect(settled).toBe(true);

    const second = nodeEngine(dir, link.url, 2 * MiB);
    const saved = await second.store.get(id);
    expect(saved).toMatchObject({ status: 'waiting', bytesConfirmed: 2 * MiB });
    expect(saved?.uploadUrl).toBeTruthy();
    // What the server kept once the cut PATCH ended: the first chunk and the verified blocks of the second.
    const head = await until(
      () => server.head(device, saved?.uploadUrl ?? ''),
      (res) => res.status === 200,
      15_000,
    );
    expect(head.status).toBe(200);
    const serverOffset = Number(head.headers.get('upload-offset'));
    expect(serverOffset).toBeGreaterThan(2 * MiB);
    const firstRunBytes = bodyBytesSince(link, start);

    const resumed = mark(link);
    const done = await drainQueue(second);
    second.store.close();
    expect(done).toMatchObject({ stoppedBecause: 'empty', uploaded: 1 });
    const patches = link.requests.slice(resumed.requests).filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThan(0);
    const secondRunBytes = bodyBytesSince(link, resumed);
    // Exactly the bytes the server lacked crossed the link again, starting at its offset.
    expect(secondRunBytes).toBe(size - serverOffset);
    // Sent and not kept, over both runs: less than the one chunk that was cut.
    expect(firstRunBytes).toBeGreaterThanOrEqual(serverOffset);
    expect(firstRunBytes + secondRunBytes - size).toBeLessThan(2 * MiB);
    expect(sha256(await storedOnServer(id))).toBe(sha256(bytes));
    await link.close();
  });
});
