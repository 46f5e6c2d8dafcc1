import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  expect,
  makeFile,
  openApp,
  readQueue,
  row,
  sha256,
  type TenderServer,
  test,
  waitFor,
} from './fixtures.ts';
import { indexedDbBytes, sampleIndexedDb } from './profileStorage.ts';

const SIZE = 200 * 1024 * 1024;
const NAME = 'engine-room.mp4';
/** What the device may hold while a file waits or uploads: the file once, and a little for records. */
const PEAK_LIMIT = 1.2 * SIZE;
/** "Back near zero": the queue's records and LevelDB logs, no file. */
const NEAR_ZERO = 0.05 * SIZE;

test.describe.configure({ mode: 'serial' });

let fileDir: string;
let filePath: string;
let file: Buffer;
test.beforeAll(() => {
  fileDir = mkdtempSync(join(tmpdir(), 'tender-video-'));
  filePath = join(fileDir, NAME);
  file = makeFile(SIZE, 77);
  writeFileSync(filePath, file);
});
test.afterAll(() => rmSync(fileDir, { recursive: true, force: true }));

/**
 * Uploads the 200 MiB file from an installed-app-like profile (persistent, real worker) through a
 * capped link, doing `meanwhile` once part of it is on the server, and samples the profile's
 * IndexedDB folders on disk from before the file is added until after it is cleared.
 */
async function uploadOnce(
  server: TenderServer,
  meanwhile: (page: Page) => Promise<Page>,
): Promise<{ peak: number; afterUpload: number; afterClear: number }> {
  const profile = mkdtempSync(join(tmpdir(), 'tender-profile-'));
  // Capped at 40 MB/s, so even a fast upload leaves time to act on it mid-way.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 40_000_000 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  const sampler = sampleIndexedDb(profile);
  try {
    let page = context.pages()[0] ?? (await context.newPage());
    await openApp(page, server, link.url);
    await page.getByLabel('Add files').setInputFiles(filePath);
    await waitFor(async () => {
      const stored = (await readQueue(page)).find((i) => i.name === NAME);
      return stored && stored.bytesConfirmed >= SIZE / 5;
    }, 60_000);
    page = await meanwhile(page);
    await expect(row(page, NAME).locator('.status')).toHaveText('Uploaded', { timeout: 120_000 });
    await expect(row(page, NAME)).toContainText('Removed from this device');

    const uploadedAt = Date.now();
    const [upload] = await server.uploads();
    expect(upload).toMatchObject({ name: NAME, size: SIZE, sha256: sha256(file) });
    /** IndexedDB bytes once they are near zero within `ms`, else null. */
    const freed = async (ms: number) => {
      const { bytes } = await waitFor(async () => {
        const now = await indexedDbBytes(profile);
        return (now < NEAR_ZERO || Date.now() - start > ms) && { bytes: now };
      }, ms + 5_000);
      return bytes < NEAR_ZERO ? bytes : null;
    };
    let start = Date.now();
    // Chromium deletes a released Blob's file once no script holds it. The worker holds the file while
    // it uploads; without DevTools Chromium stops an idle worker after 30 s, which lets go of it. A test
    // attaches DevTools, which keeps the worker alive, so when the file outlives 10 s the test stops
    // the worker as Chromium would.
    let how = 'by itself';
    let afterUpload = await freed(10_000);
    if (afterUpload === null) {
      how = 'once the idle worker was stopped';
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      start = Date.now();
      afterUpload = await freed(10_000);
    }
    if (afterUpload === null) throw new Error('the released file was never deleted from the device');
    const releasedAfterMs = Date.now() - uploadedAt;

    await page.getByLabel('older than').fill('0');
    await page.getByRole('button', { name: 'Clear uploaded' }).click();
    await expect(row(page, NAME)).toHaveCount(0);
    const afterClear = await indexedDbBytes(profile);
    await sampler.stop();
    const peak = sampler.peak();
    test.info().annotations.push({
      type: 'IndexedDB on disk',
      description: `file ${SIZE} B; peak ${peak} B (${(peak / SIZE).toFixed(3)}×), after upload ${afterUpload} B (${(afterUpload / SIZE).toFixed(4)}×, ${(releasedAfterMs / 1000).toFixed(1)} s after Uploaded, ${how}), after clear ${afterClear} B; ${sampler.samples.length} samples`,
    });
    return { peak, afterUpload, afterClear };
  } finally {
    await sampler.stop();
    await context.close().catch(() => {});
    await link.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const expectOneCopy = (result: { peak: number; afterUpload: number; afterClear: number }) => {
  expect(result.peak).toBeGreaterThanOrEqual(SIZE); // the file was stored, once
  expect(result.peak).toBeLessThanOrEqual(PEAK_LIMIT);
  expect(result.afterUpload).toBeLessThan(NEAR_ZERO);
  expect(result.afterClear).toBeLessThan(NEAR_ZERO);
};

test('a 200 MiB video is stored once while it uploads and released once the server has it', async ({
  server,
}) => {
  test.setTimeout(240_000);
  expectOneCopy(await uploadOnce(server, async (page) => page));
});

test('paused and resumed mid-upload, the 200 MiB video is still stored once', async ({ server }) => {
  test.setTimeout(240_000);
  const result = await uploadOnce(server, async (page) => {
    const item = row(page, NAME);
    await item.getByRole('button', { name: 'Pause' }).click();
    await expect(item.locator('.status')).toHaveText('Paused');
    await item.getByRole('button', { name: 'Resume' }).click();
    return page;
  });
  expectOneCopy(result);
});

test('with the page reloaded mid-upload, the 200 MiB video is still stored once', async ({ server }) => {
  test.setTimeout(240_000);
  const result = await uploadOnce(server, async (page) => {
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
    await expect(row(page, NAME)).toBeVisible();
    return page;
  });
  expectOneCopy(result);
});
