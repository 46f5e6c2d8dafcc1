import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLinkClient } from '../../bench/lib/linkClients.mjs';
import { linkProfiles, startLinkEmulator } from '../support/linkEmulator.ts';
import { linkFigures } from '../support/linkFigures.ts';
import { expect, makeFile, sha256, startServer, test } from './fixtures.ts';

const MiB = 1024 * 1024;

/*
 * A short run of the link benchmark (`npm run bench -- link`), through the same code: the app in its
 * own Chromium, its page loaded through the link emulator, one file through a GEO link whose open
 * connections are reset every few seconds. The full benchmark, with its baselines, is not part of the tests.
 */
test('the link benchmark runs the app through a GEO link with resets and reports sensible figures', async () => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'tender-link-smoke-'));
  try {
    const bytes = makeFile(MiB, 91);
    const path = join(dir, 'deck.mp4');
    writeFileSync(path, bytes);
    // 2 Mbit/s: the file takes about 4 s, so resets every 3 s cut it at least once.
    const profile = linkProfiles.geoResets({ everyMs: 3_000 });
    const result = await runLinkClient({
      client: 'tender',
      profile,
      file: { path, name: 'deck.mp4', size: bytes.length, sha256: sha256(bytes) },
      startServer: async (env) => {
        const server = await startServer(env);
        return {
          url: server.url,
          dataDir: server.dataDir,
          async enroll(name) {
            const device = await server.enroll(name);
            if (!device) throw new Error('the server enrols no devices');
            return device.token;
          },
          records: () => server.uploads(),
          stop: () => server.stop(),
        };
      },
      tools: { startLinkEmulator, linkFigures },
      timeLimitMs: 90_000,
    });
    test.info().annotations.push({
      type: 'link',
      description: `${result.wallSeconds} s, wire/file ${result.wireToFile}, link share ${result.linkShare}, longest idle ${result.longestIdleMs} ms, back→request ${result.medianRestoreToRequestMs} ms over ${result.restores.length}, probe+progress ${result.probeAndProgressToPayload}`,
    });
    expect(result.failure).toBeNull();
    expect(result.completed).toBe(true);
    expect(result.achievedBytes).toBe(bytes.length);
    // The page loaded through the link before the file was added.
    expect(result.pageLoad.upBytes).toBeGreaterThan(0);
    expect(result.restores.length).toBeGreaterThanOrEqual(1);
    // The file crossed the link once, and each cut costs something, but not several files' worth.
    expect(result.wireToFile).toBeGreaterThanOrEqual(1);
    expect(result.wireToFile).toBeLessThan(4);
    // The emulator's token bucket allows a short burst: a share a little over 1 is rounding, not magic.
    expect(result.linkShare).toBeGreaterThan(0.1);
    expect(result.linkShare).toBeLessThan(1.05);
    expect(result.wallSeconds).toBeGreaterThan(MiB / profile.uplinkBytesPerSec);
    expect(result.medianRestoreToRequestMs).not.toBeNull();
    expect(result.medianRestoreToRequestMs).toBeLessThan(10_000);
    expect(result.longestIdleMs).toBeLessThan(result.wallSeconds * 1000);
    expect(result.probeAndProgressToPayload).toBeGreaterThanOrEqual(0);
    expect(result.probeAndProgressToPayload).toBeLessThan(0.1);
    expect(result.requestCounts['PATCH /files']).toBeGreaterThanOrEqual(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
