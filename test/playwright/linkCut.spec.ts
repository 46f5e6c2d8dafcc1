import { blockSizeFor, MIN_BLOCK_BYTES } from '../../src/shared/blockChecksums.ts';
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
      return stored?.bytesConfirmed ?? 0;
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
    // At most the block in flight at the cut crosses twice (the largest block any chunk of it has).
    expect(received).toBeLessThanOrEqual(file.length + blockSizeFor(file.length));
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
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed > 0));
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

test('a link cut part-way through a chunk keeps the whole blocks that arrived, and resends only the rest', async ({
  context,
  page,
  server,
}) => {
  // 500 kB/s: the first chunk (1 MiB) takes 2 s, the next (4 MiB) 8 s, time enough to cut it well
  // into its blocks.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 500_000 });
  try {
    await openApp(page, server, link.url);
    const file = makeFile(6 * 1024 * 1024, 23);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'blocks.mov', mimeType: 'video/quicktime', buffer: file });
    const item = row(page, 'blocks.mov');
    const atCut = await waitFor(async () => {
      const received = await server.metric('tender_bytes_received_total');
      return received >= 1024 * 1024 + 640 * 1024 ? received : 0;
    });
    link.down();
    await context.setOffline(true);
    await expect(item.locator('.status')).toHaveText('Waiting');

    // The server holds whole blocks, some of them from the chunk that was cut.
    const devices = (await (
      await fetch(`${server.url}/api/devices`, { headers: server.adminHeaders })
    ).json()) as {
      deviceId: string;
    }[];
    const unfinished = (await (
      await fetch(`${server.url}/api/devices/${devices[0]?.deviceId}/unfinished`, {
        headers: server.adminHeaders,
      })
    ).json()) as { offset: number }[];
    const kept = unfinished[0]?.offset ?? 0;
    const confirmedAtCut = (await readQueue(page)).find((i) => i.name === 'blocks.mov')?.bytesConfirmed ?? 0;
    expect(kept % MIN_BLOCK_BYTES).toBe(0);
    // More than the chunks the app saw confirmed: the cut chunk's whole blocks were kept.
    expect(kept).toBeGreaterThan(confirmedAtCut);
    const block = blockSizeFor(file.length);

    link.up();
    await context.setOffline(false);
    await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 60_000 });
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ size: file.length, sha256: sha256(file) });
    // Only the part of one block that was in flight at the cut crossed the link twice.
    const received = await server.metric('tender_bytes_received_total');
    expect(received - file.length).toBeLessThan(block);
    test.info().annotations.push({
      type: 'bytes',
      description: `file ${file.length}, received at cut ${atCut}, kept ${kept}, in total ${received} (${((received / file.length - 1) * 100).toFixed(2)}% extra)`,
    });
  } finally {
    await link.close();
  }
});
