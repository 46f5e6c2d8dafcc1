import { startLinkEmulator } from '../support/linkEmulator.ts';
import { expect, makeFile, openApp, row, sha256, test, waitFor } from './fixtures.ts';
import { reopenApp } from './reopenApp.ts';

test('two tabs adding files share one runner: each file arrives once, never two PATCHes at a time', async ({
  context,
  page,
  server,
}) => {
  test.setTimeout(180_000);
  // 4 MB/s: a 3 MB file takes most of a second, so files are added while others upload.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 4_000_000 });
  try {
    await openApp(page, server, link.url);
    const other = await context.newPage();
    await reopenApp(other, link.url);
    const batch = (prefix: string, seed: number) =>
      Array.from({ length: 4 }, (_, i) => ({
        name: `${prefix}-${i + 1}.jpg`,
        mimeType: 'image/jpeg',
        buffer: makeFile(3_000_000 + i * 1000, seed + i),
      }));
    const firstA = batch('deck-a', 100);
    const firstB = batch('bridge-a', 200);
    const secondA = batch('deck-b', 300);
    const secondB = batch('bridge-b', 400);
    const files = [...firstA, ...firstB, ...secondA, ...secondB];

    // Both tabs add files at the same moment; each asks the worker to upload.
    await Promise.all([
      page.getByLabel('Add files').setInputFiles(firstA),
      other.getByLabel('Add files').setInputFiles(firstB),
    ]);
    // And again once uploading is under way.
    await waitFor(async () => link.requests.some((r) => r.method === 'PATCH'));
    await Promise.all([
      other.getByLabel('Add files').setInputFiles(secondB),
      page.getByLabel('Add files').setInputFiles(secondA),
    ]);

    for (const tab of [page, other]) {
      for (const f of files) {
        await expect(row(tab, f.name).locator('.status')).toHaveText('Uploaded', { timeout: 120_000 });
      }
    }
    const uploads = await server.uploads();
    expect(uploads).toHaveLength(files.length);
    for (const f of files) {
      expect(uploads.filter((u) => u.name === f.name)).toEqual([
        expect.objectContaining({ size: f.buffer.length, sha256: sha256(f.buffer) }),
      ]);
    }

    // One runner: never two PATCHes on one upload, nor two uploads at once; each upload created once.
    const patches = link.requests.filter((r) => r.method === 'PATCH');
    const creations = link.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/files'));
    expect(link.unparsedConnections).toBe(0);
    expect(link.peakPerPath('PATCH')).toBe(1);
    expect(link.peakOverall('PATCH')).toBe(1);
    expect(creations).toHaveLength(files.length);
    // The server's own count (0 also while the server does not expose it yet).
    expect(await server.metric('tender_concurrent_patch_total')).toBe(0);
    test.info().annotations.push({
      type: 'requests',
      description: `${creations.length} uploads created, ${patches.length} PATCHes, at most ${link.peakOverall('PATCH')} in flight`,
    });
  } finally {
    await link.close();
  }
});
