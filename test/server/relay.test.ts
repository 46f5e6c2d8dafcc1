import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LinkEmulator, startLinkEmulator } from '../support/linkEmulator.ts';
import { compiledServer } from './compiled.ts';
import { ADMIN, bytes, listRecords, sha256, startServer, type TestServer, until } from './helpers.ts';
import {
  ashoreAt,
  enrollAt,
  newBox as newBoxIn,
  startRelay as startRelayOn,
  uploadOnBoard,
} from './relayBox.ts';

const MiB = 1024 * 1024;

const compiled = compiledServer();
let shore: TestServer;
const roots: string[] = [];

beforeAll(async () => {
  shore = await startServer();
}, 120_000);
afterAll(async () => {
  shore.tender.server.closeAllConnections();
  await shore.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

const startRelay = (dataDir: string, shoreUrl: string, shipToken: string) =>
  startRelayOn(compiled, dataDir, shoreUrl, shipToken);
const newBox = () => newBoxIn(roots);

type RelayStatus = { state: string; reason: string | null; outbox: Record<string, number> };
async function relayStatus(base: string): Promise<RelayStatus> {
  const res = await fetch(`${base}/api/relay`, { headers: ADMIN });
  expect(res.status).toBe(200);
  return (await res.json()) as RelayStatus;
}

async function stages(base: string, crew: Record<string, string>, ids: string[]) {
  const res = await fetch(`${base}/api/ashore?ids=${ids.join(',')}`, { headers: crew });
  expect(res.status).toBe(200);
  return (await res.json()) as { relay: boolean; stages: Record<string, { stage: string }> };
}

const ashore = (digest: string) => ashoreAt(shore.url, digest);

describe('relay mode', () => {
  it('forwards a crew upload to shore byte for byte with its tags, and the crew device sees it go ashore', async () => {
    const ship = await shore.enroll('MY Serenity');
    const relay = await startRelay(newBox(), shore.url, ship.token);
    try {
      const crew = await enrollAt(relay.url, 'Deck tablet');
      const body = bytes(3 * MiB + 12_345, 7);
      const digest = sha256(body);
      const id = await uploadOnBoard(relay.url, crew, body, {
        filename: 'cert.pdf',
        filetype: 'application/pdf',
        sha256: digest,
        priority: '7',
        documentType: 'certificate',
        system: 'engine',
        folder: 'Engine/Certificates',
        queueId: 'crew-queue-1',
      });

      const record = await ashore(digest);
      expect(record).toMatchObject({ name: 'cert.pdf', size: body.length, deviceId: ship.deviceId });
      expect(record.metadata).toMatchObject({
        documentType: 'certificate',
        system: 'engine',
        folder: 'Engine/Certificates',
        priority: '7',
        crewDevice: 'Deck tablet',
        crewQueueId: 'crew-queue-1',
      });
      const content = await fetch(`${shore.url}/api/uploads/${String(record.id)}/content`, {
        headers: ADMIN,
      });
      expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(digest);

      const seen = await until(
        async () => (await stages(relay.url, crew, [id])).stages[id]?.stage,
        (stage) => stage === 'ashore',
        10_000,
      );
      expect(seen).toBe('ashore');
      expect((await relayStatus(relay.url)).outbox).toMatchObject({ ashore: 1, waiting: 0 });
      // Nothing forwarded leaves the box: the crew's file is still there.
      const onBoard = await fetch(`${relay.url}/api/uploads/${id}/content`, { headers: ADMIN });
      expect(sha256(Buffer.from(await onBoard.arrayBuffer()))).toBe(digest);
    } finally {
      await relay.stop();
    }
  });

  it('restarted mid-forward, resumes from shore’s offset without resending the bytes shore kept', async () => {
    const ship = await shore.enroll('MY Halcyon');
    // The satellite: 1 MiB/s up, so the relay is caught mid-file.
    const link: LinkEmulator = await startLinkEmulator(shore.url, { uplinkBytesPerSec: MiB, delayMs: 50 });
    const box = newBox();
    let relay = await startRelay(box, link.url, ship.token);
    try {
      const crew = await enrollAt(relay.url, 'Engineer phone');
      const body = bytes(10 * MiB, 11);
      const digest = sha256(body);
      await uploadOnBoard(relay.url, crew, body, {
        filename: 'engine.mp4',
        filetype: 'video/mp4',
        sha256: digest,
      });

      const unfinished = async () => {
        const res = await fetch(`${shore.url}/api/devices/${ship.deviceId}/unfinished`, { headers: ADMIN });
        return ((await res.json()) as { id: string; offset: number }[])[0];
      };
      await until(unfinished, (u) => (u?.offset ?? 0) >= 2 * MiB, 30_000);
      relay.child.kill('SIGKILL');
      await new Promise((resolve) => relay.child.once('exit', resolve));
      // The killed relay's connection is gone; shore hears of it when the link drops it, and
      // acknowledges what it received of the cut PATCH.
      link.reset();
      const uploadId = (await unfinished())?.id;
      const progress = await until(
        async () =>
          (await (
            await fetch(`${shore.url}/api/progress/${uploadId}`, { headers: ship.headers })
          ).json()) as {
            offset: number;
            idleMs?: number;
          },
        (p) => p.idleMs === undefined,
        10_000,
      );
      expect(progress.idleMs).toBeUndefined();
      const kept = progress.offset;
      const before = link.requests.length;

      relay = await startRelay(box, link.url, ship.token);
      await ashore(digest);
      const patches = link.requests.slice(before).filter((r) => r.method === 'PATCH');
      const resent = patches.reduce((sum, r) => sum + r.bodyBytes, 0);
      expect(kept).toBeGreaterThanOrEqual(2 * MiB);
      expect(resent).toBe(body.length - kept);
    } finally {
      await relay.stop();
      await link.close();
    }
  });

  it('stops forwarding with a clear reason when shore revokes the ship’s token, and keeps the file on board', async () => {
    const ship = await shore.enroll('MY Revoked');
    const revoked = await fetch(`${shore.url}/api/devices/${ship.deviceId}`, {
      method: 'DELETE',
      headers: ADMIN,
    });
    expect(revoked.status).toBe(204);
    const relay = await startRelay(newBox(), shore.url, ship.token);
    try {
      const crew = await enrollAt(relay.url, 'Bridge laptop');
      const body = bytes(256 * 1024, 3);
      const id = await uploadOnBoard(relay.url, crew, body, { filename: 'log.txt', sha256: sha256(body) });
      const status = await until(
        () => relayStatus(relay.url),
        (s) => s.state === 'stopped',
        20_000,
      );
      expect(status.reason).toMatch(/refused the ship’s token.*TENDER_FORWARD_TOKEN/);
      const health = (await (await fetch(`${relay.url}/healthz`)).json()) as { relay: { state: string } };
      expect(health.relay.state).toBe('stopped');
      expect((await stages(relay.url, crew, [id])).stages[id]?.stage).toBe('on-board');
      expect((await listRecords(shore.url)).some((r) => r.sha256 === sha256(body))).toBe(false);
    } finally {
      await relay.stop();
    }
  });
});
