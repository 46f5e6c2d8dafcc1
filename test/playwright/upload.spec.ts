import { expect, makeFile, openApp, row, sha256, test } from './fixtures.ts';

test('a 5 MB file added in the app reaches the server intact', async ({ page, server }) => {
  await openApp(page, server);
  const file = makeFile(5 * 1000 * 1000, 7);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'engine-room.mp4', mimeType: 'video/mp4', buffer: file });

  const item = row(page, 'engine-room.mp4');
  await expect(item).toBeVisible();
  await expect(item.getByText('5.0 MB', { exact: true })).toBeVisible();
  await expect(item.locator('.status')).toHaveText('Uploaded');
  // Every chunk counts in what was sent, the last one too: sent 3 chunks, kept all, wasted nothing.
  await item.getByRole('button', { name: 'Details of engine-room.mp4' }).click();
  const counter = (term: string) => item.locator(`.counters [data-counter="${term}"] dd`);
  await expect(counter('Sent')).toHaveText('5.0 MB');
  await expect(counter('Kept')).toHaveText('5.0 MB');
  await expect(counter('Wasted')).toHaveText('0 B');

  const uploads = await server.uploads();
  expect(uploads).toHaveLength(1);
  expect(uploads[0]).toMatchObject({
    name: 'engine-room.mp4',
    type: 'video/mp4',
    size: file.length,
    sha256: sha256(file),
  });
});

test('several files at once, including an empty one, all arrive', async ({ page, server }) => {
  await openApp(page, server);
  const files = [
    { name: 'certificate.pdf', mimeType: 'application/pdf', buffer: makeFile(300_000, 1) },
    { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
    { name: 'pump.jpg', mimeType: 'image/jpeg', buffer: makeFile(1_234_567, 2) },
  ];
  await page.getByLabel('Add files').setInputFiles(files);
  for (const f of files) await expect(row(page, f.name).locator('.status')).toHaveText('Uploaded');
  const uploads = await server.uploads();
  for (const f of files) {
    expect(uploads.find((u) => u.name === f.name)).toMatchObject({
      size: f.buffer.length,
      sha256: sha256(f.buffer),
    });
  }
});

test('a photo from the camera button is queued and arrives like any other file', async ({ page, server }) => {
  await openApp(page, server);
  const camera = page.getByLabel('Take photo or video');
  await expect(camera).toHaveAttribute('capture', 'environment');
  const photo = makeFile(400_000, 12);
  await camera.setInputFiles({ name: 'IMG_0042.jpg', mimeType: 'image/jpeg', buffer: photo });
  await expect(row(page, 'IMG_0042.jpg').locator('.status')).toHaveText('Uploaded');
  const [upload] = await server.uploads();
  expect(upload).toMatchObject({ name: 'IMG_0042.jpg', type: 'image/jpeg', sha256: sha256(photo) });
});
