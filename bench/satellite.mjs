import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startTender } from './lib/servers.mjs';
import { note, round, sleep } from './lib/stats.mjs';
import { blockChecksumsOf, sha256Base64, TusClient } from './lib/tus.mjs';

// Compiled from test/support/linkEmulator.ts by `tsc -p bench` (see the "bench" script).
const { startLinkEmulator } = await import('../build/bench/test/support/linkEmulator.js');

const MAX_FAILURES = 8;
const RETRY_MS = 1_000;

/**
 * One upload through a slow, high-latency link that is cut once mid-upload, to Tender's server:
 * tus in fixed chunks with an Upload-Checksum each (a cut chunk is lost whole), the same with
 * Upload-Block-Checksums (as the app sends: a cut chunk keeps its whole verified blocks), against
 * one PATCH carrying the whole file (no checksum, so the server keeps what arrived before the cut).
 * After the cut all resume from the server's offset (HEAD). They run at the same time, each on its
 * own simulated link.
 */
export async function measureSatellite({ sizeBytes, chunkBytes, uplinkBitsPerSec, delayMs, timeLimitMs }) {
  const uplinkBytesPerSec = uplinkBitsPerSec / 8;
  // Mid-chunk, so the chunked upload loses half a chunk: the expected loss for a cut at a random time.
  const dropAtUpBytes = Math.round(sizeBytes / 2 - chunkBytes / 2);
  const data = randomBytes(sizeBytes);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const tender = await startTender();
  const proxies = [];
  try {
    const modes = {
      tusChunks: { chunkBytes, checksums: 'chunk' },
      tusBlocks: { chunkBytes, checksums: 'blocks' },
      wholeFilePatch: { chunkBytes: sizeBytes, checksums: 'none' },
    };
    const runs = Object.entries(modes).map(async ([mode, options]) => {
      const token = await tender.enroll(`bench ${mode}`);
      // The uplink is cut once, exactly at byte `dropAtUpBytes`; the downlink is not limited.
      const proxy = await startLinkEmulator(tender.url, {
        uplinkBytesPerSec,
        delayMs,
        schedule: [{ atUplinkBytes: dropAtUpBytes, action: { kind: 'reset' } }],
      });
      proxies.push(proxy);
      const client = new TusClient(proxy.url, { token });
      try {
        const metadata = { filename: `${mode}.mp4`, filetype: 'video/mp4', sha256 };
        const deadline = performance.now() + timeLimitMs;
        const started = performance.now();
        const outcome = await resumableUpload(client, data, metadata, options, deadline);
        const seconds = (performance.now() - started) / 1000;
        const id = new URL(outcome.url).pathname.split('/').pop();
        const record = (await tender.records()).find((r) => r.id === id);
        if (record?.sha256 !== sha256) throw new Error(`${mode}: Tender's record has the wrong sha256`);
        const { upBytes, downBytes, connections } = proxy.stats;
        const [cut] = proxy.faults;
        const result = {
          seconds: round(seconds, 1),
          wireUpBytes: upBytes,
          wireDownBytes: downBytes,
          wireToFile: round(upBytes / sizeBytes, 4),
          linkUtilisation: round(upBytes / (uplinkBytesPerSec * seconds), 3),
          goodput: round(sizeBytes / (uplinkBytesPerSec * seconds), 3),
          requests: outcome.requests,
          failures: outcome.failures,
          drops: proxy.faults.length,
          // From the cut to the next byte sent (the client's pause, a new connection, its HEAD).
          cutToNextByteMs: cut?.firstUplinkByteAt ? Math.round(cut.firstUplinkByteAt - cut.at) : null,
          connections,
        };
        note(
          `${mode}: ${result.seconds} s, wire/file ${result.wireToFile}, link busy ${pct(result.linkUtilisation)}, ` +
            `goodput ${pct(result.goodput)}`,
        );
        return [mode, result];
      } finally {
        client.close();
      }
    });
    const results = Object.fromEntries(await Promise.all(runs));
    return {
      sizeBytes,
      chunkBytes,
      uplinkBitsPerSec,
      delayMsEachWay: delayMs,
      dropAtUpBytes,
      dropAtFraction: round(dropAtUpBytes / sizeBytes, 3),
      idealSeconds: round(sizeBytes / uplinkBytesPerSec, 1),
      ...results,
      ratioSecondsChunksToWhole: round(results.tusChunks.seconds / results.wholeFilePatch.seconds, 3),
      ratioWireChunksToWhole: round(results.tusChunks.wireUpBytes / results.wholeFilePatch.wireUpBytes, 4),
      ratioSecondsBlocksToWhole: round(results.tusBlocks.seconds / results.wholeFilePatch.seconds, 3),
      ratioWireBlocksToWhole: round(results.tusBlocks.wireUpBytes / results.wholeFilePatch.wireUpBytes, 4),
    };
  } finally {
    for (const proxy of proxies) await proxy.close();
    await tender.stop();
  }
}

// Creates the upload, then PATCHes from the server's offset in pieces of `chunkBytes` (one piece
// for the whole-file mode); after a network error, asks the server for its offset and goes on.
async function resumableUpload(client, data, metadata, { chunkBytes, checksums }, deadline) {
  let requests = 0;
  let failures = 0;
  const attempt = async (fn) => {
    for (;;) {
      if (performance.now() > deadline) throw new Error('time limit reached');
      requests++;
      try {
        return await fn();
      } catch (error) {
        failures++;
        if (failures > MAX_FAILURES) throw error;
        note(`${metadata.filename}: ${error.message}; resuming`);
        await sleep(RETRY_MS);
      }
    }
  };
  const url = await attempt(() => client.create(data.length, metadata));
  let offset = 0;
  while (offset < data.length) {
    if (performance.now() > deadline) throw new Error('time limit reached');
    const body = data.subarray(offset, Math.min(data.length, offset + chunkBytes));
    requests++;
    try {
      const chunk = checksums === 'chunk' ? sha256Base64(body) : undefined;
      offset = await client.patch(
        url,
        offset,
        body,
        chunk,
        checksums === 'blocks' ? blockChecksumsOf(body) : undefined,
      );
    } catch (error) {
      failures++;
      if (failures > MAX_FAILURES) throw error;
      note(`${metadata.filename}: PATCH at ${offset}: ${error.message}; resuming`);
      offset = await attempt(() => client.head(url));
    }
  }
  return { url, requests, failures };
}

const pct = (fraction) => `${(fraction * 100).toFixed(1)}%`;
