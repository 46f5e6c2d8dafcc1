import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bytes, listRecords, sha256, startServer, until } from './helpers.ts';

// States a crash can leave between the steps of completing an upload, written by hand, then a restart.
describe('restart after a crash', () => {
  async function halfDone(data: Buffer) {
    const first = await startServer();
    const device = await first.enroll('Deck tablet');
    const url = await first.create(device, data.length, {
      filename: 'log.txt',
      filetype: 'text/plain',
      sha256: sha256(data),
    });
    expect((await first.patch(device, url, 0, data.subarray(0, data.length - 10))).status).toBe(204);
    await first.tender.close();
    const id = url.split('/').pop() ?? '';
    return { dataDir: first.dataDir, device, id, path: new URL(url).pathname };
  }

  it('cuts a torn tail back to the acknowledged offset', async () => {
    const data = bytes(5_000, 71);
    const { dataDir, device, id, path: p } = await halfDone(data);
    fs.appendFileSync(path.join(dataDir, 'files', id), Buffer.from('garbage that was never acknowledged'));
    const s = await startServer({ TENDER_DATA_DIR: dataDir });
    try {
      const url = `${s.url}${p}`;
      expect((await s.head(device, url)).headers.get('upload-offset')).toBe(String(data.length - 10));
      expect(fs.statSync(path.join(dataDir, 'files', id)).size).toBe(data.length - 10);
      expect((await s.patch(device, url, data.length - 10, data.subarray(-10))).status).toBe(204);
      expect((await listRecords(s.url)).map((r) => r.sha256)).toEqual([sha256(data)]);
    } finally {
      await s.close();
    }
  });

  it('finishes an upload whose last bytes were acknowledged but not yet verified and recorded', async () => {
    const data = bytes(5_000, 72);
    const { dataDir, device, id, path: p } = await halfDone(data);
    fs.appendFileSync(path.join(dataDir, 'files', id), data.subarray(-10));
    const db = new Database(path.join(dataDir, 'tender.db'));
    db.prepare('UPDATE partials SET acked = size WHERE id = ?').run(id);
    db.close();
    const s = await startServer({ TENDER_DATA_DIR: dataDir });
    try {
      // The resuming client's HEAD reports the upload finished only once it is recorded.
      expect((await s.head(device, `${s.url}${p}`)).headers.get('upload-offset')).toBe(String(data.length));
      expect((await listRecords(s.url)).map((r) => r.sha256)).toEqual([sha256(data)]);
    } finally {
      await s.close();
    }
  });

  it('records an upload that was already filed when the process died', async () => {
    const data = bytes(5_000, 73);
    const { dataDir, id } = await halfDone(data);
    fs.appendFileSync(path.join(dataDir, 'files', id), data.subarray(-10));
    const target = `uploads/2026/01/Deck tablet/${id}-log.txt`;
    fs.mkdirSync(path.dirname(path.join(dataDir, target)), { recursive: true });
    fs.renameSync(path.join(dataDir, 'files', id), path.join(dataDir, target));
    const db = new Database(path.join(dataDir, 'tender.db'));
    db.prepare('UPDATE partials SET acked = size, completed_at = ?, sha256 = ?, target = ? WHERE id = ?').run(
      '2026-01-31T23:59:59.000Z',
      sha256(data),
      target,
      id,
    );
    db.close();
    const s = await startServer({ TENDER_DATA_DIR: dataDir });
    try {
      // Start-up maintenance files it without any client asking.
      const records = await until(
        () => listRecords(s.url),
        (r) => r.length === 1,
      );
      expect(records[0]).toMatchObject({
        id,
        path: target,
        sha256: sha256(data),
        receivedAt: '2026-01-31T23:59:59.000Z',
      });
    } finally {
      await s.close();
    }
  });

  it('deletes files that no upload owns once they have been idle for a long time', async () => {
    const data = bytes(100, 74);
    const { dataDir } = await halfDone(data);
    const orphan = path.join(dataDir, 'files', 'f'.repeat(32));
    fs.writeFileSync(orphan, 'left behind by a crash between deleting an upload file and its row');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(orphan, anHourAgo, anHourAgo);
    const s = await startServer({ TENDER_DATA_DIR: dataDir });
    try {
      // The maintenance pass that starts with the server finds it.
      expect(
        await until(
          () => fs.existsSync(orphan),
          (exists) => !exists,
        ),
      ).toBe(false);
    } finally {
      await s.close();
    }
  });
});
