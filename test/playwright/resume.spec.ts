import { blockSizeFor } from '../../src/shared/blockChecksums.ts';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import { expect, makeFile, openApp, readQueue, row, sha256, test, waitFor } from './fixtures.ts';

test('a critical document added during a large video goes ashore first', async ({ page, server }) => {
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 1_500_000 });
  try {
    await openApp(page, server, link.url);
    await page.getByLabel('Priority for new files').selectOption('3');
    const video = makeFile(16 * 1024 * 1024, 31);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'engine.mp4', mimeType: 'video/mp4', buffer: video });
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed > 0));

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
    // The video stopped mid-chunk; the server kept its whole blocks, so at most one is resent.
    expect(await server.metric('tender_bytes_received_total')).toBeLessThanOrEqual(
      video.length + cert.length + blockSizeFor(video.length),
    );
  } finally {
    await link.close();
  }
});

/**
 * Starts uploading `file` through a 2 MB/s link, cuts the link once the server confirmed a chunk,
 * queues `fault` for the resume, restores the link at full speed and waits for the upload to end.
 */
async function resumeThroughFault(
  { context, page, server }: Pick<Parameters<Parameters<typeof test>[2]>[0], 'context' | 'page' | 'server'>,
  name: string,
  file: Buffer,
  fault: { method: string; status: number; count: number },
) {
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 2_000_000 });
  try {
    await openApp(page, server, link.url);
    await page.getByLabel('Add files').setInputFiles({ name, mimeType: 'video/mp4', buffer: file });
    await waitFor(async () => (await readQueue(page)).find((i) => i.bytesConfirmed > 0));
    // Slow the link to a crawl first, so the cut lands mid-file however loaded the machine is;
    // then the satellite drops (connections die) and the device goes offline.
    link.setUplink(1000);
    link.down();
    await context.setOffline(true);
    const item = row(page, name);
    await expect(item.locator('.status')).toHaveText('Waiting');
    await server.fault(fault);
    link.setUplink(0);
    link.up();
    await context.setOffline(false);
    await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 40_000 });
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ size: file.length, sha256: sha256(file) });
    return item;
  } finally {
    await link.close();
  }
}

test('when the server lost a partial upload, it is sent again from the start once, and the row says so', async ({
  context,
  page,
  server,
}) => {
  const item = await resumeThroughFault(
    { context, page, server },
    'bilge.mov',
    makeFile(8 * 1024 * 1024, 41),
    {
      method: 'HEAD',
      status: 404,
      count: 1,
    },
  );
  await item.getByRole('button', { name: 'Details of bilge.mov' }).click();
  await expect(item.locator('.note')).toContainText('Sent again from the start');
});

test('a 503 while resuming does not throw away what the server already holds', async ({
  context,
  page,
  server,
}) => {
  const file = makeFile(8 * 1024 * 1024, 51);
  const item = await resumeThroughFault({ context, page, server }, 'radar.mp4', file, {
    method: 'HEAD',
    status: 503,
    count: 1,
  });
  await item.getByRole('button', { name: 'Details of radar.mp4' }).click();
  await expect(item.locator('.counters')).toBeVisible();
  await expect(item.locator('.note')).toHaveCount(0);
  expect(await server.metric('tender_bytes_received_total')).toBeLessThanOrEqual(
    file.length + blockSizeFor(file.length),
  );
});
