import { mkdirSync } from 'node:fs';
import { seedQueue, writeSeed } from '../support/queueSeed.ts';
import { expect, openApp, row, test } from './fixtures.ts';

const COUNT = 5000;

test('5,000 queued files render at once, only the rows near the screen are in the page, and the last one is reached', async ({
  context,
  page,
  server,
}) => {
  await openApp(page, server);
  const seed = seedQueue(COUNT, Date.now());
  const first = seed.names[0] as string;
  const last = seed.names[COUNT - 1] as string;
  // Offline, so that nothing changes under the test: the records stay as written.
  await context.setOffline(true);
  await writeSeed(page, seed);

  const started = Date.now();
  await page.reload();
  await expect(row(page, first)).toBeVisible();
  const firstRowMs = Date.now() - started;

  const list = page.getByRole('list', { name: 'Upload queue' });
  await expect(page.getByRole('button', { name: /^All \d+$/ })).toHaveText(`All ${COUNT}`);
  await expect(list.getByRole('listitem').first()).toHaveAttribute('aria-setsize', String(COUNT));
  const rendered = await list.getByRole('listitem').count();
  expect(rendered).toBeGreaterThan(0);
  expect(rendered).toBeLessThanOrEqual(60);
  await expect(row(page, last)).toHaveCount(0);

  const scrolled = Date.now();
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect(row(page, last)).toBeInViewport();
  const lastRowMs = Date.now() - scrolled;
  await expect(row(page, last)).toHaveAttribute('aria-posinset', String(COUNT));
  await expect(row(page, first)).toHaveCount(0);
  expect(await list.getByRole('listitem').count()).toBeLessThanOrEqual(60);

  mkdirSync('test-results/screens', { recursive: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await expect(row(page, last)).toBeInViewport();
  await page.screenshot({ path: 'test-results/screens/queue-5000-end-360x740.png' });

  // Mid-list, the phone turned to a wider screen (rows of another height): the row at the top of
  // the screen stays in sight instead of the same pixel offset landing far away.
  const middle = seed.names[2499] as string;
  await page.evaluate(() => {
    const list = document.querySelector<HTMLElement>('ul.queue');
    const rowHeight = list?.querySelector<HTMLElement>('li')?.offsetHeight ?? 0;
    if (list) window.scrollTo(0, list.getBoundingClientRect().top + window.scrollY + 2499 * rowHeight);
  });
  await expect(row(page, middle)).toBeInViewport();
  await page.setViewportSize({ width: 1024, height: 768 });
  await expect(row(page, middle)).toBeInViewport();

  // A filter narrows the 5,000 to the failed 500, still rendering only a screenful.
  await page.getByRole('button', { name: /^Failed \d+$/ }).click();
  await expect(page.getByRole('button', { name: /^Failed \d+$/ })).toHaveText(`Failed ${COUNT / 10}`);
  await expect(list.getByRole('listitem').first().locator('.status')).toHaveText('Failed');
  await expect(list.getByRole('listitem').first()).toHaveAttribute('aria-setsize', String(COUNT / 10));
  expect(await list.getByRole('listitem').count()).toBeLessThanOrEqual(60);

  const times = `first row ${firstRowMs} ms after reload; last row ${lastRowMs} ms after jumping to the end; ${rendered} rows in the page`;
  test.info().annotations.push({ type: 'time', description: times });
  console.log(`5,000-item queue: ${times}`);
});
