import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from '@playwright/test';
import { blockSizeFor } from '../../src/shared/blockChecksums.ts';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  expect,
  makeFile,
  openApp,
  readQueue,
  row,
  sha256,
  test,
  waitFor,
} from './fixtures.ts';
import { reopenApp } from './reopenApp.ts';

/**
 * SIGKILLs every process of the Chromium using `profile`, process group by process group, the way
 * the OS ends a browser. A persistent context has no Browser object to ask for the pid, so the
 * processes are found by their `--user-data-dir` argument.
 */
function killChromium(profile: string): number {
  const lines = execFileSync('ps', ['-ww', '-eo', 'pid=,pgid=,args='], { encoding: 'utf8' }).split('\n');
  const mine = lines
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && (m[3] ?? '').includes(`--user-data-dir=${profile}`));
  const groups = new Set(mine.map((m) => Number(m[2])));
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {}
  }
  for (const m of mine) {
    try {
      process.kill(Number(m[1]), 'SIGKILL');
    } catch {}
  }
  return mine.length;
}

test('Chromium killed mid-upload resumes from the server offset after a relaunch, file stored once', async ({
  server,
}) => {
  test.setTimeout(240_000);
  const profile = mkdtempSync(join(tmpdir(), 'tender-profile-'));
  // 2 MB/s uplink: a 24 MiB file takes about 13 s, so the kill lands mid-file.
  const link = await startLinkEmulator(server.url, { uplinkBytesPerSec: 2_000_000 });
  const launch = () =>
    chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  let context: BrowserContext | null = null;
  try {
    context = await launch();
    const page = context.pages()[0] ?? (await context.newPage());
    await openApp(page, server, link.url);
    const file = makeFile(24 * 1024 * 1024, 42);
    await page
      .getByLabel('Add files')
      .setInputFiles({ name: 'passage.mp4', mimeType: 'video/mp4', buffer: file });

    // Kill once the server has confirmed 8 MiB: a restart from zero would then resend all of it.
    const confirmedAtKill = await waitFor(async () => {
      const stored = (await readQueue(page)).find((i) => i.name === 'passage.mp4');
      return stored && stored.bytesConfirmed >= 8 * 1024 * 1024 ? stored.bytesConfirmed : 0;
    }, 60_000);
    const closed = new Promise((resolve) => context?.once('close', resolve));
    expect(killChromium(profile)).toBeGreaterThan(0);
    await closed;
    context = null;
    // Let the server see the cut connection before reading what it got.
    await new Promise((r) => setTimeout(r, 1000));
    const receivedAtKill = await server.metric('tender_bytes_received_total');
    expect(receivedAtKill).toBeLessThan(file.length);
    expect(await server.uploads()).toHaveLength(0);

    context = await launch();
    const relaunched = context.pages()[0] ?? (await context.newPage());
    await reopenApp(relaunched, link.url);
    await expect(row(relaunched, 'passage.mp4').locator('.status')).toHaveText('Uploaded', {
      timeout: 120_000,
    });

    const uploads = await server.uploads();
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ name: 'passage.mp4', size: file.length, sha256: sha256(file) });
    // One upload on the server, continued rather than started again.
    const creations = link.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/files'));
    expect(creations).toHaveLength(1);
    const received = await server.metric('tender_bytes_received_total');
    expect(received).toBeGreaterThanOrEqual(file.length);
    // The cut chunk kept its whole blocks: at most one block crossed twice.
    expect(received).toBeLessThanOrEqual(file.length + blockSizeFor(file.length));
    test.info().annotations.push({
      type: 'bytes',
      description: `file ${file.length}; at kill: confirmed ${confirmedAtKill}, received by the server ${receivedAtKill}; in total received ${received} (${((received / file.length - 1) * 100).toFixed(2)}% extra)`,
    });
  } finally {
    await context?.close().catch(() => {});
    killChromium(profile);
    await link.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
