import { mkdirSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import { backToUploads, expect, makeFile, openApp, openSettings, row, sha256, test } from './fixtures.ts';

/** Where the screenshots are kept for people to look at (not cleared by the next run of other specs). */
const SCREENS = 'test-results/screens';

/** A real image drawn and encoded by the browser: a gradient and a disc. */
async function drawImage(page: Page, type: 'image/jpeg' | 'image/png', width: number, height: number) {
  const base64 = await page.evaluate(
    async ({ type, width, height }) => {
      const canvas = new OffscreenCanvas(width, height);
      const g = canvas.getContext('2d');
      if (!g) throw new Error('no 2d context');
      const sky = g.createLinearGradient(0, 0, width, height);
      sky.addColorStop(0, '#0b3954');
      sky.addColorStop(1, '#f4a259');
      g.fillStyle = sky;
      g.fillRect(0, 0, width, height);
      g.fillStyle = '#ffffff';
      g.beginPath();
      g.arc(width / 2, height / 2, Math.min(width, height) / 4, 0, Math.PI * 2);
      g.fill();
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type, quality: 0.9 })).arrayBuffer());
      let text = '';
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text);
    },
    { type, width, height },
  );
  return Buffer.from(base64, 'base64');
}

/** The width and height the browser decoded a row's thumbnail at, once it has one. */
const thumbnailSize = (page: Page, name: string) =>
  row(page, name)
    .locator('.thumb img')
    .evaluate((img: HTMLImageElement) =>
      img.complete && img.naturalWidth > 0
        ? `${img.naturalWidth}×${img.naturalHeight} ${img.src.slice(0, 5)}`
        : '',
    );

/** A filter button by its label; its name also carries the count. */
const filter = (page: Page, label: string) =>
  page.getByRole('button', { name: new RegExp(`^${label} \\d+$`) });

/** The value shown for one counter in an opened row. */
const counter = (page: Page, name: string, term: string) =>
  row(page, name).locator(`.counters [data-counter="${term}"] dd`);

test('the queue shows thumbnails, why files wait, details on a tap, filters, and pauses one file', async ({
  context,
  page,
  server,
}) => {
  await openApp(page, server);
  const photo = await drawImage(page, 'image/jpeg', 4000, 3000);
  const plan = await drawImage(page, 'image/png', 800, 600);
  expect(photo.subarray(0, 3).toString('hex')).toBe('ffd8ff');
  expect(plan.subarray(1, 4).toString('latin1')).toBe('PNG');

  await context.setOffline(true);
  await page.getByLabel('Add files').setInputFiles([
    { name: 'pump.jpg', mimeType: 'image/jpeg', buffer: photo },
    { name: 'deck-plan.png', mimeType: 'image/png', buffer: plan },
    { name: 'manual.pdf', mimeType: 'application/pdf', buffer: makeFile(300_000, 3) },
  ]);

  for (const name of ['pump.jpg', 'deck-plan.png', 'manual.pdf']) {
    await expect(row(page, name).locator('.status')).toHaveText('Waiting');
    await expect(row(page, name).locator('.detail')).toHaveText(
      'no connection to shore; continues by itself when the link returns',
    );
  }
  // Images get a thumbnail decoded small (96 px wide, from 4000 and 800); the PDF shows its kind.
  await expect.poll(() => thumbnailSize(page, 'pump.jpg')).toBe('96×72 blob:');
  await expect.poll(() => thumbnailSize(page, 'deck-plan.png')).toBe('96×72 blob:');
  await expect(row(page, 'manual.pdf').locator('.thumb')).toHaveText('PDF');
  await expect(row(page, 'manual.pdf').locator('.thumb img')).toHaveCount(0);

  const totals = page.locator('.totals');
  await expect(totals).toContainText(
    /^3 files to send · [\d.]+ (KB|MB) left · time left unknown while offline/,
  );
  await expect(filter(page, 'All')).toHaveText('All 3');
  await expect(filter(page, 'All')).toHaveAttribute('aria-pressed', 'true');
  await expect(filter(page, 'Waiting')).toHaveText('Waiting 3');
  await expect(filter(page, 'Uploaded')).toHaveText('Uploaded 0');
  await expect(filter(page, 'Failed')).toHaveText('Failed 0');

  // Details are behind a tap, one row at a time, and close again from the keyboard.
  const pump = row(page, 'pump.jpg');
  const pumpDetails = page.getByRole('button', { name: 'Details of pump.jpg' });
  await expect(pumpDetails).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('.counters')).toHaveCount(0);
  await pumpDetails.click();
  await expect(pumpDetails).toHaveAttribute('aria-expanded', 'true');
  await expect(counter(page, 'pump.jpg', 'Tries')).toHaveText('0');
  await expect(counter(page, 'pump.jpg', 'Sent')).toHaveText('0 B');
  await expect(counter(page, 'pump.jpg', 'Wasted')).toHaveText('0 B');
  await expect(counter(page, 'pump.jpg', 'Waited')).toHaveText(/^\d+ s$/);
  await expect(page.getByLabel('Priority of pump.jpg')).toHaveValue('5');
  await expect(pump.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await page.getByRole('button', { name: 'Details of manual.pdf' }).click();
  await expect(pumpDetails).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('.counters')).toHaveCount(1);
  await expect(counter(page, 'manual.pdf', 'Tries')).toHaveText('0');
  await page.getByRole('button', { name: 'Details of manual.pdf' }).press('Enter');
  await expect(page.locator('.counters')).toHaveCount(0);

  // Pause one, and it says so; resume it, and it waits for the link again.
  await pump.getByRole('button', { name: 'Pause' }).click();
  await expect(pump.locator('.status')).toHaveText('Paused');
  await expect(pump.locator('.detail')).toContainText('stopped by you');
  await expect(totals).toContainText('2 files to send');
  await expect(totals).toContainText('1 paused');
  await expect(filter(page, 'Waiting')).toHaveText('Waiting 3');

  mkdirSync(SCREENS, { recursive: true });
  await pumpDetails.click();
  for (const [width, height] of [
    [360, 740],
    [1024, 768],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `${SCREENS}/queue-offline-${width}x${height}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SCREENS}/queue-offline-dark-1024x768.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await pumpDetails.click();

  await pump.getByRole('button', { name: 'Resume' }).click();
  await expect(pump.locator('.status')).toHaveText('Waiting');
  await expect(pump.locator('.detail')).toContainText('no connection to shore');
  await expect(totals).toContainText('3 files to send');

  // Back online, the first file the server is asked to create is refused as too large.
  await server.fault({ method: 'POST', status: 413, count: 1 });
  await context.setOffline(false);
  await expect(filter(page, 'Uploaded')).toHaveText('Uploaded 2', { timeout: 60_000 });
  await expect(filter(page, 'Failed')).toHaveText('Failed 1');
  await expect(filter(page, 'Waiting')).toHaveText('Waiting 0');
  await expect(totals).toContainText('Nothing left to send.');
  await expect(totals).toContainText('1 failed');

  const list = page.getByRole('list', { name: 'Upload queue' });
  await filter(page, 'Failed').click();
  await expect(filter(page, 'Failed')).toHaveAttribute('aria-pressed', 'true');
  await expect(filter(page, 'All')).toHaveAttribute('aria-pressed', 'false');
  await expect(list.getByRole('listitem')).toHaveCount(1);
  const failed = list.getByRole('listitem');
  await expect(failed.locator('.status')).toHaveText('Failed');
  await expect(failed.locator('.detail')).toContainText('413');
  await expect(failed.getByRole('button', { name: 'Retry' })).toBeVisible();

  await filter(page, 'Uploaded').click();
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await expect(list.locator('.status')).toHaveText(['Uploaded', 'Uploaded']);
  // Sent files were released from the device: no thumbnail any more, their kind instead.
  await expect(list.locator('.thumb img')).toHaveCount(0);
  await expect(list.locator('.detail')).toHaveText([
    /^Removed from this device/,
    /^Removed from this device/,
  ]);

  await filter(page, 'Waiting').click();
  await expect(list.getByRole('listitem')).toHaveCount(0);
  await expect(page.getByText('No waiting files.')).toBeVisible();
  await filter(page, 'All').click();
  await expect(list.getByRole('listitem')).toHaveCount(3);

  // Today's data, and its cost once a price is set.
  const spend = page.locator('.spend-today');
  await expect(spend).toHaveText(/^Data used today: \d+(\.\d)? (KB|MB)$/);
  await openSettings(page);
  await page.getByLabel('Price per GB').fill('2000');
  await page.getByRole('button', { name: 'Save link settings' }).click();
  await expect(page.getByText('Saved. The uploader is using these settings.')).toBeVisible();
  await backToUploads(page);
  await expect(spend).toHaveText(/^Data used today: \d+(\.\d)? (KB|MB) \(\$\d+\.\d\d\)$/);
});

test('while a file uploads, its row and the totals give the time left at the measured rate', async ({
  page,
  server,
}) => {
  // 400 kB/s and 150 ms each way: a 6 MB file takes about 15 s, long enough to read its time left.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 400_000, delayMs: 150 });
  try {
    await openApp(page, server, link.url);
    await expect(page.locator('.totals')).toContainText('Nothing left to send.');
    const add = page.getByLabel('Add files');
    await add.setInputFiles({ name: 'winch.mp4', mimeType: 'video/mp4', buffer: makeFile(6_000_000, 21) });
    const winch = row(page, 'winch.mp4');
    await expect(winch.locator('.status')).toHaveText('Uploading');
    await add.setInputFiles({ name: 'log.pdf', mimeType: 'application/pdf', buffer: makeFile(400_000, 22) });
    const log = row(page, 'log.pdf');
    await expect(log.locator('.status')).toHaveText('Waiting');
    // Once chunks have reached the server, the estimate is a number, and the file in line after it
    // is said to be done later than the one on the wire.
    await expect(winch.locator('.eta')).toHaveText(/^ · (under a minute|about \d+ min) left$/, {
      timeout: 30_000,
    });
    await expect(log.locator('.eta')).toHaveText(/^ · done in (under a minute|about \d+ min)$/);
    await expect(page.locator('.totals')).toContainText(
      /^2 files to send · [\d.]+ (KB|MB) left · all done in (under a minute|about \d+ min) at [\d.]+ (kbit|Mbit)\/s$/,
    );
    await expect(log.locator('.status')).toHaveText('Uploaded', { timeout: 60_000 });
    await expect(winch.locator('.status')).toHaveText('Uploaded');
    // Done: no time left is shown for sent files.
    await expect(page.locator('.queue .eta')).toHaveCount(0);
    await expect(page.locator('.totals')).toContainText('Nothing left to send.');
  } finally {
    await link.close();
  }
});

/** Bytes a row says have reached the server ("140.7 KB of 8.0 MB"), or -1 while it shows none. */
async function shownSent(page: Page, name: string): Promise<number> {
  const text = (await row(page, name).locator('.bytes').textContent()) ?? '';
  const match = /^([\d.]+) (B|KB|MB|GB) of /.exec(text.trim());
  if (!match) return -1;
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[match[2] as 'B' | 'KB' | 'MB' | 'GB'];
  return Number(match[1]) * unit;
}

test('the queue stays right over a reload, and in the app opened again while the worker uploads', async ({
  page,
  server,
}) => {
  // 300 kB/s: an 8 MB video takes about 27 s, so the page can go and come back mid-upload.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 300_000, delayMs: 100 });
  try {
    await openApp(page, server, link.url);
    const video = makeFile(8_000_000, 31);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'bilge.mp4', mimeType: 'video/mp4', buffer: video });
    await expect(row(page, 'bilge.mp4').locator('.status')).toHaveText('Uploading');
    await expect.poll(() => shownSent(page, 'bilge.mp4'), { timeout: 30_000 }).toBeGreaterThan(0);
    const beforeReload = await shownSent(page, 'bilge.mp4');

    await page.reload();
    await expect(row(page, 'bilge.mp4').locator('.status')).toHaveText('Uploading');
    await expect(page.locator('.totals')).toContainText(/^1 file to send · /);
    await expect.poll(() => shownSent(page, 'bilge.mp4'), { timeout: 30_000 }).toBeGreaterThan(beforeReload);
    const beforeClose = await shownSent(page, 'bilge.mp4');

    // Every page closed: the worker goes on alone; the app opened again shows where it is.
    const again = await page.context().newPage();
    await page.close();
    await again.goto(link.url);
    await expect(again.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
    await expect(row(again, 'bilge.mp4').locator('.status')).toHaveText(/Uploading|Uploaded/);
    await expect.poll(() => shownSent(again, 'bilge.mp4'), { timeout: 30_000 }).toBeGreaterThan(beforeClose);
    await expect(row(again, 'bilge.mp4').locator('.status')).toHaveText('Uploaded', { timeout: 90_000 });
    await expect(again.locator('.totals')).toContainText('Nothing left to send.');
    const stored = await server.uploads();
    expect(stored.filter((u) => u.sha256 === sha256(video))).toHaveLength(1);
  } finally {
    await link.close();
  }
});
