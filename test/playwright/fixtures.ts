import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  test as base,
  chromium,
  expect,
  type Page,
} from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../../bench/lib/chromium.mjs';
import type { UploadRecord } from '../../server/records.ts';
import { metricValue } from '../support/metrics.ts';

export { CHROMIUM, CHROMIUM_ARGS } from '../../bench/lib/chromium.mjs';

/** A running Tender server with its own empty data directory. */
export interface TenderServer {
  url: string;
  dataDir: string;
  adminToken: string;
  /** Headers that authenticate as the operator. */
  adminHeaders: Record<string, string>;
  /** Makes the next `count` matching tus requests fail with `status` (server started with TENDER_TEST_FAULTS=1). */
  fault(fault: {
    method?: string;
    status: number;
    count: number;
    headers?: Record<string, string>;
  }): Promise<void>;
  /** Enrols a device; null while the server has no device enrolment. */
  enroll(name?: string): Promise<{ deviceId: string; token: string; enrollUrl: string } | null>;
  /** Completed uploads as the admin API lists them. */
  uploads(): Promise<UploadRecord[]>;
  /** A Prometheus counter or gauge value from /metrics; throws when it is not there. */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts the built server (`build/server/main.js`) on a free port. */
export async function startServer(env: Record<string, string> = {}): Promise<TenderServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tender-e2e-'));
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const adminHeaders = { Authorization: `Bearer ${adminToken}` };
  const entry = process.env.TENDER_SERVER_ENTRY ?? 'build/server/main.js';
  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TENDER_DATA_DIR: dataDir,
      TENDER_ADMIN_TOKEN: adminToken,
      TENDER_TEST_FAULTS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    adminToken,
    adminHeaders,
    async fault(fault) {
      const res = await fetch(`${url}/__test/faults`, {
        method: 'POST',
        headers: { ...adminHeaders, 'Content-Type': 'application/json' },
        body: JSON.stringify(fault),
      });
      if (!res.ok) throw new Error(`fault not set: ${res.status} ${await res.text()}`);
    },
    async enroll(name = 'Test tablet') {
      const res = await fetch(`${url}/api/devices`, {
        method: 'POST',
        headers: { ...adminHeaders, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (res.status === 404 || res.status === 405) return null;
      if (!res.ok) throw new Error(`enrol failed: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async uploads() {
      const res = await fetch(`${url}/api/uploads?limit=1000`, { headers: adminHeaders });
      return res.json();
    },
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`, { headers: adminHeaders })).text();
      return metricValue(text, name);
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { makeFile, sha256 } from '../support/content.ts';

/**
 * Opens the app as an enrolled device (through `baseUrl`, e.g. a link emulator, when given) and waits
 * until its service worker controls the page.
 */
export async function openApp(page: Page, server: TenderServer, baseUrl: string = server.url) {
  const device = await server.enroll();
  await page.goto(device ? `${baseUrl}/enroll#token=${device.token}` : baseUrl);
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  return device;
}

/** Opens the Settings screen from the uploads screen's header, as a crew member would. */
export async function openSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Link and data budget' })).toBeVisible();
}

/** Leaves Settings for the uploads screen. */
export async function backToUploads(page: Page) {
  await page.getByRole('button', { name: 'Back to uploads' }).click();
  await expect(page.getByRole('heading', { name: 'Upload queue' })).toBeVisible();
}

/** The row of a queued file in the Upload queue list. */
export const row = (page: Page, name: string) =>
  page.getByRole('list', { name: 'Upload queue' }).getByRole('listitem', { name });

/** Queue items as stored in IndexedDB, read from the page (no Blobs). */
export function readQueue(page: Page) {
  return page.evaluate(
    () =>
      new Promise<{ id: string; name: string; status: string; bytesConfirmed: number }[]>(
        (resolve, reject) => {
          const open = indexedDB.open('tender');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const req = db.transaction('items').objectStore('items').getAll();
            req.onsuccess = () => {
              db.close();
              resolve(
                req.result.map(({ id, name, status, bytesConfirmed }) => ({
                  id,
                  name,
                  status,
                  bytesConfirmed,
                })),
              );
            };
            req.onerror = () => reject(req.error);
          };
        },
      ),
  );
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Fixtures = { server: TenderServer; context: BrowserContext; page: Page };

/** Playwright's test with a fresh Tender server per test and Debian's Chromium. */
export const test = base.extend<Fixtures, { sharedBrowser: Browser }>({
  sharedBrowser: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
    async ({}, use) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
  server: async ({}, use) => {
    const server = await startServer();
    await use(server);
    await server.stop();
  },
  context: async ({ sharedBrowser }, use) => {
    const context = await sharedBrowser.newContext();
    await use(context);
    await context.close();
  },
  page: async ({ context }, use) => {
    await use(await context.newPage());
  },
});

export { expect };
