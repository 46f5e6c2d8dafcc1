import fs from 'node:fs';

/** Bytes available to this process on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.promises.statfs(dir);
  return stats.bavail * stats.bsize;
}
