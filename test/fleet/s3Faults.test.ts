// S3 bytes when S3 fails mid-persist: the request's bytes are cut back to the acknowledged end, both
// when the commit never reached S3 and when it did but its answer was lost.
import fs from 'node:fs';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S3Bytes } from '../../server/s3/s3Bytes.ts';
import { StorageError } from '../../server/storageIo.ts';
import { bytes, sha256, tempDir } from '../server/helpers.ts';
import { type SwiftS3Service, startSwiftS3 } from '../support/fleet/swiftS3.ts';

const MiB = 1024 * 1024;
type Handler = S3Client['config']['requestHandler'];
type Request = Parameters<Handler['handle']>[0];

/** The SDK's own HTTP handler, failing the next request `fails` picks: before sending, or after its answer. */
function faultyHandler(config: S3ClientConfig) {
  const probe = new S3Client(config);
  const inner = probe.config.requestHandler;
  const fault: { fails?: (req: Request) => boolean; when?: 'before' | 'after'; hits: number } = { hits: 0 };
  const handler: Handler = {
    async handle(req, options) {
      const hit = fault.fails?.(req);
      if (hit) {
        fault.fails = undefined;
        fault.hits++;
      }
      if (hit && fault.when === 'before') throw new Error('connection reset before sending');
      const answer = await inner.handle(req, options);
      if (hit) {
        answer.response.body?.destroy?.();
        throw new Error('connection reset before the answer');
      }
      return answer;
    },
    destroy: () => probe.destroy(),
  };
  return { handler, fault };
}

// The tail object's PUT, which commits a persist.
const commit = (req: Request) => req.method === 'PUT' && req.path.endsWith('.part') && !req.query?.uploadId;

describe('S3 bytes when S3 fails mid-persist', () => {
  let swift: SwiftS3Service;
  const dirs: string[] = [];
  beforeAll(async () => {
    swift = await startSwiftS3();
  }, 120_000);
  afterAll(async () => {
    await swift?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const when of ['before', 'after'] as const) {
    test(`a commit lost ${when} S3 got it is cut back to the acknowledged end`, async () => {
      const { handler, fault } = faultyHandler(swift.clientConfig);
      const stagingDir = tempDir('tender-s3-staging-');
      dirs.push(stagingDir);
      const client = { ...swift.clientConfig, requestHandler: handler, maxAttempts: 1 };
      const store = new S3Bytes({ client, bucket: swift.bucket, prefix: `${when}/`, stagingDir });
      const id = 'c'.repeat(32);
      await store.create(id);
      const first = bytes(3 * MiB, 31);
      const writer = await store.append(id, 0);
      await writer.write([first]);
      await writer.persist(first.length);
      // 3 + 4 MiB: the part upload goes through, the tail that commits it fails.
      await writer.write([bytes(4 * MiB, 32)]);
      Object.assign(fault, { fails: commit, when });
      await expect(writer.persist(7 * MiB)).rejects.toBeInstanceOf(StorageError);
      expect(fault.hits).toBe(1);
      // What the store does after a failed persist: back to the last acknowledged end.
      await writer.cut(first.length);
      await writer.close();
      expect(await store.length(id)).toBe(first.length);
      expect(await store.digest(id)).toBe(sha256(first));
      const rest = bytes(5 * MiB, 33);
      const again = await store.append(id, first.length);
      await again.write([rest]);
      await again.persist(8 * MiB);
      await again.close();
      await store.place(id, `placed-${when}.bin`);
      const stored = await store.open(`placed-${when}.bin`);
      const read = Buffer.concat((await stored?.stream().toArray()) ?? []);
      expect(sha256(read)).toBe(sha256(Buffer.concat([first, rest])));
    });
  }
});
