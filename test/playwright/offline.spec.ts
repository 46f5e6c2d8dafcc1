import { expect, makeFile, openApp, readQueue, row, sha256, test, waitFor } from './fixtures.ts';

test('a file added offline arrives after the link returns, with every page closed', async ({
  context,
  page,
  server,
}) => {
  await openApp(page, server);
  await context.setOffline(true);
  const file = makeFile(3_000_000, 11);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'manual.pdf', mimeType: 'application/pdf', buffer: file });
  const item = row(page, 'manual.pdf');
  await expect(item.locator('.status')).toHaveText('Waiting');
  await expect(item.locator('.detail')).toContainText('no connection');
  await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible();

  await page.close();
  expect(context.pages()).toHaveLength(0);
  expect(await server.uploads()).toHaveLength(0);

  await context.setOffline(false);
  const arrived = await waitFor(
    async () => (await server.uploads()).find((u) => u.name === 'manual.pdf'),
    60_000,
  );
  expect(arrived).toMatchObject({ size: file.length, sha256: sha256(file) });
});

test('offline reload serves the app shell, deep links too, and shows the queue as stored', async ({
  context,
  page,
  server,
}) => {
  await openApp(page, server);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'sent.txt', mimeType: 'text/plain', buffer: makeFile(1000, 3) });
  await expect(row(page, 'sent.txt').locator('.status')).toHaveText('Uploaded');

  await context.setOffline(true);
  await page.getByLabel('Add files').setInputFiles([
    { name: 'later-1.jpg', mimeType: 'image/jpeg', buffer: makeFile(2000, 4) },
    { name: 'later-2.jpg', mimeType: 'image/jpeg', buffer: makeFile(3000, 5) },
  ]);
  await expect(row(page, 'later-2.jpg').locator('.status')).toHaveText('Waiting');

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Tender' })).toBeVisible();
  const stored = await readQueue(page);
  expect(stored.map((i) => `${i.name}:${i.status}`).sort()).toEqual([
    'later-1.jpg:waiting',
    'later-2.jpg:waiting',
    'sent.txt:uploaded',
  ]);
  for (const item of stored) {
    const label = item.status[0]?.toUpperCase() + item.status.slice(1);
    await expect(row(page, item.name).locator('.status')).toHaveText(label);
  }
  await expect(page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem')).toHaveCount(3);

  await page.goto(`${server.url}/ship/engine-room/photos`);
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem')).toHaveCount(3);

  // Settings, never opened in this page, loads from the precache; Back returns to the uploads.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Link and data budget' })).toBeVisible();
  expect(new URL(page.url()).hash).toBe('#settings');
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  // A reload on Settings stays there.
  await page.goto(`${server.url}/#settings`);
  await expect(page.getByRole('heading', { name: 'Storage on this device' })).toBeVisible();
});
