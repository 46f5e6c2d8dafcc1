import { expect, makeFile, openApp, row, test } from './fixtures.ts';

test('without Background Sync the app says uploads need it open, keeps the screen on while files go, and uploads', async ({
  context,
  page,
  server,
}) => {
  // As on iOS and Safari: no Background Sync at all.
  await context.addInitScript(() => {
    delete (window as { SyncManager?: unknown }).SyncManager;
    delete (ServiceWorkerRegistration.prototype as { sync?: unknown }).sync;
  });
  await openApp(page, server);
  const notice = page.getByRole('region', { name: 'Uploads on this device' });
  await expect(notice).toContainText('uploads continue only while Tender is open');
  await expect(notice.getByRole('button', { name: 'Upload now, keep screen on' })).toHaveCount(0);

  await context.setOffline(true);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'log.txt', mimeType: 'text/plain', buffer: makeFile(40_000, 9) });
  await notice.getByRole('button', { name: 'Upload now, keep screen on' }).click();
  await expect(notice.getByRole('status')).toHaveText(/Screen stays on until the queue is empty/);

  await context.setOffline(false);
  await expect(row(page, 'log.txt').locator('.status')).toHaveText('Uploaded', { timeout: 30_000 });
  // Nothing left to send: the screen may sleep again.
  await expect(notice.getByRole('status')).toHaveCount(0);
  expect((await server.uploads()).map((u) => u.name)).toEqual(['log.txt']);
});
