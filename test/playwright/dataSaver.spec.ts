import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { UploadRecord } from '../../server/records.ts';
import { formatBytes } from '../../src/shared/format.ts';
import { expect, openApp, row, sha256, type TenderServer, test, waitFor } from './fixtures.ts';

/*
 * Data saver end to end: a large camera-like JPEG picked in the real app, made smaller in the real
 * hash worker, sent by the real service worker to the real server, and what the server holds checked
 * byte for byte and decoded.
 */

/** Landscape pixels as the camera stored them; EXIF orientation 6 shows them upright (4000 × 6000). */
const STORED = { width: 6000, height: 4000 };

/**
 * A JPEG made in the browser: a gradient with fine noise (so it compresses like a photo, not like a
 * flat test card), red down its stored left edge and blue down its right, which orientation 6 turns
 * into red at the top and blue at the bottom.
 */
async function cameraJpeg(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(async ({ width, height }) => {
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
    const gradient = g.createLinearGradient(0, 0, width, height);
    gradient.addColorStop(0, '#3a6b8c');
    gradient.addColorStop(1, '#c9b27a');
    g.fillStyle = gradient;
    g.fillRect(0, 0, width, height);
    const band = 500;
    let x = 7;
    for (let y = 0; y < height; y += band) {
      const part = g.getImageData(0, y, width, band);
      for (let i = 0; i < part.data.length; i++) {
        if ((i & 3) === 3) continue; // opaque
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        part.data[i] = (part.data[i] ?? 0) + ((x & 31) - 16);
      }
      g.putImageData(part, 0, y);
    }
    // Detail at every scale, as leaves, rust and rigging give a real photo.
    for (let n = 0; n < 40_000; n++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = x >>> 0;
      g.fillStyle = `rgba(${v & 255}, ${(v >> 8) & 255}, ${(v >> 16) & 255}, 0.35)`;
      g.fillRect(v % width, (v >>> 7) % height, 2 + (v % 61), 2 + ((v >>> 11) % 61));
    }
    g.fillStyle = '#e01010';
    g.fillRect(0, 0, 600, height);
    g.fillStyle = '#1010e0';
    g.fillRect(width - 600, 0, 600, height);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }, STORED);
  const jpeg = Buffer.from(base64, 'base64');
  // An EXIF block saying "turn a quarter clockwise to show" (orientation 6), as phones write it.
  const tiff = Buffer.from([
    0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
  ]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([
    Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255]),
    body,
  ]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

/** A picture's shown size and the colours at the middle of its top and bottom edges, decoded by the browser. */
function decode(page: Page, bytes: Buffer) {
  return page.evaluate(async (base64) => {
    const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([raw]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
    g.drawImage(bitmap, 0, 0);
    const at = (y: number) => Array.from(g.getImageData(bitmap.width >> 1, y, 1, 1).data.slice(0, 3));
    return { width: bitmap.width, height: bitmap.height, top: at(5), bottom: at(bitmap.height - 5) };
  }, bytes.toString('base64'));
}

async function arrived(
  server: TenderServer,
  name: string,
): Promise<{ record: UploadRecord; content: Buffer }> {
  const record = await waitFor(async () => (await server.uploads()).find((u) => u.name === name), 90_000);
  const res = await fetch(`${server.url}/api/uploads/${record.id}/content`, { headers: server.adminHeaders });
  expect(res.status).toBe(200);
  return { record, content: Buffer.from(await res.arrayBuffer()) };
}

function onDisk(name: string, bytes: Buffer): { file: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-saver-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, dir };
}

test('Data saver sends a smaller, upright JPEG and tells shore the original; Original sends the exact bytes', async ({
  page,
  server,
}) => {
  test.setTimeout(180_000);
  await openApp(page, server);
  const photo = await cameraJpeg(page);
  const saver = onDisk('deck-saver.jpg', photo);
  const original = onDisk('deck-original.jpg', photo);
  try {
    console.log(`test photo: ${STORED.width} × ${STORED.height}, ${(photo.length / 1e6).toFixed(1)} MB`);
    await page.getByLabel('Photo size for new files').selectOption('Data saver (about 3 MP)');
    const picked = Date.now();
    await page.getByLabel('Add files').setInputFiles(saver.file);
    const small = await arrived(server, 'deck-saver.jpg');
    console.log(`picked to recorded ashore: ${Date.now() - picked} ms, ${small.content.length} bytes sent`);

    // What shore holds is what was hashed and checked on the device, byte for byte.
    expect(small.record.sha256).toBe(sha256(small.content));
    expect(small.record.size).toBe(small.content.length);
    expect(small.record.type).toBe('image/jpeg');
    expect(small.content.length).toBeLessThan(photo.length * 0.8);
    expect(small.content.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const shown = await decode(page, small.content);
    expect(Math.max(shown.width, shown.height)).toBe(2048);
    // Upright, as the phone showed it: portrait, red at the top, blue at the bottom.
    expect(shown).toMatchObject({ width: 1365, height: 2048 });
    const [r, , b] = shown.top;
    expect(r).toBeGreaterThan(180);
    expect(b).toBeLessThan(80);
    expect(shown.bottom[2]).toBeGreaterThan(180);
    expect(shown.bottom[0]).toBeLessThan(80);
    expect(small.record.metadata).toMatchObject({
      dataSaver: 'downscaled',
      originalName: 'deck-saver.jpg',
      originalType: 'image/jpeg',
      originalSize: String(photo.length),
      originalWidth: '4000',
      originalHeight: '6000',
      width: '1365',
      height: '2048',
    });

    // The row says what was saved, and the totals count the bytes sent, not the original's.
    const item = row(page, 'deck-saver.jpg');
    await expect(item.locator('.status')).toHaveText('Uploaded');
    await item.getByRole('button', { name: 'Details of deck-saver.jpg' }).click();
    await expect(item).toContainText(
      `Data saver: ${formatBytes(photo.length)} → ${formatBytes(small.content.length)} (1365 × 2048)`,
    );
    await expect(item.getByRole('button', { name: 'Send the original instead' })).toHaveCount(0);

    // The choice is remembered; Original sends the file untouched.
    await page.reload();
    await expect(page.getByLabel('Photo size for new files')).toHaveValue('data-saver');
    await page.getByLabel('Photo size for new files').selectOption('Original');
    await page.getByLabel('Add files').setInputFiles(original.file);
    const whole = await arrived(server, 'deck-original.jpg');
    expect(whole.content.equals(photo)).toBe(true);
    expect(whole.record.sha256).toBe(sha256(photo));
    expect(whole.record.metadata.dataSaver).toBeUndefined();
    expect(whole.record.metadata.originalSize).toBeUndefined();
  } finally {
    for (const d of [saver.dir, original.dir]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a waiting photo can be switched back to its original before any byte is sent', async ({
  context,
  page,
  server,
}) => {
  test.setTimeout(120_000);
  await openApp(page, server);
  const photo = await cameraJpeg(page);
  const pump = onDisk('pump.jpg', photo);
  try {
    await page.getByLabel('Photo size for new files').selectOption('Data saver (about 3 MP)');
    await context.setOffline(true);
    await page.getByLabel('Add files').setInputFiles(pump.file);
    const item = row(page, 'pump.jpg');
    await item.getByRole('button', { name: 'Details of pump.jpg' }).click();
    const note = item.getByText(/^Data saver: /);
    await expect(note).toHaveText(/^Data saver: [\d.]+ MB → [\d.]+ [KM]B \(1365 × 2048\)$/, {
      timeout: 30_000,
    });
    // What is left to send is the smaller copy, on the row and in the totals.
    const smaller = /→ (\S+ [KM]B)/.exec((await note.textContent()) ?? '')?.[1];
    expect(smaller).toBeTruthy();
    const totals = page.getByText(/to send ·/);
    await expect(totals).toContainText(`1 file to send · ${smaller} left`);
    await expect(item).toContainText(`0 B of ${smaller}`);

    await item.getByRole('button', { name: 'Send the original instead' }).click();
    await expect(item).not.toContainText('Data saver:');
    await expect(item.getByRole('button', { name: 'Use Data saver' })).toBeVisible();
    await expect(totals).toContainText(`1 file to send · ${formatBytes(photo.length)} left`);
    await context.setOffline(false);
    const sent = await arrived(server, 'pump.jpg');
    expect(sent.content.equals(photo)).toBe(true);
    expect(sent.record.sha256).toBe(sha256(photo));
    expect(sent.record.metadata.dataSaver).toBeUndefined();
  } finally {
    fs.rmSync(pump.dir, { recursive: true, force: true });
  }
});
