import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBaseline, startTender, tempDir } from './lib/servers.mjs';
import { MiB, median, note, round } from './lib/stats.mjs';
import { blockChecksumsOf, TusClient } from './lib/tus.mjs';

/**
 * One large upload over loopback in fixed PATCH chunks: stock @tus/server + file-store against
 * Tender (auth, Upload-Checksum on every PATCH, fsync before each acknowledgement, whole-file
 * SHA-256 check). Two more variants split the difference: the baseline with one fdatasync per
 * PATCH, and Tender without the per-PATCH checksum; and Tender with Upload-Block-Checksums, as the
 * app sends. Rounds alternate between all variants (in a
 * rotating order) after one untimed warm-up upload each, so drift on a noisy machine hits all alike.
 */
export async function measureThroughput({ sizeBytes, chunkBytes, runs, warmupBytes }) {
  const dir = tempDir('source');
  const file = path.join(dir, 'upload.bin');
  const servers = [];
  try {
    note(`writing ${sizeBytes / MiB} MiB of random bytes to ${file}`);
    const { sha256, checksums, blockChecksums } = writeRandomFile(file, sizeBytes, chunkBytes);

    const baseline = await startBaseline();
    const baselineFsync = await startBaseline({ fsync: true });
    // One device sends about 50 PATCHes a second here, past the default limit of 20 per device
    // (a crew device's chunks are far larger on a LAN): the limit is not what this measures.
    const tender = await startTender({ TENDER_DEVICE_RATE: '1000' });
    servers.push(baseline, baselineFsync, tender);
    const token = await tender.enroll('bench throughput');
    const variants = {
      baseline: { server: baseline, client: new TusClient(baseline.url) },
      baselineFsync: { server: baselineFsync, client: new TusClient(baselineFsync.url) },
      tenderNoChunkChecksum: { server: tender, client: new TusClient(tender.url, { token }) },
      tender: { server: tender, client: new TusClient(tender.url, { token }), checksums },
      tenderBlockChecksums: { server: tender, client: new TusClient(tender.url, { token }), blockChecksums },
    };
    const metadata = { filename: 'bench.mp4', filetype: 'video/mp4', sha256 };
    const speeds = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));

    const names = Object.keys(variants);
    for (let run = 0; run <= runs; run++) {
      // Each round starts with a different variant, so none always follows the same neighbour.
      const order = names.map((_, i) => names[(i + run) % names.length]);
      for (const name of order) {
        const { server, client, checksums, blockChecksums } = variants[name];
        // Earlier runs' unsynced pages (the baseline never fsyncs) must not be flushed inside this one.
        spawnSync('sync');
        // Round 0 warms up each server (JIT, first allocations) on a shorter upload, untimed.
        const size = run === 0 ? Math.min(warmupBytes, sizeBytes) : sizeBytes;
        const { url, seconds } = await upload(client, file, size, chunkBytes, {
          metadata: run === 0 ? { filename: 'warmup.mp4', filetype: 'video/mp4' } : metadata,
          checksums,
          blockChecksums,
        }).catch((error) => {
          throw new Error(
            `${name}, run ${run}: ${error.message}; the server's last lines:\n${server.tail()}`,
          );
        });
        await verifyAndDelete(server, url, run === 0 ? undefined : sha256);
        if (run === 0) continue;
        const mibs = sizeBytes / MiB / seconds;
        speeds[name].push(mibs);
        note(`run ${run} ${name}: ${mibs.toFixed(1)} MiB/s (${seconds.toFixed(2)} s), sha256 verified`);
      }
    }
    for (const { client } of Object.values(variants)) client.close();

    const result = { sizeBytes, chunkBytes, runs, warmupBytes };
    const base = median(speeds.baseline);
    for (const [name, values] of Object.entries(speeds)) {
      result[name] = {
        runsMiBps: values.map((v) => round(v, 1)),
        medianMiBps: round(median(values), 1),
        bestMiBps: round(Math.max(...values), 1),
        ratioMedianToBaseline: round(median(values) / base, 3),
      };
    }
    result.ratioMedian = result.tender.ratioMedianToBaseline;
    result.ratioMedianBlockChecksums = result.tenderBlockChecksums.ratioMedianToBaseline;
    result.ratioBest = round(Math.max(...speeds.tender) / Math.max(...speeds.baseline), 3);
    result.sha256Verified = true;
    return result;
  } finally {
    for (const server of servers) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Checks the stored upload (Tender: its record via GET /api/uploads; baseline: the file's bytes),
// then deletes the bytes so the disk does not fill up over the runs.
async function verifyAndDelete(server, url, sha256) {
  const id = new URL(url).pathname.split('/').pop();
  if (server.kind === 'tender') {
    const record = (await server.records()).find((r) => r.id === id);
    if (!record?.path) throw new Error(`Tender has no record of ${id}`);
    if (sha256 && record.sha256 !== sha256) throw new Error(`Tender's record of ${id} has the wrong sha256`);
    fs.rmSync(path.join(server.dataDir, record.path), { force: true });
  } else {
    const stored = server.fileOf(url);
    if (sha256 && (await hashFile(stored)) !== sha256) throw new Error(`baseline stored ${stored} wrongly`);
    fs.rmSync(stored, { force: true });
    fs.rmSync(`${stored}.json`, { force: true });
  }
}

// Writes `size` random bytes chunk by chunk through one reused buffer, hashing as it goes.
function writeRandomFile(file, size, chunkBytes) {
  const whole = createHash('sha256');
  const checksums = [];
  const blockChecksums = [];
  const buffer = Buffer.allocUnsafe(chunkBytes);
  const fd = fs.openSync(file, 'w');
  try {
    for (let offset = 0; offset < size; offset += chunkBytes) {
      const piece = buffer.subarray(0, Math.min(chunkBytes, size - offset));
      randomFillSync(piece);
      fs.writeSync(fd, piece);
      whole.update(piece);
      checksums.push(createHash('sha256').update(piece).digest('base64'));
      blockChecksums.push(blockChecksumsOf(piece));
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: whole.digest('hex'), checksums, blockChecksums };
}

// The timed part: creation, then one PATCH per chunk read from the file (one chunk in memory at a
// time). Chunk checksums were computed up front, so both servers get identical client work.
async function upload(client, file, size, chunkBytes, { metadata, checksums, blockChecksums }) {
  const handle = await fs.promises.open(file, 'r');
  try {
    const started = performance.now();
    const url = await client.create(size, metadata);
    let offset = 0;
    for (let index = 0; offset < size; index++) {
      const length = Math.min(chunkBytes, size - offset);
      const body = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(body, 0, length, offset);
      if (bytesRead !== length) throw new Error(`short read at ${offset}`);
      const next = await client.patch(url, offset, body, checksums?.[index], blockChecksums?.[index]);
      if (next !== offset + length)
        throw new Error(`server answered offset ${next}, expected ${offset + length}`);
      offset = next;
    }
    return { url, seconds: (performance.now() - started) / 1000 };
  } finally {
    await handle.close();
  }
}

async function hashFile(file) {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk);
  return hash.digest('hex');
}
