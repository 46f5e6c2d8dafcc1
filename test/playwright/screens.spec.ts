import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import { expect, makeFile, openApp, openSettings, row, test } from './fixtures.ts';

// Every screen, at a phone's and a tablet's size: no accessibility violations axe-core can find
// (WCAG 2.1 A and AA), and a screenshot kept under test-results/screens/ to look at.

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SIZES = [
  { width: 360, height: 740 },
  { width: 1024, height: 768 },
];
const SHOTS = path.resolve('test-results/screens');

type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** Runs axe-core on the page as it is now; returns its violations, each with where it is. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  });
  return violations.map(
    (v: Violation) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Controls on the screen smaller than 44 px each way (wet hands, gloves), by their text. */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = document.querySelectorAll<HTMLElement>(
      'button, summary, select, label.button, input:not([type="checkbox"]):not([type="file"])',
    );
    return [...controls]
      .filter((el) => el.getClientRects().length > 0)
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.height < 44 || box.width < 44;
      })
      .map((el) => {
        const box = el.getBoundingClientRect();
        const name = el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.id;
        return `${el.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`;
      });
  });
}

/** Queue rows whose content, or whose why-it-waits text, is cut off (more to show than room). */
function cutRows(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.queue-item')].flatMap((row) => {
      const main = row.querySelector<HTMLElement>('.row-main');
      const bytes = row.querySelector<HTMLElement>('.bytes');
      const cut = [];
      if (main && main.scrollHeight > main.clientHeight + 1)
        cut.push(`${row.ariaLabel}: row holds ${main.scrollHeight} px in ${main.clientHeight}`);
      // The status line clamps on a wide screen, the why-it-waits text on its own on a narrow one.
      for (const why of row.querySelectorAll<HTMLElement>('.queue-item-foot, .detail'))
        if (why.scrollHeight > why.clientHeight + 1) cut.push(`${row.ariaLabel}: "${why.textContent}"`);
      if (bytes && bytes.scrollWidth > bytes.clientWidth + 1)
        cut.push(`${row.ariaLabel}: "${bytes.textContent}"`);
      return cut;
    }),
  );
}

/** At each size: no violations, nothing cut off, touch targets of 44 px, and a screenshot named after the screen. */
async function checkScreen(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const at = `${name} at ${size.width}×${size.height}`;
    expect(await axeViolations(page), at).toEqual([]);
    expect(await smallTargets(page), at).toEqual([]);
    expect(await cutRows(page), at).toEqual([]);
    await page.screenshot({
      path: path.join(SHOTS, `${name}-${size.width}x${size.height}.png`),
      fullPage: true,
    });
  }
}

test('empty queue, Settings and the signed-out screens', async ({ page, server }) => {
  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Sign-in' })).toBeVisible();
  await checkScreen(page, 'signed-out');
  await openSettings(page);
  await expect(page.getByText('Not signed in yet.')).toBeVisible();
  await checkScreen(page, 'settings-signed-out');

  await openApp(page, server);
  await expect(page.getByRole('region', { name: 'Sign-in' })).toHaveCount(0);
  await checkScreen(page, 'empty');

  await openSettings(page);
  await expect(page.getByRole('textbox', { name: 'Daily budget' })).toBeVisible();
  await expect(page.getByText('Signed in as Test tablet.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Storage on this device' })).toBeVisible();
  await checkScreen(page, 'settings');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign out now' })).toBeVisible();
  await checkScreen(page, 'settings-sign-out');
});

test('busy: a file uploading over a slow link, with the link panel', async ({ page, server }) => {
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 150_000, delayMs: 150 });
  try {
    await openApp(page, server, link.url);
    await page.getByLabel('Add files').setInputFiles([
      { name: 'engine-room.mp4', mimeType: 'video/mp4', buffer: makeFile(6_000_000, 31) },
      { name: 'certificate.pdf', mimeType: 'application/pdf', buffer: makeFile(200_000, 32) },
    ]);
    await expect(row(page, 'engine-room.mp4').locator('.status')).toHaveText('Uploading');
    const panel = page.getByRole('region', { name: 'Link to shore' });
    await expect(panel).toContainText('Shore answers');
    await checkScreen(page, 'busy');
    await panel.getByText(/^Link: /).click();
    await expect(panel.getByText('Round trip')).toBeVisible();
    await checkScreen(page, 'link-panel-open');
  } finally {
    await link.close();
  }
});

test('offline with files waiting', async ({ context, page, server }) => {
  await openApp(page, server);
  await context.setOffline(true);
  await page.getByLabel('Add files').setInputFiles([
    { name: 'bilge-pump.jpg', mimeType: 'image/jpeg', buffer: makeFile(80_000, 41) },
    { name: 'manual.pdf', mimeType: 'application/pdf', buffer: makeFile(120_000, 42) },
  ]);
  await expect(row(page, 'manual.pdf').locator('.status')).toHaveText('Waiting');
  await checkScreen(page, 'offline-waiting');
});

test('Data saver chosen, with waiting photos’ details open', async ({ context, page, server }) => {
  await openApp(page, server);
  await page.getByLabel('Photo size for new files').selectOption('Data saver (about 3 MP)');
  await context.setOffline(true);
  // Not a picture the browser can read: the details say why it goes as it is, with nothing to switch.
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'gauge.jpg', mimeType: 'image/jpeg', buffer: makeFile(80_000, 43) });
  const gauge = row(page, 'gauge.jpg');
  await gauge.getByRole('button', { name: 'Details of gauge.jpg' }).click();
  await expect(gauge).toContainText(
    'Data saver not applied: Only JPEG, PNG and WebP pictures are made smaller',
  );
  await expect(gauge.getByRole('button', { name: 'Send the original instead' })).toHaveCount(0);
  // A photo sent as its original can still be switched to Data saver while it waits.
  await page.getByLabel('Photo size for new files').selectOption('Original');
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'plate.jpg', mimeType: 'image/jpeg', buffer: makeFile(60_000, 44) });
  const plate = row(page, 'plate.jpg');
  await plate.getByRole('button', { name: 'Details of plate.jpg' }).click();
  const choice = plate.getByRole('button', { name: 'Use Data saver' });
  // Touch targets: at least 44 × 44 CSS pixels.
  const box = await choice.boundingBox();
  expect(box?.height).toBeGreaterThanOrEqual(44);
  expect(box?.width).toBeGreaterThanOrEqual(44);
  const select = await page.getByLabel('Photo size for new files').boundingBox();
  expect(select?.height).toBeGreaterThanOrEqual(44);
  await checkScreen(page, 'data-saver-details');
});
