import { expect, makeFile, openApp, row, test } from './fixtures.ts';

test('the link panel shows the link, the data used and a chart of the last hours after an upload', async ({
  page,
  server,
}) => {
  await openApp(page, server);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'survey.pdf', mimeType: 'application/pdf', buffer: makeFile(3_000_000, 21) });
  await expect(row(page, 'survey.pdf').locator('.status')).toHaveText('Uploaded');

  const panel = page.getByRole('region', { name: 'Link to shore' });
  await expect(panel).toContainText('Shore answers');
  // The figures and the chart are behind a tap on the link's summary line.
  await panel.getByText(/^Link: Shore answers · quality \d+%$/).click();
  await expect(panel.locator('figcaption')).toHaveText(
    /^Last 6 hours: shore answered \d+% of the measured time, best [\d.]+ [kMG]?bit\/s while sending\.$/,
  );
  await expect(panel.locator('svg.link-chart rect.rate').first()).toBeVisible();
  // What was sent today counts the file's 3 MB, headers and checks on top.
  const used = await panel.getByText(/^today /).textContent();
  const match = /^today ([\d.]+) (KB|MB|GB)/.exec(used ?? '');
  expect(match, `data used reads "${used}"`).not.toBeNull();
  const bytes = Number(match?.[1]) * { KB: 1e3, MB: 1e6, GB: 1e9 }[match?.[2] as 'KB' | 'MB' | 'GB'];
  expect(bytes).toBeGreaterThanOrEqual(3_000_000);
  expect(bytes).toBeLessThan(3_300_000);
});
