import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { median, note, round } from './lib/stats.mjs';

// Compiled from src/shared/hashBlob.ts by `tsc -p bench` (see the "bench" script).
const { hashBlob } = await import('../build/bench/src/shared/hashBlob.js');

const SLICE = 4 * 1024 * 1024;

/**
 * The device's cost of hashing a file before upload: the app's hashBlob (hash-wasm SHA-256 over
 * Blob slices) against Node's native SHA-256 on the same bytes. A third row runs native SHA-256 over
 * the same Blob slices, to tell the cost of reading the Blob from the cost of the hash itself.
 */
export async function measureHashing({ sizeBytes, runs }) {
  const bytes = randomBytes(sizeBytes);
  const blob = new Blob([bytes]);
  await hashBlob(new Blob([bytes.subarray(0, SLICE)])); // compiles the WebAssembly once

  const cases = {
    hashWasmBlob: () => hashBlob(blob),
    nodeCryptoBuffer: async () => createHash('sha256').update(bytes).digest('hex'),
    nodeCryptoBlobSlices: async () => {
      const hash = createHash('sha256');
      for (let at = 0; at < blob.size; at += SLICE) {
        hash.update(new Uint8Array(await blob.slice(at, at + SLICE).arrayBuffer()));
      }
      return hash.digest('hex');
    },
  };
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  let digest;
  for (let run = 1; run <= runs; run++) {
    for (const [name, fn] of Object.entries(cases)) {
      const started = performance.now();
      const hex = await fn();
      times[name].push((performance.now() - started) / 1000);
      digest ??= hex;
      if (hex !== digest) throw new Error(`${name} gave a different digest`);
    }
  }
  const mbps = (name) => sizeBytes / 1e6 / median(times[name]);
  const result = { sizeBytes, runs };
  for (const name of Object.keys(cases)) {
    result[name] = { medianMBps: round(mbps(name), 1), runsSeconds: times[name].map((t) => round(t, 3)) };
    note(`${name}: ${mbps(name).toFixed(0)} MB/s`);
  }
  result.ratioHashWasmToNode = round(mbps('hashWasmBlob') / mbps('nodeCryptoBuffer'), 3);
  result.ratioHashWasmToNodeOverBlob = round(mbps('hashWasmBlob') / mbps('nodeCryptoBlobSlices'), 3);
  return result;
}
