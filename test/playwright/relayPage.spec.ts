import fs from 'node:fs';
import path from 'node:path';
import { axeViolations } from './axe.ts';
import { expect, makeFile, sha256, startServer, test } from './fixtures.ts';

// The relay operator's page on a real relay forwarding to a real shore: what it shows, its
// controls, its settings form, axe-core clean and screenshots at a phone's and a laptop's size.

const SHOTS = path.resolve('test-results/screens');
const SIZES = [
  { width: 360, height: 740 },
  { width: 1024, height: 768 },
];

/** Uploads `body` to the relay as a crew device's app would (tus, one PATCH); returns its id. */
async function crewUpload(base: string, token: string, body: Buffer, metadata: Record<string, string>) {
  const auth = { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${token}` };
  const encoded = Object.entries(metadata)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
  const created = await fetch(`${base}/files/`, {
    method: 'POST',
    headers: { ...auth, 'Upload-Length': String(body.length), 'Upload-Metadata': encoded },
  });
  expect(created.status).toBe(201);
  const url = new URL(created.headers.get('location') ?? '', base).href;
  const patched = await fetch(url, {
    method: 'PATCH',
    headers: { ...auth, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
    body: new Uint8Array(body),
  });
  expect(patched.status).toBe(204);
  return url.split('/').pop() ?? '';
}

/** Controls smaller than 44 px either way (gloves, a rolling ship), by their name. */
function smallTargets(page: import('@playwright/test').Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, select, summary, input:not([type="checkbox"])')]
      .filter((el) => el.getClientRects().length > 0)
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.height < 44 || box.width < 44;
      })
      .map((el) => el.getAttribute('aria-label') || el.textContent?.trim() || el.id),
  );
}

test('the relay page shows forwarding, spend and the outbox, steers a file and refuses bad settings', async ({
  page,
  server: shore,
}) => {
  const ship = await shore.enroll('MY Operator');
  if (!ship) throw new Error('shore has no enrolment');
  const relay = await startServer({ TENDER_FORWARD_TO: shore.url, TENDER_FORWARD_TOKEN: ship.token });
  try {
    const crew = await relay.enroll('Bridge tablet');
    if (!crew) throw new Error('the relay has no enrolment');
    const admin = { ...relay.adminHeaders, 'Content-Type': 'application/json' };
    const settings = (body: unknown) =>
      fetch(`${relay.url}/api/relay/settings`, { method: 'PUT', headers: admin, body: JSON.stringify(body) });
    expect((await settings({ pricePerGB: 100, currency: 'EUR', timeZone: 'UTC' })).status).toBe(200);

    const sent = makeFile(300_000, 41);
    await crewUpload(relay.url, crew.token, sent, {
      filename: 'survey.pdf',
      sha256: sha256(sent),
      folder: 'Hull',
    });
    await expect.poll(async () => (await shore.uploads()).some((u) => u.sha256 === sha256(sent))).toBe(true);
    // A daily budget already spent: the next file is held on board.
    expect((await settings({ dailyBudgetBytes: 100_000, monthlyBudgetBytes: 50_000_000 })).status).toBe(200);
    const held = makeFile(120_000, 42);
    await crewUpload(relay.url, crew.token, held, {
      filename: 'crew-list.pdf',
      sha256: sha256(held),
      priority: '6',
    });

    // The crew app opened first on this origin: its worker controls the page, and must leave /relay alone.
    await page.goto(relay.url);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await page.goto(`${relay.url}/relay`);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Show the relay' }).click();
    await expect(page.getByRole('alert')).toHaveText(/token was refused/);
    await page.getByLabel('Admin token').fill(relay.adminToken);
    await page.getByRole('button', { name: 'Show the relay' }).click();
    // The token stays in this tab's session storage, never in the address.
    expect(page.url()).toBe(`${relay.url}/relay`);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([relay.adminToken]);

    await expect(page.locator('#shore')).toHaveText(shore.url);
    await expect(page.locator('#state')).toHaveText(/Waiting|Everything is ashore|Forwarding to shore/);
    await expect(page.locator('#today')).toHaveText(/^Today: 3\d\d kB of 100 kB \(3\d\d%\), €0\.03$/);
    await expect(page.locator('#month')).toHaveText(/^This month: .* of 50 MB/);
    const outbox = page.getByRole('list').filter({ has: page.getByText('survey.pdf') });
    const heldRow = outbox.getByRole('listitem').filter({ hasText: 'crew-list.pdf' });
    await expect(heldRow).toContainText('Today’s data budget is used up: held on board');
    await expect(heldRow).toContainText('priority 6');
    await expect(outbox.getByRole('listitem').filter({ hasText: 'survey.pdf' })).toContainText(
      'Ashore · 300 kB of 300 kB ashore · priority 5 · folder: Hull',
    );
    await expect(page.locator('#chart-summary')).toHaveText(/^Last 6 hours: shore answered \d+%/);

    fs.mkdirSync(SHOTS, { recursive: true });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const at = `relay page at ${size.width}×${size.height}`;
      expect(await axeViolations(page), at).toEqual([]);
      expect(await smallTargets(page), at).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), at).toBeLessThanOrEqual(
        size.width,
      );
      await page.screenshot({
        path: path.join(SHOTS, `relay-${size.width}x${size.height}.png`),
        fullPage: true,
      });
    }

    await heldRow.getByRole('button', { name: 'Pause crew-list.pdf' }).click();
    await expect(heldRow).toContainText('Paused by the operator');
    await heldRow.getByLabel('Priority of crew-list.pdf').selectOption('9');
    await expect(heldRow).toContainText('priority 9');
    await heldRow.getByRole('button', { name: 'Resume crew-list.pdf' }).click();
    await expect(heldRow).toContainText('Today’s data budget is used up');

    await page.getByLabel('Bandwidth cap (kbit/s)').fill('5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.locator('#capKbps-error')).toHaveText(/at least 32 kbit\/s/);
    await expect(page.getByLabel('Bandwidth cap (kbit/s)')).toHaveAttribute('aria-invalid', 'true');
    expect(await axeViolations(page)).toEqual([]);
    // Lifting the daily budget from the form sends the held file ashore.
    await page.getByLabel('Bandwidth cap (kbit/s)').fill('');
    await page.getByLabel('Daily budget (MB)').fill('');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.locator('#settings-message')).toHaveText('Saved: in force now.');
    await expect.poll(async () => (await shore.uploads()).some((u) => u.sha256 === sha256(held))).toBe(true);
    await expect(heldRow).toContainText('Ashore · 120 kB of 120 kB ashore · priority 9');
  } finally {
    await relay.stop();
  }
});
