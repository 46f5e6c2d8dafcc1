import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS, expect, type TenderServer, test } from './fixtures.ts';

// Someone who has never seen Tender opens it on a phone, learns from the screen that it must be
// signed in and how, signs in with the link the operator made, adds a photo with tags and watches
// it reach shore. Every step goes through what the screen shows (roles, labels, text), in an
// installable app (a persistent profile), with the real worker and server. Screenshots at 360×740.

const SHOTS = path.resolve('test-results/screens');
const PHONE = { width: 360, height: 740 };

/** The operator's way to enrol a device (README): the CLI, on the server's data directory. */
async function operatorEnrols(server: TenderServer, name: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['build/server/cli.js', 'enroll', '--name', name, '--json'],
    { env: { ...process.env, TENDER_DATA_DIR: server.dataDir, TENDER_PUBLIC_URL: server.url } },
  );
  return (JSON.parse(stdout) as { enrollUrl: string }).enrollUrl;
}

/** A real JPEG photo, drawn by the browser (so the queue can show its thumbnail). */
async function takePhoto(page: Page): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(800, 600);
    const g = canvas.getContext('2d');
    if (!g) throw new Error('no 2d context');
    const sky = g.createLinearGradient(0, 0, 0, 600);
    sky.addColorStop(0, '#6fa8dc');
    sky.addColorStop(1, '#0b3954');
    g.fillStyle = sky;
    g.fillRect(0, 0, 800, 600);
    g.fillStyle = '#f4f7f9';
    g.fillRect(200, 380, 400, 60);
    for (let i = 0; i < 4000; i++) {
      g.fillStyle = `hsl(${(i * 37) % 360} 40% ${30 + (i % 50)}%)`;
      g.fillRect((i * 97) % 800, 450 + ((i * 13) % 150), 3, 3);
    }
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('a first-time user signs the phone in, adds a tagged photo and sees it reach shore', async ({
  server,
}) => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const shot = (page: Page, step: string) =>
    page.screenshot({ path: join(SHOTS, `first-run-${step}-360x740.png`), fullPage: true });
  const profile = mkdtempSync(join(tmpdir(), 'tender-first-run-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: PHONE,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());

    // 1. First opening: the screen says the phone is not signed in, and what to do about it.
    await page.goto(server.url);
    const signIn = page.getByRole('region', { name: 'Sign-in' });
    await expect(signIn.getByRole('alert')).toHaveText(
      /This device is not signed in yet\..*open the enrolment link or QR code the operator gives you, or paste it below/,
    );
    await expect(signIn.getByLabel('Enrolment link or code')).toBeVisible();
    await expect(signIn.getByRole('button', { name: 'Sign in' })).toBeDisabled();
    await shot(page, '1-not-signed-in');
    // An installable app: what the crew will add to the home screen.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
    const cdp = await context.newCDPSession(page);
    expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);

    // 2. The operator enrols the phone and hands over the link; the crew member pastes it.
    const link = await operatorEnrols(server, 'Deck phone');
    await signIn.getByLabel('Enrolment link or code').fill(link);
    await shot(page, '2-link-pasted');
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('Deck phone', { exact: true })).toBeVisible();
    await expect(signIn).toHaveCount(0);
    await expect(page.getByRole('alert')).toHaveCount(0);
    await shot(page, '3-signed-in');

    // Settings confirms it in words.
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await expect(page.getByText('Signed in as Deck phone.')).toBeVisible();
    await page.getByRole('button', { name: 'Back to uploads' }).click();

    // 3. A photo with its tags, through Add files.
    const photo = await takePhoto(page);
    await page.getByLabel('Document type').selectOption('Photo');
    await page.getByLabel('Ship system').fill('Tender davit');
    await page.getByLabel('Folder').fill('Deck/Davits');
    await shot(page, '4-tags-chosen');
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'davit.jpg', mimeType: 'image/jpeg', buffer: photo });
    const queue = page.getByRole('list', { name: 'Upload queue' });
    const item = queue.getByRole('listitem', { name: 'davit.jpg' });
    await expect(item).toBeVisible();
    await shot(page, '5-queued');

    // 4. Through the Upload queue to Uploaded.
    await expect(item.getByText('Uploaded', { exact: true })).toBeVisible({ timeout: 60_000 });
    await expect(item.getByText('Removed from this device: the server holds it')).toBeVisible();
    await expect(page.getByText('Nothing left to send.')).toBeVisible();
    await shot(page, '6-uploaded');

    // Ashore: the same bytes, with the tags, in the server's records.
    const [record] = (await server.uploads()) as unknown as {
      id: string;
      name: string;
      sha256: string;
      metadata: Record<string, string>;
    }[];
    expect(record).toMatchObject({
      name: 'davit.jpg',
      sha256: sha256(photo),
      metadata: { documentType: 'Photo', systemTag: 'Tender davit', directories: 'Deck/Davits' },
    });
    const content = await fetch(`${server.url}/api/uploads/${record?.id}/content`, {
      headers: server.adminHeaders,
    });
    expect(content.status).toBe(200);
    expect(sha256(new Uint8Array(await content.arrayBuffer()))).toBe(sha256(photo));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
