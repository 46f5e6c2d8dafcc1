import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes in every file under `dir`, recursively; files that vanish while counted count as 0. */
async function treeBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(path);
    else
      total += await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/** The profile's IndexedDB folders (`IndexedDB`, wherever Chromium puts them: default or bucketed). */
async function indexedDbDirs(dir: string, depth = 0): Promise<string[]> {
  if (depth > 4) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === 'IndexedDB') found.push(path);
    else if (!/^(Cache|Code Cache|GPUCache|Service Worker)$/.test(entry.name))
      found.push(...(await indexedDbDirs(path, depth + 1)));
  }
  return found;
}

/** What a Chromium profile holds in IndexedDB on disk: records, LevelDB logs and stored Blob files. */
export async function indexedDbBytes(profile: string): Promise<number> {
  let total = 0;
  for (const dir of await indexedDbDirs(profile)) total += await treeBytes(dir);
  return total;
}

/** Samples a profile's IndexedDB bytes every `everyMs` until stopped; keeps the peak and the last. */
export function sampleIndexedDb(profile: string, everyMs = 250) {
  const samples: { at: number; bytes: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push({ at: Date.now(), bytes: await indexedDbBytes(profile) });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    peak: () => Math.max(...samples.map((s) => s.bytes)),
    async stop() {
      running = false;
      await loop;
    },
  };
}
