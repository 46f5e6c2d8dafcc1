import { startLinkEmulator } from '../support/linkEmulator.ts';
import { expect, makeFile, openApp, openSettings, row, test } from './fixtures.ts';
import { checkScreen } from './screenChecks.ts';

// Every screen, at a phone's and a tablet's size, through checkScreen (screenChecks.ts).

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
