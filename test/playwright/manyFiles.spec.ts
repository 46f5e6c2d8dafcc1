import { expect, makeFile, openApp, sha256, type TenderServer, test } from './fixtures.ts';

/** Every completed upload: the admin API answers in pages (100 by default). */
async function allUploads(server: TenderServer): Promise<Awaited<ReturnType<TenderServer['uploads']>>> {
  const res = await fetch(`${server.url}/api/uploads?limit=1000`, { headers: server.adminHeaders });
  if (!res.ok) throw new Error(`GET /api/uploads: ${res.status}`);
  return res.json();
}

test('200 small files added at once all arrive, each once and intact', async ({ page, server }) => {
  test.setTimeout(300_000);
  await openApp(page, server);
  // Sizes spread over 1–50 KB; a seed per file makes every content distinct.
  const files = Array.from({ length: 200 }, (_, i) => ({
    name: `log-${String(i + 1).padStart(3, '0')}.txt`,
    mimeType: 'text/plain',
    buffer: makeFile(1024 + ((i * 7919) % (49 * 1024)), 1000 + i),
  }));
  const started = Date.now();
  await page.getByLabel('Add files').setInputFiles(files);

  // The list renders only the rows near the screen; the filters count every file.
  await expect(page.getByRole('button', { name: /^All \d+$/ })).toHaveText('All 200');
  await expect(page.getByRole('button', { name: /^Uploaded \d+$/ })).toHaveText('Uploaded 200', {
    timeout: 240_000,
  });
  const seconds = (Date.now() - started) / 1000;

  const uploads = await allUploads(server);
  expect(uploads).toHaveLength(200);
  const byName = new Map(uploads.map((u) => [u.name, u]));
  expect(byName.size).toBe(200);
  expect(new Set(uploads.map((u) => u.sha256)).size).toBe(200);
  for (const f of files) {
    expect(byName.get(f.name)).toMatchObject({ size: f.buffer.length, sha256: sha256(f.buffer) });
  }
  test
    .info()
    .annotations.push({ type: 'time', description: `200 files uploaded in ${seconds.toFixed(1)} s` });
});
