import { backToUploads, expect, makeFile, openApp, openSettings, row, test } from './fixtures.ts';

// The Settings screen as the crew use it: the tags new files start with, signing out and in again,
// and asking the browser to keep the queued files.

test('tags set in Settings go with new files; signing out holds files until the device signs in again', async ({
  page,
  server,
}) => {
  await openApp(page, server);
  await openSettings(page);
  await page.getByLabel('Document type').selectOption('Report');
  await page.getByLabel('Ship system').fill('Watermaker');
  await page.getByLabel('Folder').fill('Engine room/Watermaker');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await expect(page.getByText('Saved. New files start with these tags.')).toBeVisible();
  await backToUploads(page);
  await expect(page.getByLabel('Ship system')).toHaveValue('Watermaker');

  // Signed out: the uploads screen says so, and a new file waits for the sign-in.
  await openSettings(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out now' }).click();
  await expect(
    page.getByText('Not signed in yet. Files stay queued until this device is signed in.'),
  ).toBeVisible();
  await backToUploads(page);
  await expect(page.getByRole('region', { name: 'Sign-in' })).toBeVisible();
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'log.pdf', mimeType: 'application/pdf', buffer: makeFile(30_000, 91) });
  await expect(row(page, 'log.pdf').locator('.detail')).toHaveText(
    'waits until this device is signed in (see above)',
  );
  expect(await server.uploads()).toHaveLength(0);

  // Signed in again from Settings with a new link: the file goes, with the tags from Settings.
  const device = await server.enroll('Engine room tablet');
  await openSettings(page);
  await page
    .getByLabel('Enrolment link or code')
    .fill(`${server.url}/enroll${new URL(device?.enrollUrl ?? '').hash}`);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText('Signed in as Engine room tablet.')).toBeVisible();
  await backToUploads(page);
  await expect(row(page, 'log.pdf').locator('.status')).toHaveText('Uploaded');
  const [record] = (await server.uploads()) as unknown as {
    name: string;
    metadata: Record<string, string>;
  }[];
  expect(record?.metadata).toMatchObject({
    documentType: 'Report',
    systemTag: 'Watermaker',
    directories: 'Engine room/Watermaker',
  });
});

test('keeping files safe is offered once a file waits for the link, and Settings shows the answer', async ({
  context,
  page,
  server,
}) => {
  await openApp(page, server);
  const offer = page.getByRole('region', { name: 'Keep queued files safe when the phone is low on space' });
  await expect(page.getByText('Nothing queued.')).toBeVisible();
  await expect(offer).toHaveCount(0);

  await context.setOffline(true);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'bilge.jpg', mimeType: 'image/jpeg', buffer: makeFile(80_000, 92) });
  await expect(offer).toContainText('80.0 KB of files have not reached shore yet.');
  await offer.getByRole('button', { name: 'Keep files safe' }).click();
  // Chromium decides by itself (an installed or much used app gets a yes); the screen says what it said.
  const kept = await page.evaluate(() => navigator.storage.persisted());
  const answer = kept ? 'Queued files are kept safe' : 'The browser did not promise to keep them.';
  await expect(page.getByRole('status').filter({ hasText: answer })).toBeVisible();
  await expect(offer).toHaveCount(0);

  await openSettings(page);
  const storage = page.getByRole('region', { name: 'Storage on this device' });
  await expect(storage.getByText('Used by Tender')).toBeVisible();
  await expect(storage.getByText('Free for Tender')).toBeVisible();
  await expect(storage.getByRole('definition').filter({ hasText: kept ? /^yes$/ : /^no$/ })).toBeVisible();
  if (!kept) await expect(storage.getByText(/^The browser said no on /)).toBeVisible();
});
