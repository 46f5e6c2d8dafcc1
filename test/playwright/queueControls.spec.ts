import type { Page } from '@playwright/test';
import { blockSizeFor } from '../../src/shared/blockChecksums.ts';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import { expect, makeFile, openApp, readQueue, row, sha256, test, waitFor } from './fixtures.ts';

test('files of priority 2, 9 and 5 upload in the order 9, 5, 2', async ({ context, page, server }) => {
  await openApp(page, server);
  await context.setOffline(true);
  const input = page.getByLabel('Add files');
  const priority = page.getByLabel('Priority for new files');
  for (const [name, p] of [
    ['low.jpg', '2'],
    ['critical.pdf', '9'],
    ['normal.jpg', '5'],
  ] as const) {
    await priority.selectOption(p);
    await input.setInputFiles({ name, mimeType: 'image/jpeg', buffer: makeFile(200_000, name.length) });
    await expect(row(page, name)).toBeVisible();
  }
  // The list shows the order the uploads will take.
  await expect(page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem')).toHaveText([
    /critical\.pdf/,
    /normal\.jpg/,
    /low\.jpg/,
  ]);
  await context.setOffline(false);
  const uploads = await waitFor(async () => {
    const list = await server.uploads();
    return list.length === 3 ? list : null;
  });
  const order = [...uploads].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  expect(order.map((u) => u.name)).toEqual(['critical.pdf', 'normal.jpg', 'low.jpg']);
});

/** Asks the worker for a run, as the app does, and resolves with why that run stopped. */
function runOnce(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const channel = new BroadcastChannel('tender');
        channel.onmessage = (event) => {
          if (event.data?.type !== 'run-state' || event.data.running) return;
          channel.close();
          resolve(String(event.data.stoppedBecause));
        };
        navigator.serviceWorker.controller?.postMessage({ type: 'drain', reason: 'test' });
      }),
  );
}

test('pause stops an upload, resume finishes it from where the server left off', async ({ page, server }) => {
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 1_000_000 });
  try {
    await openApp(page, server, link.url);
    const file = makeFile(8 * 1024 * 1024, 5);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'hull.mp4', mimeType: 'video/mp4', buffer: file });
    const item = row(page, 'hull.mp4');
    await expect(item.locator('.status')).toHaveText('Uploading');
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed > 0));
    await item.getByRole('button', { name: 'Pause' }).click();
    await expect(item.locator('.status')).toHaveText('Paused');
    // The run ends once the paused file's request is stopped (a chunk whose answer was already on
    // its way may still be recorded): the header says Online, no longer Uploading.
    await expect(page.getByRole('status').filter({ hasText: 'Online' })).toBeVisible();
    const atPause = (await readQueue(page))[0];
    if (!atPause) throw new Error('the paused file is gone from the queue');
    // A new run, asked for as the app would, leaves the paused file alone.
    expect(await runOnce(page)).toBe('empty');
    expect((await readQueue(page))[0]).toMatchObject({
      status: 'paused',
      bytesConfirmed: atPause.bytesConfirmed,
    });
    expect(await server.uploads()).toHaveLength(0);

    await link.setUplink(0);
    await item.getByRole('button', { name: 'Resume' }).click();
    await expect(item.locator('.status')).toHaveText('Uploaded');
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ size: file.length, sha256: sha256(file) });
    // The pause cut a chunk; its whole blocks were kept. What arrived of the block it cut, and what
    // was still on its way behind it, arrive again: two blocks at most (a fixed 2 MiB chunk before).
    expect(await server.metric('tender_bytes_received_total')).toBeLessThanOrEqual(
      file.length + 2 * blockSizeFor(file.length),
    );
  } finally {
    await link.close();
  }
});

test('cancel asks, and "Remove for good" ends the upload on the server', async ({ page, server }) => {
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 500_000 });
  try {
    await openApp(page, server, link.url);
    await page.getByLabel('Add files').setInputFiles({
      name: 'wrong.mov',
      mimeType: 'video/quicktime',
      buffer: makeFile(6 * 1024 * 1024, 9),
    });
    const item = row(page, 'wrong.mov');
    await expect(item.locator('.status')).toHaveText('Uploading');
    const uploadUrl = await waitFor(async () => {
      const stored = await page.evaluate(
        () =>
          new Promise<string | null>((resolve) => {
            const open = indexedDB.open('tender');
            open.onsuccess = () => {
              const req = open.result.transaction('items').objectStore('items').getAll();
              req.onsuccess = () => resolve(req.result[0]?.uploadUrl ?? null);
            };
          }),
      );
      return stored;
    });
    await item.getByRole('button', { name: 'Details of wrong.mov' }).click();
    await item.getByRole('button', { name: 'Cancel' }).click();
    await expect(item.getByRole('button', { name: 'Stop for now' })).toBeVisible();
    await item.getByRole('button', { name: 'Remove for good' }).click();
    await expect(item).toHaveCount(0);
    expect(await readQueue(page)).toEqual([]);
    // The server forgot the partial upload.
    const device = await server.enroll('checker');
    const headers: Record<string, string> = { 'Tus-Resumable': '1.0.0' };
    if (device) headers.Authorization = `Bearer ${device.token}`;
    await waitFor(async () => {
      const res = await fetch(new URL(uploadUrl, server.url), { method: 'HEAD', headers });
      return res.status === 404 || res.status === 410;
    });
    expect(await server.uploads()).toHaveLength(0);
  } finally {
    await link.close();
  }
});

test('adding the same file twice pauses the copy and asks, sending nothing for it', async ({
  page,
  server,
}) => {
  await openApp(page, server);
  const buffer = makeFile(100_000, 77);
  const input = page.getByLabel('Add files');
  await input.setInputFiles({ name: 'certificate.pdf', mimeType: 'application/pdf', buffer });
  await expect(row(page, 'certificate.pdf').locator('.status')).toHaveText('Uploaded');

  await input.setInputFiles({ name: 'certificate-copy.pdf', mimeType: 'application/pdf', buffer });
  const prompt = page.getByRole('dialog', { name: 'Already queued' });
  await expect(prompt).toContainText('certificate-copy.pdf — same as certificate.pdf (Uploaded)');
  await expect(row(page, 'certificate-copy.pdf').locator('.status')).toHaveText('Paused');
  await expect(row(page, 'certificate-copy.pdf').locator('.detail')).toContainText('same content');
  // The question survives a reload: it comes from the queue, not from the page's memory.
  await page.reload();
  await prompt.getByRole('button', { name: 'Remove the copy' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem')).toHaveCount(1);
  expect(await server.uploads()).toHaveLength(1);
});

test('a copy can be uploaded anyway', async ({ page, server }) => {
  await openApp(page, server);
  const buffer = makeFile(50_000, 78);
  const input = page.getByLabel('Add files');
  await input.setInputFiles({ name: 'pump.jpg', mimeType: 'image/jpeg', buffer });
  await expect(row(page, 'pump.jpg').locator('.status')).toHaveText('Uploaded');
  await input.setInputFiles({ name: 'pump-again.jpg', mimeType: 'image/jpeg', buffer });
  const prompt = page.getByRole('dialog', { name: 'Already queued' });
  await prompt.getByRole('button', { name: 'Upload anyway' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(row(page, 'pump-again.jpg').locator('.status')).toHaveText('Uploaded');
});

test('uploaded items can be cleared from the list', async ({ page, server }) => {
  await openApp(page, server);
  await page.getByLabel('Add files').setInputFiles([
    { name: 'a.txt', mimeType: 'text/plain', buffer: makeFile(1000, 1) },
    { name: 'b.txt', mimeType: 'text/plain', buffer: makeFile(1000, 2) },
  ]);
  await expect(row(page, 'b.txt').locator('.status')).toHaveText('Uploaded');
  await expect(row(page, 'a.txt').locator('.status')).toHaveText('Uploaded');
  await page.getByLabel('older than').fill('0');
  await page.getByRole('button', { name: 'Clear uploaded' }).click();
  await expect(page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem')).toHaveCount(0);
  expect(await server.uploads()).toHaveLength(2);
});
