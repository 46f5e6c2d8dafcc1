import type { Page } from '@playwright/test';
import { expect, openApp, openSettings, test } from './fixtures.ts';
import { reopenApp } from './reopenApp.ts';

/** A record of the `settings` store, read from the page; undefined when there is none. */
function readSetting(page: Page, key: string) {
  return page.evaluate(
    (key) =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('tender');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const req = db.transaction('settings').objectStore('settings').get(key);
          req.onsuccess = () => {
            db.close();
            resolve(req.result);
          };
          req.onerror = () => reject(req.error);
        };
      }),
    key,
  );
}

/** Stores today's spend record as the worker would have after sending `bytes` (today in the device's zone). */
function seedSpendToday(page: Page, bytes: number) {
  return page.evaluate(
    (bytes) =>
      new Promise<void>((resolve, reject) => {
        const day = new Date().toLocaleDateString('en-CA'); // YYYY-MM-DD, local
        const open = indexedDB.open('tender');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('settings', 'readwrite');
          tx.objectStore('settings').put(
            { day, payload: bytes, retry: 0, probe: 0, progress: 0, control: 0 },
            `spend:${day}`,
          );
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    bytes,
  );
}

test('link settings are checked, saved, kept over a reload and taken up by the worker', async ({
  page,
  server,
}) => {
  await openApp(page, server);
  await openSettings(page);
  const daily = page.getByLabel('Daily budget', { exact: true });
  const save = page.getByRole('button', { name: 'Save link settings' });
  await expect(page.getByText('Sent on the link today: 0 B · this month: 0 B')).toBeVisible();

  // A mistake is explained next to its field, and nothing is saved.
  await daily.fill('lots');
  await page.getByLabel('Bandwidth cap (kbit/s)').fill('5');
  await save.click();
  await expect(
    page.getByText('Daily budget must be a number, or left empty for no daily budget.'),
  ).toBeVisible();
  await expect(
    page.getByText('Bandwidth cap must be at least 32 kbit/s, or left empty for no cap.'),
  ).toBeVisible();
  await expect(daily).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert')).toHaveText('Not saved: correct the fields marked above.');
  expect(await readSetting(page, 'link-settings')).toBeUndefined();

  // The worker will report what was spent today once it reads the settings again.
  await seedSpendToday(page, 1.5e9);
  await daily.fill('500');
  await page.getByLabel('Daily budget unit').selectOption('MB');
  await page.getByLabel('Monthly budget', { exact: true }).fill('12');
  await page.getByLabel('Monthly budget unit').selectOption('GB');
  await page.getByLabel('Price per GB').fill('12,50');
  await page.getByLabel('Currency').fill('eur');
  await page.getByLabel('Bandwidth cap (kbit/s)').fill('');
  await page.getByLabel('This link is metered').check();
  await save.click();

  // The worker answers with the settings it read, and with the spend it counts.
  await expect(page.getByText('Saved. The uploader is using these settings.')).toBeVisible();
  await expect(page.getByText('Sent on the link today: 1.5 GB (€18.75)')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(await readSetting(page, 'link-settings')).toMatchObject({
    dailyBudgetBytes: 500e6,
    monthlyBudgetBytes: 12e9,
    pricePerGB: 12.5,
    currency: 'EUR',
    capKbps: null,
    metered: true,
    allowCriticalOverBudget: false,
  });

  // Reopened, the form shows what was saved.
  await reopenApp(page, server.url);
  await openSettings(page);
  await expect(page.getByLabel('Daily budget', { exact: true })).toHaveValue('500');
  await expect(page.getByLabel('Daily budget unit')).toHaveValue('MB');
  await expect(page.getByLabel('Monthly budget', { exact: true })).toHaveValue('12');
  await expect(page.getByLabel('Monthly budget unit')).toHaveValue('GB');
  await expect(page.getByLabel('Price per GB')).toHaveValue('12.5');
  await expect(page.getByLabel('Currency')).toHaveValue('EUR');
  await expect(page.getByLabel('This link is metered')).toBeChecked();
  await expect(page.getByLabel('Let priority 9–10 files go over budget')).not.toBeChecked();
  await expect(page.getByText('Sent on the link today: 1.5 GB (€18.75)')).toBeVisible();
});
