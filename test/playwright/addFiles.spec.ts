import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, openApp, row, test, waitFor } from './fixtures.ts';

/** A file of `size` random bytes on disk (given to the page by path, as a picker does), and its SHA-256. */
function randomFileOnDisk(name: string, size: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-add-'));
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  const block = Buffer.alloc(8 * 1024 * 1024);
  try {
    for (let written = 0; written < size; written += block.length) {
      const piece = randomFillSync(block.subarray(0, Math.min(block.length, size - written)));
      fs.writeSync(fd, piece);
      hash.update(piece);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { file, dir, size, sha256: hash.digest('hex') };
}

test('a large file picked just before the tab closes is stored at once and still uploads', async ({
  context,
  page,
  server,
}) => {
  test.setTimeout(180_000);
  const video = randomFileOnDisk('engine-room.mp4', 400 * 1024 * 1024);
  try {
    await openApp(page, server);
    const picked = Date.now();
    await page.getByLabel('Add files').setInputFiles(video.file);
    // In the queue as soon as it is stored: the check (hashing 400 MiB) comes after.
    const item = row(page, 'engine-room.mp4');
    await expect(item.locator('.status')).toHaveText('Waiting');
    await expect(item.locator('.detail')).toContainText('checking the file on this device');
    console.log(`400 MiB file shown in the queue ${Date.now() - picked} ms after it was picked`);

    await page.close();
    expect(context.pages()).toHaveLength(0);

    const arrived = await waitFor(
      async () => (await server.uploads()).find((u) => u.name === 'engine-room.mp4'),
      150_000,
    );
    expect(arrived).toMatchObject({ size: video.size, sha256: video.sha256 });
  } finally {
    fs.rmSync(video.dir, { recursive: true, force: true });
  }
});

test('a picked file is checked, then goes with its hash; a reload right after picking loses nothing', async ({
  page,
  server,
}) => {
  const photo = randomFileOnDisk('bilge-pump.jpg', 64 * 1024 * 1024);
  try {
    await openApp(page, server);
    await page.getByLabel('Add files').setInputFiles(photo.file);
    const item = row(page, 'bilge-pump.jpg');
    await expect(item.locator('.detail')).toContainText('checking the file on this device');
    // Reloaded at once: a check cut short is made again by the new page, then the file is sent.
    await page.reload();
    await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 60_000 });
    const stored = await page.evaluate(
      () =>
        new Promise<{ sha256: string | null }[]>((resolve, reject) => {
          const open = indexedDB.open('tender');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const req = open.result.transaction('items').objectStore('items').getAll();
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          };
        }),
    );
    expect(stored.map((i) => i.sha256)).toEqual([photo.sha256]);
    const uploads = await server.uploads();
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ size: photo.size, sha256: photo.sha256 });
  } finally {
    fs.rmSync(photo.dir, { recursive: true, force: true });
  }
});

test('files dropped on the page are added with the form’s tags and uploaded', async ({ page, server }) => {
  await openApp(page, server);
  await page.getByLabel('Ship system').fill('Stabilisers');
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(5_000).fill(7)], 'fin-seal.jpg', { type: 'image/jpeg' }));
    data.items.add(new File([new Uint8Array(7_000).fill(9)], 'fin-log.txt', { type: 'text/plain' }));
    const init = { dataTransfer: data, bubbles: true, cancelable: true };
    document.body.dispatchEvent(new DragEvent('dragover', init));
    document.body.dispatchEvent(new DragEvent('drop', init));
  });
  await expect(row(page, 'fin-seal.jpg').locator('.status')).toHaveText('Uploaded');
  await expect(row(page, 'fin-log.txt').locator('.status')).toHaveText('Uploaded');
  const res = await fetch(`${server.url}/api/uploads`, { headers: server.adminHeaders });
  const records = (await res.json()) as { name: string; size: number; metadata: Record<string, string> }[];
  expect(records.map((r) => [r.name, r.size, r.metadata.systemTag]).sort()).toEqual([
    ['fin-log.txt', 7_000, 'Stabilisers'],
    ['fin-seal.jpg', 5_000, 'Stabilisers'],
  ]);
});
