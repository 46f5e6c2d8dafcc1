import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fleetEnv, startFleetServices } from '../build/bench/test/support/fleet/fleetServices.js';
import { startNginx } from '../build/bench/test/support/fleet/nginx.js';
import { startTender, tempDir } from './lib/servers.mjs';
import { MiB, median, note, round } from './lib/stats.mjs';
import { TusClient } from './lib/tus.mjs';

/**
 * The fleet against the embedded server in the same run: one Tender on the defaults (files, SQLite,
 * memory), one Tender on the fleet's backends (PostgreSQL, Redis, S3 on a single-node Swift), and
 * two of those behind nginx (request buffering off). Each carries one large upload in fixed PATCHes, then
 * `concurrent` uploads of a share of it at once; rounds alternate the order after an untimed warm-up.
 */
export async function measureFleet({ sizeBytes, chunkBytes, runs, concurrent, warmupBytes }) {
  const dir = tempDir('fleet-source');
  const file = path.join(dir, 'upload.bin');
  const stops = [];
  try {
    note(`writing ${sizeBytes / MiB} MiB of random bytes to ${file}`);
    const sha256 = writeRandomFile(file, sizeBytes);
    const services = await startFleetServices();
    stops.push(() => services.stop());
    // Limits high enough for loopback rates, alike for both: the figures are about storage.
    const limits = { TENDER_DEVICE_RATE: '10000', TENDER_DEVICE_BURST: '10000' };
    // Uploads live in S3: each instance gets its own directory, for requests in progress only.
    const { TENDER_DATA_DIR: _, ...env } = { ...fleetEnv(services, ''), ...limits };
    const embedded = await startTender(limits);
    stops.push(() => embedded.stop());
    const fleet = [];
    for (const id of ['a', 'b']) {
      const instance = await startTender({ ...env, TENDER_INSTANCE_ID: id });
      stops.push(() => instance.stop());
      fleet.push(instance);
    }
    const nginx = await startNginx({ upstreams: fleet.map((i) => i.url) });
    stops.push(() => nginx.stop());
    const fleetToken = await fleet[0].enroll('bench fleet');
    const variants = {
      embedded: { url: embedded.url, server: embedded, token: await embedded.enroll('bench fleet') },
      fleetOne: { url: fleet[0].url, server: fleet[0], token: fleetToken },
      fleetTwo: { url: nginx.url, server: fleet[0], token: fleetToken },
    };
    const speeds = {};
    for (const name of Object.keys(variants)) speeds[name] = { one: [], concurrent: [] };
    const names = Object.keys(variants);
    for (let run = 0; run <= runs; run++) {
      const order = names.map((_, i) => names[(i + run) % names.length]);
      for (const name of order) {
        const variant = variants[name];
        for (const shape of ['one', 'concurrent']) {
          const count = shape === 'one' ? 1 : concurrent;
          const size = Math.floor((run === 0 ? Math.min(warmupBytes, sizeBytes) : sizeBytes) / count);
          const started = performance.now();
          const urls = await Promise.all(
            Array.from({ length: count }, () => upload(variant, file, size, chunkBytes)),
          );
          const seconds = (performance.now() - started) / 1000;
          await verifyAndDelete(variant.server, urls, size === sizeBytes ? sha256 : undefined);
          if (run === 0) continue;
          const mibs = (size * count) / MiB / seconds;
          speeds[name][shape].push(mibs);
          note(
            `run ${run} ${name} ${shape === 'one' ? '1 upload' : `${count} uploads`}: ${mibs.toFixed(1)} MiB/s`,
          );
        }
      }
    }
    const result = { sizeBytes, chunkBytes, runs, uploadsAtOnce: concurrent, sha256Verified: true };
    for (const shape of ['one', 'concurrent']) {
      const base = median(speeds.embedded[shape]);
      result[shape] = Object.fromEntries(
        names.map((name) => [
          name,
          {
            runsMiBps: speeds[name][shape].map((v) => round(v, 1)),
            medianMiBps: round(median(speeds[name][shape]), 1),
            ratioToEmbedded: round(median(speeds[name][shape]) / base, 3),
          },
        ]),
      );
    }
    return result;
  } finally {
    for (const stop of stops.reverse()) await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// One upload of the first `size` bytes of `file`, in `chunkBytes` PATCHes on one connection.
async function upload(variant, file, size, chunkBytes) {
  const client = new TusClient(variant.url, { token: variant.token });
  const handle = await fs.promises.open(file, 'r');
  try {
    const url = await client.create(size, { filename: 'bench.bin', filetype: 'application/octet-stream' });
    for (let offset = 0; offset < size; ) {
      const length = Math.min(chunkBytes, size - offset);
      const body = Buffer.allocUnsafe(length);
      await handle.read(body, 0, length, offset);
      const next = await client.patch(url, offset, body);
      if (next !== offset + length) throw new Error(`offset ${next} after a PATCH at ${offset}`);
      offset = next;
    }
    return url;
  } finally {
    client.close();
    await handle.close();
  }
}

// Every upload must have its record (with the file's SHA-256 when it was the whole file); then
// local bytes go, so the disk does not fill up over the runs (S3's go with Swift's directory).
async function verifyAndDelete(server, urls, sha256) {
  const records = await server.records();
  for (const url of urls) {
    const id = new URL(url).pathname.split('/').pop();
    const record = records.find((r) => r.id === id);
    if (!record?.path) throw new Error(`no record of ${id}`);
    if (sha256 && record.sha256 !== sha256) throw new Error(`the record of ${id} has the wrong sha256`);
    fs.rmSync(path.join(server.dataDir, record.path), { force: true });
  }
}

function writeRandomFile(file, size) {
  const whole = createHash('sha256');
  const buffer = Buffer.allocUnsafe(8 * MiB);
  const fd = fs.openSync(file, 'w');
  try {
    for (let offset = 0; offset < size; offset += buffer.length) {
      const piece = buffer.subarray(0, Math.min(buffer.length, size - offset));
      randomFillSync(piece);
      fs.writeSync(fd, piece);
      whole.update(piece);
    }
  } finally {
    fs.closeSync(fd);
  }
  return whole.digest('hex');
}
