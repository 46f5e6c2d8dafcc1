import { expect, makeFile, openApp, row, sha256, test } from './fixtures.ts';

/** The stored queue record of `name`, read from IndexedDB in the page. */
function stored(page: import('@playwright/test').Page, name: string) {
  return page.evaluate(
    (wanted) =>
      new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
        const open = indexedDB.open('tender');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('items').objectStore('items').getAll();
          req.onsuccess = () => {
            const { blob: _blob, ...rest } =
              req.result.find((i: { name: string }) => i.name === wanted) ?? {};
            open.result.close();
            resolve(rest);
          };
        };
      }),
    name,
  );
}

test('two 500s, then success: the file waits out a backoff and arrives once', async ({ page, server }) => {
  await openApp(page, server);
  await server.fault({ method: 'POST', status: 500, count: 2 });
  const file = makeFile(300_000, 8);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'log.pdf', mimeType: 'application/pdf', buffer: file });
  const item = row(page, 'log.pdf');
  await expect(item.locator('.detail')).toContainText('server trouble; retrying at');
  await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 40_000 });
  // Three tries; the confirmed upload cleared the count of failures, so a later fault backs off from 5 s.
  expect(await stored(page, 'log.pdf')).toMatchObject({ tries: 3, attempts: 0, status: 'uploaded' });
  const uploads = await server.uploads();
  expect(uploads).toHaveLength(1);
  expect(uploads[0]?.sha256).toBe(sha256(file));
});

test('429 with Retry-After: 2 is waited out, not hammered', async ({ page, server }) => {
  await openApp(page, server);
  await server.fault({ method: 'POST', status: 429, count: 1, headers: { 'Retry-After': '2' } });
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'busy.jpg', mimeType: 'image/jpeg', buffer: makeFile(50_000, 4) });
  const item = row(page, 'busy.jpg');
  await expect(item.locator('.detail')).toContainText('retrying at');
  const waiting = await stored(page, 'busy.jpg');
  const delay = (waiting?.notBefore as number) - (waiting?.updatedAt as number);
  expect(delay).toBeGreaterThanOrEqual(1990);
  expect(delay).toBeLessThanOrEqual(2100);
  // A 429 with Retry-After is the server pacing us, not a failure: no attempt used up.
  expect(waiting).toMatchObject({ attempts: 0, waitReason: 'backoff' });
  await expect(item.locator('.status')).toHaveText('Uploaded');
  expect(await server.uploads()).toHaveLength(1);
});

test('413 fails the file with its reason and is not retried', async ({ page, server }) => {
  await openApp(page, server);
  await server.fault({ method: 'POST', status: 413, count: 5 });
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'movie.mp4', mimeType: 'video/mp4', buffer: makeFile(100_000, 2) });
  const item = row(page, 'movie.mp4');
  await expect(item.locator('.status')).toHaveText('Failed');
  await expect(item.locator('.detail')).toContainText('too large (413)');
  await expect(item.getByRole('button', { name: 'Retry' })).toBeVisible();
  await page.waitForTimeout(2000);
  expect(await stored(page, 'movie.mp4')).toMatchObject({ status: 'failed', tries: 1 });
  expect(await server.uploads()).toHaveLength(0);
});

test('a revoked device pauses the whole queue with the sign-in message, and resumes after enrolling again', async ({
  page,
  server,
}) => {
  const device = await openApp(page, server);
  expect(device).not.toBeNull();
  const revoke = await fetch(`${server.url}/api/devices/${device?.deviceId}`, {
    method: 'DELETE',
    headers: server.adminHeaders,
  });
  expect(revoke.status).toBe(204);

  await page.getByLabel('Add files').setInputFiles([
    { name: 'one.jpg', mimeType: 'image/jpeg', buffer: makeFile(20_000, 1) },
    { name: 'two.jpg', mimeType: 'image/jpeg', buffer: makeFile(20_000, 2) },
  ]);
  await expect(
    page.getByRole('alert').filter({ hasText: 'This device must be signed in again' }),
  ).toBeVisible();
  for (const name of ['one.jpg', 'two.jpg'])
    await expect(row(page, name).locator('.status')).toHaveText('Waiting');
  await expect(page.locator('.status-failed')).toHaveCount(0);
  expect(await server.uploads()).toHaveLength(0);

  const again = await server.enroll('Deck tablet');
  await page.goto(`${server.url}/enroll#token=${again?.token}`);
  for (const name of ['one.jpg', 'two.jpg'])
    await expect(row(page, name).locator('.status')).toHaveText('Uploaded');
  await expect(page.getByText('Deck tablet')).toBeVisible();
  expect(await server.uploads()).toHaveLength(2);
});
