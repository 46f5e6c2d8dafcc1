import fs from 'node:fs';
import path from 'node:path';
import { syncDir } from './fsync.ts';
import type { Logger } from './log.ts';
import type { Partials } from './partials.ts';
import type { UploadRecords } from './records.ts';

/**
 * Brings unfinished uploads' files in line with their acknowledged offsets after a crash: a torn
 * tail is cut, a missing empty file recreated, a missing file's upload dropped, and files no upload
 * owns deleted.
 */
export async function recoverFiles(opts: {
  filesDir: string;
  partials: Partials;
  records: UploadRecords;
  log: Logger;
  filePath(id: string): string;
}): Promise<void> {
  const { partials, records, log } = opts;
  for (const partial of partials.all()) {
    if (partial.completion) continue;
    const file = opts.filePath(partial.id);
    const size = await fs.promises.stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) {
      if (partial.acked === 0) {
        await fs.promises.writeFile(file, '');
        continue;
      }
      log('error', 'upload file missing; upload dropped', { id: partial.id, acked: partial.acked });
      partials.delete(partial.id);
    } else if (size > partial.acked) {
      await fs.promises.truncate(file, partial.acked);
      log('info', 'unacknowledged tail discarded', {
        id: partial.id,
        acked: partial.acked,
        bytes: size - partial.acked,
      });
    } else if (size < partial.acked) {
      // Only a disk that lied about fsync gets here; offer the client what is really there.
      log('error', 'upload file shorter than its acknowledged offset', {
        id: partial.id,
        acked: partial.acked,
        size,
      });
      partials.ack(partial.id, size);
    }
  }
  for (const name of await fs.promises.readdir(opts.filesDir)) {
    if (/^[0-9a-f]{32}$/.test(name) && !partials.get(name) && !records.get(name)) {
      await fs.promises.rm(path.join(opts.filesDir, name), { force: true });
      log('info', 'orphan upload file deleted', { id: name });
    }
  }
  await syncDir(opts.filesDir);
}
