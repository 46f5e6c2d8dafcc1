import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, openApp, startServer, test } from './fixtures.ts';

test('a new build deployed while the app is open offers "Update available", and Reload brings it in', async ({
  page,
}) => {
  // The server serves a copy of the build, so a new one can be deployed under it.
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-dist-'));
  fs.cpSync(path.resolve('dist'), dist, { recursive: true });
  const server = await startServer({ TENDER_STATIC_DIR: dist });
  try {
    await openApp(page, server);
    await expect(page.getByText('Update available')).toHaveCount(0);
    const first = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);

    // A new build: the worker script changes (its precompressed copies are now older, so unused).
    fs.appendFileSync(path.join(dist, 'sw.js'), '\n// next build\n');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());

    const banner = page.getByRole('status').filter({ hasText: 'Update available' });
    await expect(banner).toBeVisible({ timeout: 20_000 });
    // The old worker keeps the page until the crew says so.
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    const reloaded = page.waitForEvent('load');
    await banner.getByRole('button', { name: 'Reload' }).click();
    await reloaded;
    await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
    await expect(page.getByText('Update available')).toHaveCount(0);
    const now = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      const res = await fetch(reg?.active?.scriptURL ?? '', { cache: 'no-store' });
      return { waiting: reg?.waiting !== null, script: await res.text(), url: reg?.active?.scriptURL };
    });
    expect(now.url).toBe(first);
    expect(now.waiting).toBe(false);
    expect(now.script).toContain('// next build');
  } finally {
    await server.stop();
    fs.rmSync(dist, { recursive: true, force: true });
  }
});
