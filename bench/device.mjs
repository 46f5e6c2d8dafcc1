// What uploading a large file costs the device: the app in a real Chromium with a persistent profile
// (as an installed app has), its real service worker and IndexedDB, against Tender on loopback. The
// profile's IndexedDB folders are sampled on disk through the upload; the baseline is a Node tus
// client sending the same file in the same chunks, with the same per-chunk checksum, in the same run.
import fs from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './lib/chromium.mjs';
import { startTender, tempDir } from './lib/servers.mjs';
import { MiB, note, round, sleep } from './lib/stats.mjs';
import { requestJson, sha256Base64, TusClient } from './lib/tus.mjs';

/** The baseline's chunk size: 2 MiB, the app's fixed size when this part was written. */
const APP_CHUNK = 2 * MiB;

/** Bytes under every folder named IndexedDB in a Chromium profile. */
async function indexedDbBytes(dir, inside = false, depth = 0) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth < 6 && !/^(Cache|Code Cache|GPUCache|Service Worker)$/.test(entry.name))
        total += await indexedDbBytes(full, inside || entry.name === 'IndexedDB', depth + 1);
    } else if (inside)
      total += await stat(full).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/** Writes `size` random bytes to a new file in `dir`, a MiB at a time. */
function writeRandomFile(dir, size) {
  const file = path.join(dir, 'video.mp4');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(MiB);
  for (let written = 0; written < size; written += MiB) {
    for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
    fs.writeSync(fd, block, 0, Math.min(MiB, size - written));
  }
  fs.closeSync(fd);
  return file;
}

/** The baseline: the file in APP_CHUNK PATCHes with a sha256 each, from Node; MiB/s. */
async function nodeUpload(server, file, size) {
  const token = await server.enroll('bench node client');
  const client = new TusClient(server.url, { token });
  const fd = fs.openSync(file, 'r');
  const started = performance.now();
  try {
    const url = await client.create(size, { filename: 'baseline.mp4', filetype: 'video/mp4' });
    const buf = Buffer.alloc(APP_CHUNK);
    for (let offset = 0; offset < size; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(APP_CHUNK, size - offset), offset);
      const body = buf.subarray(0, n);
      offset = await client.patch(url, offset, body, sha256Base64(body));
    }
  } finally {
    fs.closeSync(fd);
    client.close();
  }
  return size / MiB / ((performance.now() - started) / 1000);
}

/** One file through the app; figures of time and of IndexedDB on disk. */
async function appUpload(server, file, size) {
  const profile = tempDir('profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await indexedDbBytes(profile));
      await sleep(250);
    }
  })();
  try {
    const device = await requestJson(new URL('/api/devices', server.url), {
      method: 'POST',
      token: server.adminToken,
      body: { name: 'bench tablet' },
      expect: 201,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(device.enrollUrl);
    await page.getByRole('heading', { name: 'Upload queue' }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
    const t0 = performance.now();
    await page.getByLabel('Add files').setInputFiles(file);
    const row = page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem', { name: 'video.mp4' });
    await row.waitFor({ timeout: 600_000 });
    const queued = performance.now();
    await row.locator('.status', { hasText: 'Uploaded' }).waitFor({ timeout: 1_800_000 });
    const uploaded = performance.now();
    const records = await server.records();
    if (!records.some((r) => r.name === 'video.mp4' && r.size === size))
      throw new Error('no record on the server');
    // The released file is deleted once no script holds it. The worker holds it until it is collected
    // or stopped; Chromium stops an idle worker after 30 s, but not with DevTools attached, as here:
    // after 10 s the bench stops it as Chromium would.
    const freedWithin = async (ms) => {
      let bytes = await indexedDbBytes(profile);
      for (const until = performance.now() + ms; bytes > 0.05 * size && performance.now() < until; ) {
        await sleep(250);
        bytes = await indexedDbBytes(profile);
      }
      return bytes;
    };
    let freedBy = 'itself';
    let final = await freedWithin(10_000);
    if (final > 0.05 * size) {
      freedBy = 'worker stop';
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      final = await freedWithin(30_000);
    }
    return {
      addSeconds: round((queued - t0) / 1000, 1),
      uploadSeconds: round((uploaded - queued) / 1000, 1),
      uploadMiBps: round(size / MiB / ((uploaded - queued) / 1000), 1),
      peakBytes: Math.max(...samples),
      finalBytes: final,
      freedBy,
      samples: samples.length,
    };
  } finally {
    sampling = false;
    await sampler;
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Runs each size: the app, then the Node baseline against the same server. */
export async function measureDevice({ sizes }) {
  const runs = [];
  for (const size of sizes) {
    const dir = tempDir('device');
    // Limits raised: the baseline sends about 50 PATCHes a second, past a device's default rate.
    const server = await startTender({
      TENDER_MAX_UPLOAD_BYTES: String(8 * 1024 * MiB),
      TENDER_DEVICE_RATE: '1000',
      TENDER_DEVICE_BURST: '1000',
    });
    try {
      note(`device: ${size / MiB} MiB through the app in Chromium`);
      const file = writeRandomFile(dir, size);
      const app = await appUpload(server, file, size);
      note(`device: ${size / MiB} MiB from Node (baseline)`);
      const baselineMiBps = round(await nodeUpload(server, file, size), 1);
      runs.push({
        sizeBytes: size,
        ...app,
        baselineMiBps,
        ratioToBaseline: round(app.uploadMiBps / baselineMiBps),
        peakToFile: round(app.peakBytes / size, 3),
        finalToFile: round(app.finalBytes / size, 4),
      });
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { chunkBytes: APP_CHUNK, runs };
}
