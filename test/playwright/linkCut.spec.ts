import { DEFAULT_CHUNK_SIZE } from '../../src/shared/config.ts';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import { expect, makeFile, openApp, readQueue, row, sha256, test, waitFor } from './fixtures.ts';

test('a link cut mid-upload resumes from the server offset without resending what arrived', async ({
  context,
  page,
  server,
}) => {
  // 2 MB/s uplink: each 2 MiB chunk takes about a second, so the cut lands mid-file.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 2_000_000 });
  try {
    await openApp(page, server, link.url);
    const file = makeFile(10 * 1024 * 1024, 21);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'survey.mov', mimeType: 'video/quicktime', buffer: file });
    const item = row(page, 'survey.mov');
    await expect(item.locator('.status')).toHaveText('Uploading');

    // Cut the link once the server has confirmed the first chunk.
    const confirmed = await waitFor(async () => {
      const stored = (await readQueue(page)).find((i) => i.name === 'survey.mov');
      return stored && stored.bytesConfirmed >= DEFAULT_CHUNK_SIZE ? stored.bytesConfirmed : 0;
    });
    const t0 = Date.now();
    // Slow the link to a crawl first, so the cut lands mid-file however loaded the machine is;
    // then the satellite drops (connections die) and the device goes offline.
    link.setUplink(1000);
    link.down();
    await context.setOffline(true);
    expect(confirmed).toBeLessThan(file.length);
    await expect(item.locator('.status')).toHaveText('Waiting');
    await expect(item.locator('.detail')).toContainText('no connection');
    const waitingMs = Date.now() - t0;
    const receivedWhileCut = await server.metric('tender_bytes_received_total');
    expect(receivedWhileCut).toBeLessThan(file.length);

    link.setUplink(2_000_000);
    link.up();
    await context.setOffline(false);
    const t1 = Date.now();
    await expect(item.locator('.status')).toHaveText('Uploading', { timeout: 60_000 });
    const resumedMs = Date.now() - t1;
    await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 60_000 });
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ name: 'survey.mov', size: file.length, sha256: sha256(file) });

    const received = await server.metric('tender_bytes_received_total');
    expect(received).toBeGreaterThanOrEqual(file.length);
    expect(received).toBeLessThanOrEqual(file.length + DEFAULT_CHUNK_SIZE);
    test.info().annotations.push({
      type: 'bytes',
      description: `file ${file.length}, confirmed at cut ${confirmed}, server received at cut ${receivedWhileCut}, in total ${received} (${((received / file.length - 1) * 100).toFixed(2)}% extra); Waiting shown ${waitingMs} ms after the cut, Uploading again ${resumedMs} ms after the link returned`,
    });
  } finally {
    await link.close();
  }
});

test('a silent link is caught by the server-side progress within seconds, and the upload resumes when it recovers', async ({
  page,
  server,
}) => {
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 1_000_000 });
  try {
    await openApp(page, server, link.url);
    const file = makeFile(10 * 1024 * 1024, 61);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'stall.mov', mimeType: 'video/quicktime', buffer: file });
    const item = row(page, 'stall.mov');
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed >= DEFAULT_CHUNK_SIZE));
    // The satellite goes silent: connections stay open, a byte a second moves, the browser still says
    // online.
    link.setUplink(1);
    const silentAt = Date.now();
    await expect(item.locator('.status')).toHaveText('Waiting', { timeout: 60_000 });
    const detectedMs = Date.now() - silentAt;
    // Judged by the whole-chunk limit alone (20 s + 2 MiB at 16 KiB/s) this would take 148 s.
    expect(detectedMs).toBeLessThan(45_000);
    link.setUplink(0);
    await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 90_000 });
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ size: file.length, sha256: sha256(file) });
    test.info().annotations.push({ type: 'stall', description: `stall detected after ${detectedMs} ms` });
  } finally {
    await link.close();
  }
});
