import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { rssOf, startBaseline, startTender } from './lib/servers.mjs';
import { MiB, median, note, round, sleep } from './lib/stats.mjs';
import { TusClient } from './lib/tus.mjs';

const SAMPLE_MS = 100;
const SETTLE_MS = 1_500;
const AFTER_MS = 2_000;

// With one device, its limits (4 open PATCH/POST, 20 requests/s, bursts of 100) would refuse most of
// the load with 429; these lift them for that variant only.
const ONE_DEVICE_ENV = {
  TENDER_DEVICE_MAX_OPEN: '1000',
  TENDER_DEVICE_RATE: '100000',
  TENDER_DEVICE_BURST: '100000',
};

/**
 * Server RSS under many concurrent uploads: idle before, peak during (sampled every 100 ms from
 * /proc/<pid>/status), and shortly after. By default each upload comes from its own enrolled device,
 * so Tender runs with its default per-device limits.
 */
export async function measureMemory({ uploads, sizeBytes, chunkBytes, oneDevice }) {
  note(`preparing ${uploads} distinct ${sizeBytes / MiB} MiB uploads`);
  const data = prepareUploads(uploads, sizeBytes, chunkBytes);
  const result = { uploads, sizeBytes, chunkBytes, devices: oneDevice ? 1 : uploads };
  if (oneDevice) result.tenderEnv = ONE_DEVICE_ENV;
  for (const kind of ['baseline', 'tender']) {
    const server =
      kind === 'tender' ? await startTender(oneDevice ? ONE_DEVICE_ENV : {}) : await startBaseline();
    try {
      let tokens = [];
      if (kind === 'tender') {
        const count = oneDevice ? 1 : uploads;
        for (let i = 0; i < count; i++) tokens.push(await server.enroll(`bench device ${i + 1}`));
        if (oneDevice) tokens = Array.from({ length: uploads }, () => tokens[0]);
      }
      result[kind] = await underLoad(server, tokens, data, chunkBytes);
      if (kind === 'tender') {
        const recorded = (await server.records()).length;
        if (recorded !== uploads) throw new Error(`Tender recorded ${recorded} of ${uploads} uploads`);
      }
      const r = result[kind];
      note(
        `${kind}: idle ${mib(r.idleRss)} MiB, peak ${mib(r.peakRss)} MiB, after ${mib(r.afterRss)} MiB, ` +
          `${r.aggregateMiBps} MiB/s aggregate`,
      );
    } finally {
      await server.stop();
    }
  }
  result.ratioPeakTenderToBaseline = round(result.tender.peakRss / result.baseline.peakRss, 3);
  result.ratioGrowthTenderToBaseline = round(
    (result.tender.peakRss - result.tender.idleRss) / (result.baseline.peakRss - result.baseline.idleRss),
    3,
  );
  return result;
}

// One shared random body; each upload differs in its last four bytes, so every upload has its own
// whole-file SHA-256 and last-chunk checksum (Tender would otherwise see identical content).
function prepareUploads(count, size, chunkBytes) {
  const base = randomBytes(size);
  const lastStart = Math.floor((size - 1) / chunkBytes) * chunkBytes;
  const prefix = createHash('sha256').update(base.subarray(0, lastStart));
  const shared = [];
  for (let at = 0; at < lastStart; at += chunkBytes) {
    shared.push(
      createHash('sha256')
        .update(base.subarray(at, at + chunkBytes))
        .digest('base64'),
    );
  }
  return Array.from({ length: count }, (_, i) => {
    const last = Buffer.from(base.subarray(lastStart));
    last.writeUInt32BE(i, last.length - 4);
    return {
      size,
      sha256: prefix.copy().update(last).digest('hex'),
      chunk: (at) => (at === lastStart ? last : base.subarray(at, at + chunkBytes)),
      checksum: (at) =>
        at === lastStart ? createHash('sha256').update(last).digest('base64') : shared[at / chunkBytes],
    };
  });
}

async function underLoad(server, tokens, data, chunkBytes) {
  await sleep(SETTLE_MS);
  const idle = [];
  for (let i = 0; i < 5; i++) {
    idle.push(rssOf(server.pid));
    await sleep(SAMPLE_MS);
  }
  let peak = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(server.pid));
    samples++;
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    await Promise.all(
      data.map(async (upload, i) => {
        // One connection per upload, as separate devices would have.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const client = new TusClient(server.url, { token: tokens[i], agent });
        try {
          const metadata = { filename: `bench-${i}.mp4`, filetype: 'video/mp4', sha256: upload.sha256 };
          const url = await client.create(upload.size, metadata);
          for (let at = 0; at < upload.size; at += chunkBytes) {
            const checksum = server.kind === 'tender' ? upload.checksum(at) : undefined;
            await client.patch(url, at, upload.chunk(at), checksum);
          }
        } finally {
          client.close();
        }
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, rssOf(server.pid));
  await sleep(AFTER_MS);
  const idleRss = median(idle);
  const peakRss = peak;
  return {
    idleRss,
    peakRss,
    afterRss: rssOf(server.pid),
    ratioPeakToIdle: round(peakRss / idleRss, 2),
    samples,
    seconds: round(seconds, 2),
    aggregateMiBps: round((data.length * data[0].size) / MiB / seconds, 1),
  };
}

const mib = (bytes) => (bytes / MiB).toFixed(1);
