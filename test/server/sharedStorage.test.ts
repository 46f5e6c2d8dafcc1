import { describe, expect, it } from 'vitest';
import { ADMIN, bytes, hangingPatch, listRecords, sha256, startServer, until } from './helpers.ts';

// Several servers behind one proxy share the data directory and the database.
describe('a second server starting on the same storage', () => {
  it('leaves alone an upload the first is in the middle of writing', async () => {
    const first = await startServer();
    try {
      const device = await first.enroll('Deck tablet');
      const data = bytes(600_000, 81);
      const url = await first.create(device, data.length, {
        filename: 'hull.jpg',
        filetype: 'image/jpeg',
        sha256: sha256(data),
      });
      const id = url.split('/').pop() ?? '';
      const half = 300_000;
      const patch = hangingPatch(device, url, 0, data.length, data.subarray(0, half));
      const answered = new Promise<number | undefined>((resolve) => {
        patch.req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        patch.req.on('error', () => resolve(undefined));
      });
      await patch.written;
      const progress = () =>
        fetch(`${first.url}/api/progress/${id}`, { headers: device.headers }).then(
          (r) => r.json() as Promise<{ offset: number; received: number }>,
        );
      // Half the body is in, none of it acknowledged yet: it is all past the recorded offset.
      expect(await until(progress, (p) => p.received === half)).toMatchObject({ offset: 0, received: half });

      const second = await startServer({ TENDER_DATA_DIR: first.dataDir });
      // Closing waits for the maintenance pass that starts with the server.
      await second.close({ keepData: true });

      patch.req.end(data.subarray(half));
      expect(await answered).toBe(204);
      // Its kept-alive connection would hold up the server's close.
      patch.req.socket?.destroy();
      const records = await listRecords(first.url);
      expect(records.map((r) => r.sha256)).toEqual([sha256(data)]);
      const content = await fetch(`${first.url}/api/uploads/${id}/content`, { headers: ADMIN });
      expect(content.status).toBe(200);
      expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(sha256(data));
    } finally {
      await first.close();
    }
  });
});
