import { expect, makeFile, openApp, row, test, waitFor } from './fixtures.ts';

test('tags are remembered for the next batch and can be changed while a file waits', async ({
  context,
  page,
  server,
}) => {
  await openApp(page, server);
  await page.getByLabel('Document type').selectOption('Certificate');
  await page.getByLabel('Ship system').fill('Main engine');
  await page.getByLabel('Folder').fill('Engine room/Pumps');
  await context.setOffline(true);
  await page
    .getByLabel('Add files')
    .setInputFiles({ name: 'cert.pdf', mimeType: 'application/pdf', buffer: makeFile(20_000, 5) });
  const item = row(page, 'cert.pdf');
  await expect(item.locator('.status')).toHaveText('Waiting');

  // The next batch starts with the same tags, after a reload too.
  await page.reload();
  await expect(page.getByLabel('Ship system')).toHaveValue('Main engine');
  await expect(page.getByLabel('Document type')).toHaveValue('Certificate');

  // Wrong system: corrected before it goes (from the row's details).
  await item.getByRole('button', { name: 'Details of cert.pdf' }).click();
  await item.getByRole('button', { name: 'Edit tags' }).click();
  const form = page.getByRole('form', { name: 'Tags of cert.pdf' });
  await form.getByLabel('Ship system').fill('Generator 2');
  await form.getByRole('button', { name: 'Save tags' }).click();
  await expect(form).toHaveCount(0);

  await context.setOffline(false);
  await expect(item.locator('.status')).toHaveText('Uploaded', { timeout: 30_000 });
  const record = await waitFor(async () => {
    const res = await fetch(`${server.url}/api/uploads`, { headers: server.adminHeaders });
    const list = (await res.json()) as { name: string; metadata: Record<string, string> }[];
    return list.find((u) => u.name === 'cert.pdf');
  });
  expect(record.metadata).toMatchObject({
    documentType: 'Certificate',
    systemTag: 'Generator 2',
    directories: 'Engine room/Pumps',
  });
  // Once it has gone, its tags can no longer be edited here (its details are still open).
  await expect(item.locator('.counters')).toBeVisible();
  await expect(item.getByRole('button', { name: 'Edit tags' })).toHaveCount(0);
});
