import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** Encodings a precompressed sibling file can have, best first, with their file suffix. */
export const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** File types worth compressing: text. Images and fonts are compressed already. */
export const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.webmanifest',
  '.svg',
  '.txt',
  '.map',
]);

// Below this, headers cost more than compression saves.
const MIN_BYTES = 1024;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** What precompressing a directory did, for the build log. */
export type PrecompressReport = { files: number; bytes: number; br: number; gzip: number };

/**
 * Writes `<file>.br` (brotli, best quality) and `<file>.gz` (gzip -9) next to every compressible
 * file under `dir`, when smaller than the file. Run after the app is built: the service worker's
 * precache list is already written by then and names the plain files only.
 */
export async function precompressDir(dir: string): Promise<PrecompressReport> {
  const report: PrecompressReport = { files: 0, bytes: 0, br: 0, gzip: 0 };
  for (const entry of await fs.promises.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.has(path.extname(entry.name).toLowerCase())) continue;
    const file = path.join(entry.parentPath, entry.name);
    const data = await fs.promises.readFile(file);
    if (data.length < MIN_BYTES) continue;
    const br = await brotli(data, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    const gz = await gzip(data, { level: zlib.constants.Z_BEST_COMPRESSION });
    report.files++;
    report.bytes += data.length;
    report.br += await writeIfSmaller(`${file}.br`, br, data.length);
    report.gzip += await writeIfSmaller(`${file}.gz`, gz, data.length);
  }
  return report;
}

async function writeIfSmaller(file: string, data: Buffer, original: number): Promise<number> {
  if (data.length >= original) {
    await fs.promises.rm(file, { force: true });
    return original;
  }
  await fs.promises.writeFile(file, data);
  return data.length;
}
