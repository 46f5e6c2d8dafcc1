import { expect, makeFile, openApp, row, sha256, test } from './fixtures.ts';

test('files shared from another app (Web Share Target) are queued, shown and uploaded', async ({
  page,
  server,
}) => {
  await openApp(page, server);
  const manifest = await (await fetch(`${server.url}/manifest.webmanifest`)).json();
  expect(manifest.share_target).toMatchObject({
    action: '/share',
    method: 'POST',
    enctype: 'multipart/form-data',
  });

  // What the share sheet does: a navigation POSTing multipart form data to the share_target action.
  await page.evaluate(() => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = '/share';
    form.enctype = 'multipart/form-data';
    const input = document.createElement('input');
    input.type = 'file';
    input.name = 'files';
    input.multiple = true;
    input.id = 'share-files';
    form.append(input);
    document.body.append(form);
  });
  const photos = [
    { name: 'winch.jpg', mimeType: 'image/jpeg', buffer: makeFile(250_000, 21) },
    { name: 'anchor.jpg', mimeType: 'image/jpeg', buffer: makeFile(150_000, 22) },
  ];
  await page.locator('#share-files').setInputFiles(photos);
  await page.evaluate(() => (document.querySelector('form[action="/share"]') as HTMLFormElement).submit());

  await expect(page.getByText('2 shared files added to the queue.')).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/');
  for (const p of photos) await expect(row(page, p.name).locator('.status')).toHaveText('Uploaded');
  const uploads = await server.uploads();
  for (const p of photos) expect(uploads.find((u) => u.name === p.name)?.sha256).toBe(sha256(p.buffer));
});
