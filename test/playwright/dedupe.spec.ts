import { expect, makeFile, openApp, row, sha256, test } from './fixtures.ts';

test('a file the server already holds is recorded for a second device without sending its bytes', async ({
  sharedBrowser,
  server,
}) => {
  const file = makeFile(3 * 1024 * 1024, 99);
  const deck = await sharedBrowser.newContext();
  const bridge = await sharedBrowser.newContext();
  try {
    const deckPage = await deck.newPage();
    await openApp(deckPage, server);
    await deckPage
      .getByLabel('Add files')
      .setInputFiles({ name: 'class-cert.pdf', mimeType: 'application/pdf', buffer: file });
    await expect(row(deckPage, 'class-cert.pdf').locator('.status')).toHaveText('Uploaded');
    const receivedBefore = await server.metric('tender_bytes_received_total');

    const bridgePage = await bridge.newPage();
    await openApp(bridgePage, server);
    await bridgePage
      .getByLabel('Add files')
      .setInputFiles({ name: 'certificate (copy).pdf', mimeType: 'application/pdf', buffer: file });
    await expect(row(bridgePage, 'certificate (copy).pdf').locator('.status')).toHaveText('Uploaded');

    expect(await server.metric('tender_bytes_received_total')).toBe(receivedBefore);
    const uploads = await server.uploads();
    expect(uploads).toHaveLength(2);
    const original = uploads.find((u) => u.name === 'class-cert.pdf');
    const copy = uploads.find((u) => u.name === 'certificate (copy).pdf');
    expect(copy).toMatchObject({ sha256: sha256(file), size: file.length, duplicateOf: original?.id });
  } finally {
    await deck.close();
    await bridge.close();
  }
});
