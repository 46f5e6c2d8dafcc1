import { expect, makeFile, row, sha256, test } from './fixtures.ts';

test('a queue stored by the version that kept each file inside its record is moved over and uploads', async ({
  page,
  server,
}) => {
  const device = await server.enroll();
  if (!device) throw new Error('the server enrols no devices');
  const waiting = makeFile(3 * 1024 * 1024, 61);
  const sent = makeFile(1000, 62);
  // A page of the app's origin with no worker yet, so nothing opens the database before the test.
  await page.goto(`${server.url}/healthz`);
  await page.evaluate(
    async ({ token, deviceId, waiting, sent }) => {
      const now = Date.now();
      const bytesOf = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const record = (id: string, name: string, bytes: Uint8Array<ArrayBuffer>, extra: object) => ({
        id,
        name,
        type: 'video/mp4',
        size: bytes.length,
        createdAt: now,
        updatedAt: now,
        priority: 5,
        tags: {},
        status: 'waiting',
        waitReason: 'queued',
        notBefore: null,
        bytesConfirmed: 0,
        uploadUrl: null,
        attempts: 0,
        tries: 0,
        restarts: 0,
        sha256: null,
        bytesSent: 0,
        waitingMs: 0,
        waitingSince: now,
        lastError: null,
        uploadedAt: null,
        // Version 2 kept the file's bytes in the record.
        blob: new Blob([bytes], { type: 'video/mp4' }),
        ...extra,
      });
      // Database version 2 as that version of the app created it.
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('tender', 2);
        open.onupgradeneeded = () => {
          open.result.createObjectStore('items', { keyPath: 'id' }).createIndex('by-status', 'status');
          open.result.createObjectStore('settings');
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const tx = db.transaction(['items', 'settings'], 'readwrite');
      tx.objectStore('items').put(record('old-1', 'bridge.mp4', bytesOf(waiting), {}));
      tx.objectStore('items').put(
        record('old-2', 'sent-before.mp4', bytesOf(sent), {
          status: 'uploaded',
          waitReason: null,
          uploadedAt: now,
        }),
      );
      tx.objectStore('settings').put(
        { token, deviceId, name: 'Bridge tablet', enrolledAt: now, rejectedAt: null },
        'credential',
      );
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    {
      token: device.token,
      deviceId: device.deviceId,
      waiting: waiting.toString('base64'),
      sent: sent.toString('base64'),
    },
  );

  // The new version opens the queue, moves it over, and carries on.
  await page.goto(server.url);
  await expect(row(page, 'bridge.mp4').locator('.status')).toHaveText('Uploaded', { timeout: 60_000 });
  const uploads = await server.uploads();
  expect(uploads).toHaveLength(1);
  expect(uploads[0]).toMatchObject({ name: 'bridge.mp4', size: waiting.length, sha256: sha256(waiting) });
  await expect(row(page, 'sent-before.mp4').locator('.status')).toHaveText('Uploaded');
  await expect(row(page, 'sent-before.mp4')).toContainText('Removed from this device');

  const stored = await page.evaluate(
    () =>
      new Promise<{ version: number; records: object[]; files: number; smaller: number }>(
        (resolve, reject) => {
          const open = indexedDB.open('tender');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction(['items', 'blobs', 'smaller']);
            const records = tx.objectStore('items').getAll();
            const files = tx.objectStore('blobs').count();
            const smaller = tx.objectStore('smaller').count();
            tx.oncomplete = () => {
              db.close();
              resolve({
                version: db.version,
                records: records.result,
                files: files.result,
                smaller: smaller.result,
              });
            };
          };
        },
      ),
  );
  // Version 4 added the store of Data saver's smaller copies, empty for files queued before it.
  expect(stored.version).toBe(4);
  expect(stored.smaller).toBe(0);
  for (const record of stored.records) expect(record).not.toHaveProperty('blob');
  // Both files are on the server: neither is kept on the device any longer.
  expect(stored.files).toBe(0);
});
