import { DEFAULT_CHUNK_SIZE } from '../../src/shared/config.ts';
import { expect, makeFile, openApp, readQueue, row, sha256, test, waitFor } from './fixtures.ts';
import { startLinkProxy } from './linkProxy.ts';

test('a critical document added during a large video goes ashore first', async ({ page, server }) => {
  const link = await startLinkProxy(server.url, 1_500_000);
  try {
    await openApp(page, server, link.url);
    await page.getByLabel('Priority for new files').selectOption('3');
    const video = makeFile(16 * 1024 * 1024, 31);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'engine.mp4', mimeType: 'video/mp4', buffer: video });
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed >= DEFAULT_CHUNK_SIZE));

    await page.getByLabel('Priority for new files').selectOption('9');
    const cert = makeFile(300_000, 32);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'fire-cert.pdf', mimeType: 'application/pdf', buffer: cert });
    await expect(row(page, 'fire-cert.pdf').locator('.status')).toHaveText('Uploaded');
    const video0 = (await readQueue(page)).find((i) => i.name === 'engine.mp4');
    expect(video0?.status).not.toBe('uploaded');

    await expect(row(page, 'engine.mp4').locator('.status')).toHaveText('Uploaded', { timeout: 60_000 });
    const uploads = await server.uploads();
    expect(uploads.map((u) => u.name).sort()).toEqual(['engine.mp4', 'fire-cert.pdf']);
    expect(uploads.find((u) => u.name === 'engine.mp4')?.sha256).toBe(sha256(video));
    // The video was paused at a chunk boundary, not resent.
    expect(await server.metric('tender_bytes_received_total')).toBeLessThanOrEqual(
      video.length + cert.length + DEFAULT_CHUNK_SIZE,
    );
  } finally {
    await link.close();
  }
});

test('when the server lost a partial upload, it is sent again from the start once, and the row says so', async ({
  context,
  page,
  server,
}) => {
  const link = await startLinkProxy(server.url, 2_000_000);
  try {
    await openApp(page, server, link.url);
    const file = makeFile(8 * 1024 * 1024, 41);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'bilge.mov', mimeType: 'video/quicktime', buffer: file });
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed >= DEFAULT_CHUNK_SIZE));
    await context.setOffline(true);
    const item = row(page, 'bilge.mov');
    await expect(item.locator('.status')).toHaveText('Waiting');
    await server.fault({ method: 'HEAD', status: 404, count: 1 });
    await link.setUplink(0);
    await context.setOffline(false);
    await expect(item.locator('.status')).toHaveText('Uploaded');
    await expect(item.locator('.note')).toContainText('Sent again from the start');
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ size: file.length, sha256: sha256(file) });
  } finally {
    await link.close();
  }
});

test('a 503 while resuming does not throw away what the server already holds', async ({
  context,
  page,
  server,
}) => {
  const link = await startLinkProxy(server.url, 2_000_000);
  try {
    await openApp(page, server, link.url);
    const file = makeFile(8 * 1024 * 1024, 51);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'radar.mp4', mimeType: 'video/mp4', buffer: file });
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed >= DEFAULT_CHUNK_SIZE));
    await context.setOffline(true);
    const item = row(page, 'radar.mp4');
    await expect(item.locator('.status')).toHaveText('Waiting');
    await server.fault({ method: 'HEAD', status: 503, count: 1 });
    await link.setUplink(0);
    await context.setOffline(false);
    await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 40_000 });
    await expect(item.locator('.note')).toHaveCount(0);
    expect(await server.metric('tender_bytes_received_total')).toBeLessThanOrEqual(
      file.length + DEFAULT_CHUNK_SIZE,
    );
    const [upload] = await server.uploads();
    expect(upload?.sha256).toBe(sha256(file));
  } finally {
    await link.close();
  }
});
