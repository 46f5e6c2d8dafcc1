import { expect, makeFile, row, test } from './fixtures.ts';

// The enrolment link carries a one-time code: opening it signs the device in once; a second device
// opening the same (photographed) link is told the link is spent and what to do.

/** The operator's link, opened on this server's own address (enrollUrl names localhost). */
function linkOn(serverUrl: string, enrollUrl: string): string {
  return `${serverUrl}/enroll${new URL(enrollUrl).hash}`;
}

test('a one-time enrolment link signs the device in and uploads; the same link then does nothing for anyone else', async ({
  page,
  server,
  sharedBrowser,
}) => {
  const device = await server.enroll('Galley tablet');
  expect(device?.enrollUrl).toMatch(/#code=/);
  const link = linkOn(server.url, device?.enrollUrl ?? '');
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  await expect(page.getByText('Galley tablet')).toBeVisible();
  // The code is gone from the address bar once used.
  expect(new URL(page.url()).hash).toBe('');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  await page
    .getByLabel('Add files')
    .setInputFiles([{ name: 'galley.jpg', mimeType: 'image/jpeg', buffer: makeFile(20_000, 5) }]);
  await expect(row(page, 'galley.jpg').locator('.status')).toHaveText('Uploaded');

  // Someone who photographed the QR code opens it on another device.
  const other = await sharedBrowser.newContext();
  try {
    const thief = await other.newPage();
    await thief.goto(link);
    const spent = thief.getByRole('alert').filter({ hasText: 'already been used or has expired' });
    await expect(spent).toBeVisible();
    await expect(spent).toContainText('enrol this device again');
    expect(new URL(thief.url()).hash).toBe('');
  } finally {
    await other.close();
  }
  expect(await server.uploads()).toHaveLength(1);
});

test('a device never enrolled says so plainly, keeps files, and signs in from a pasted link', async ({
  page,
  server,
}) => {
  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  const signIn = page.getByRole('region', { name: 'Sign-in' });
  await expect(signIn.getByRole('alert')).toContainText('This device is not signed in yet');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'deck.jpg', mimeType: 'image/jpeg', buffer: makeFile(20_000, 8) });
  await expect(row(page, 'deck.jpg').locator('.detail')).toHaveText(
    'waits until this device is signed in (see above)',
  );
  await expect(page.getByText('must be signed in again')).toHaveCount(0);

  const device = await server.enroll('Bridge phone');
  await signIn.getByLabel('Enrolment link or code').fill(linkOn(server.url, device?.enrollUrl ?? ''));
  await signIn.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Bridge phone')).toBeVisible();
  await expect(signIn).toHaveCount(0);
  await expect(row(page, 'deck.jpg').locator('.status')).toHaveText('Uploaded');
  expect((await server.uploads()).map((u) => u.name)).toEqual(['deck.jpg']);
});
