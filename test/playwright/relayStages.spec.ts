import { startLinkEmulator } from '../support/linkEmulator.ts';
import {
  expect,
  makeFile,
  openApp,
  row,
  sha256,
  startServer,
  type TenderServer,
  test,
  waitFor,
} from './fixtures.ts';
import { checkScreen } from './screenChecks.ts';

// A yacht's on-board box in relay mode: the crew's phone uploads to it over the ship's Wi-Fi, and
// it forwards each file to shore over the satellite. The app says which of the two a file has reached.

/**
 * The box of the ship `name`, enrolled on `shore`, in relay mode behind a satellite link that is
 * down from the start: the box takes files but cannot send them on until `satellite.up()`.
 */
async function startBoxOffline(shore: TenderServer, name: string) {
  const ship = await shore.enroll(name);
  if (!ship) throw new Error('shore enrols no devices');
  const satellite = await startLinkEmulator(shore.url);
  satellite.down();
  const relay = await startServer({ TENDER_FORWARD_TO: satellite.url, TENDER_FORWARD_TOKEN: ship.token });
  return { satellite, relay };
}

test('on a relay, a file reads On board until shore holds it, then Ashore', async ({ page, server }) => {
  const shore = server;
  const { satellite, relay } = await startBoxOffline(shore, 'MY Serenity');
  try {
    await openApp(page, relay);
    await page.setViewportSize({ width: 360, height: 740 });
    const body = makeFile(300_000, 51);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'watermaker.pdf', mimeType: 'application/pdf', buffer: body });
    const file = row(page, 'watermaker.pdf');

    // On the box, every byte confirmed, but not ashore: the relay's reason is shown with it.
    await expect(file.locator('.status')).toHaveText('On board', { timeout: 45_000 });
    await expect(file.locator('.detail')).toContainText(/^waiting to go ashore/);
    await expect(file.locator('.bytes')).toHaveText(/^(\S+ \S+) of \1$/);
    expect((await relay.uploads()).map((u) => u.sha256)).toEqual([sha256(body)]);
    expect(await shore.uploads()).toEqual([]);
    // Counted as uploaded: the Uploaded filter lists it, and nothing is left to send from the phone.
    await expect(page.getByText('Nothing left to send.')).toBeVisible();
    await page.getByRole('button', { name: 'Uploaded 1' }).click();
    await expect(file).toBeVisible();
    await page.getByRole('button', { name: 'Waiting 0' }).click();
    await expect(file).toHaveCount(0);
    await page.getByRole('button', { name: 'All 1' }).click();
    await checkScreen(page, 'relay-on-board');

    satellite.up();
    // The open page asks the box every 30 s while a file is on board.
    await expect(file.locator('.status')).toHaveText('Ashore', { timeout: 75_000 });
    await expect(file.locator('.detail')).not.toContainText('waiting to go ashore');
    const ashore = await shore.uploads();
    expect(ashore.map((u) => ({ name: u.name, size: u.size, sha256: u.sha256 }))).toEqual([
      { name: 'watermaker.pdf', size: body.length, sha256: sha256(body) },
    ]);
    await checkScreen(page, 'relay-ashore');
  } finally {
    await relay.stop();
    await satellite.close();
  }
});

test('with the app closed, the worker’s next start finds the file ashore and says so', async ({
  context,
  page,
  server: shore,
}) => {
  // Granting replaces the origin's permissions as a whole: Background Sync is named so it stays on.
  await context.grantPermissions(['notifications', 'background-sync']);
  const { satellite, relay } = await startBoxOffline(shore, 'MY Halcyon');
  try {
    await openApp(page, relay);
    const body = makeFile(120_000, 52);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'liferaft-cert.pdf', mimeType: 'application/pdf', buffer: body });
    await expect(row(page, 'liferaft-cert.pdf').locator('.status')).toHaveText('On board', {
      timeout: 45_000,
    });
    await page.close();

    satellite.up();
    await waitFor(async () => (await shore.uploads()).some((u) => u.sha256 === sha256(body)), 60_000);
    // No page of the app is open. The worker is stopped, as Chromium stops an idle one, and started
    // again by a sync event, as the browser would fire one.
    const blank = await context.newPage();
    const cdp = await context.newCDPSession(blank);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations));
    await cdp.send('ServiceWorker.enable');
    const scope = `${relay.url}/`;
    const registration = await waitFor(async () => registrations.find((r) => r.scopeURL === scope));
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.send('ServiceWorker.dispatchSyncEvent', {
      origin: relay.url,
      registrationId: registration.registrationId,
      tag: 'tender-drain',
      lastChance: false,
    });

    // Read inside the worker: a page of the app in sight would be told instead of a notification.
    const notes = await waitFor(async () => {
      const worker = context.serviceWorkers().find((w) => w.url().startsWith(relay.url));
      const list = await worker
        ?.evaluate(async () =>
          (await (self as unknown as ServiceWorkerGlobalScope).registration.getNotifications()).map((n) => ({
            title: n.title,
            body: n.body,
          })),
        )
        .catch(() => null);
      return list?.length ? list : null;
    });
    expect(notes).toEqual([{ title: 'Files ashore', body: 'liferaft-cert.pdf has reached shore.' }]);
    const again = await context.newPage();
    await again.goto(relay.url);
    await expect(row(again, 'liferaft-cert.pdf').locator('.status')).toHaveText('Ashore');
  } finally {
    await relay.stop();
    await satellite.close();
  }
});
