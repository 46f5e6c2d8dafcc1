import { backToUploads, expect, makeFile, openApp, openSettings, row, test, waitFor } from './fixtures.ts';

test('with notifications allowed, a batch that reaches shore with the app closed is announced', async ({
  context,
  page,
  server,
}) => {
  // Granting replaces the origin's permissions as a whole: Background Sync is named so it stays on.
  await context.grantPermissions(['notifications', 'background-sync']);
  await openApp(page, server);
  await openSettings(page);
  await expect(page.getByText('You will get a notification when a batch has reached shore')).toBeVisible();
  await backToUploads(page);

  await context.setOffline(true);
  await page.getByLabel('Add files').setInputFiles([
    { name: 'a.jpg', mimeType: 'image/jpeg', buffer: makeFile(30_000, 1) },
    { name: 'b.jpg', mimeType: 'image/jpeg', buffer: makeFile(30_000, 2) },
  ]);
  // Closed once both show in the queue, as a crew member would.
  await expect(row(page, 'a.jpg')).toBeVisible();
  await expect(row(page, 'b.jpg')).toBeVisible();
  await page.close();
  await context.setOffline(false);
  await waitFor(async () => (await server.uploads()).length === 2, 60_000);

  const again = await context.newPage();
  await again.goto(server.url);
  const notes = await waitFor(async () => {
    const list = await again.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body }));
    });
    return list.length ? list : null;
  });
  expect(notes).toEqual([{ title: 'Files ashore', body: '2 files have reached shore.' }]);
});

test('until allowed, the app only offers to tell', async ({ page, server }) => {
  await openApp(page, server);
  await openSettings(page);
  await expect(page.getByRole('button', { name: 'Tell me when files reach shore' })).toBeVisible();
  await backToUploads(page);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'c.txt', mimeType: 'text/plain', buffer: makeFile(1_000, 3) });
  await waitFor(async () => (await server.uploads()).length === 1);
  const count = await page.evaluate(
    async () => (await (await navigator.serviceWorker.ready).getNotifications()).length,
  );
  expect(count).toBe(0);
});
