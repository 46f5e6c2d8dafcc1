import { expect, type Page } from '@playwright/test';

/**
 * Opens the app at `url` on a device that is already enrolled (its credential is in the profile),
 * and waits until the service worker controls the page. Enrolling again would give the profile a
 * second identity, which is not what a crew member reopening the app does.
 */
export async function reopenApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
}
