import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLinkEmulator } from '../support/linkEmulator.ts';
import { compiledServer } from './compiled.ts';
import { ADMIN, bytes, listRecords, sha256, sleep, startServer, type TestServer, until } from './helpers.ts';
import { ashoreAt, enrollAt, newBox, startRelay, uploadOnBoard } from './relayBox.ts';

const compiled = compiledServer();
let shore: TestServer;
const roots: string[] = [];

beforeAll(async () => {
  shore = await startServer({ TENDER_TEST_FAULTS: '1' });
}, 120_000);
afterAll(async () => {
  shore.tender.server.closeAllConnections();
  await shore.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

type OutboxRow = {
  id: string;
  name: string;
  size: number;
  priority: number;
  status: string;
  bytesAshore: number;
  lastError: string | null;
  reason: string | null;
  tags: Record<string, string>;
};
type Overview = {
  state: string;
  reason: string | null;
  settings: Record<string, unknown>;
  spend: { todayBytes: number; monthBytes: number };
  cost: { today: number; month: number; currency: string };
  spendDays: { day: string; bytes: number; cost: number }[];
  link: { history: unknown[] };
  chart: { bars: unknown[]; summary: string };
  items: { total: number; limit: number; offset: number; items: OutboxRow[] };
};

async function overview(base: string, query = ''): Promise<Overview> {
  const res = await fetch(`${base}/api/relay${query}`, { headers: ADMIN });
  expect(res.status).toBe(200);
  return (await res.json()) as Overview;
}

function putSettings(base: string, settings: Record<string, unknown>) {
  return fetch(`${base}/api/relay/settings`, {
    method: 'PUT',
    headers: { ...ADMIN, 'Content-Type': 'application/json' },
    body: JSON.stringify(settings),
  });
}

function control(base: string, id: string, action: string, body?: unknown) {
  return fetch(`${base}/api/relay/outbox/${id}/${action}`, {
    method: 'POST',
    headers: { ...ADMIN, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const row = async (base: string, id: string) => (await overview(base)).items.items.find((i) => i.id === id);

const ashore = (digest: string) => ashoreAt(shore.url, digest);

describe('relay operator API', () => {
  it('refuses invalid settings field by field, and a bandwidth cap slows forwarding to it', async () => {
    const ship = await shore.enroll('MY Capped');
    const link = await startLinkEmulator(shore.url, { delayMs: 20 });
    const relay = await startRelay(compiled, newBox(roots), link.url, ship.token);
    try {
      const refused = await putSettings(relay.url, { capKbps: 5, currency: 'dollars', dailyBudgetBytes: -1 });
      expect(refused.status).toBe(400);
      const { errors } = (await refused.json()) as { errors: Record<string, string> };
      expect(errors.capKbps).toMatch(/at least 32 kbit\/s/);
      expect(errors.currency).toMatch(/three-letter code/);
      expect(errors.dailyBudgetBytes).toMatch(/below zero/);
      expect((await overview(relay.url)).settings.capKbps).toBeNull();
      expect((await putSettings(relay.url, { timeZone: 'Mars/Olympus' })).status).toBe(400);
      expect((await fetch(`${relay.url}/api/relay/settings`, { method: 'PUT' })).status).toBe(401);

      const cap = 2000; // kbit/s: 250 kB/s, on a link that carries far more
      const saved = await putSettings(relay.url, {
        capKbps: cap,
        currency: 'eur',
        timeZone: 'Europe/Athens',
      });
      expect(saved.status).toBe(200);
      expect((await overview(relay.url)).settings).toMatchObject({
        capKbps: cap,
        currency: 'EUR',
        timeZone: 'Europe/Athens',
      });

      const crew = await enrollAt(relay.url, 'Purser laptop');
      const body = bytes(2_400_000, 21);
      await uploadOnBoard(relay.url, crew, body, { filename: 'manifest.pdf', sha256: sha256(body) });
      await ashore(sha256(body));
      const patches = link.requests.filter((r) => r.method === 'PATCH');
      expect(patches.length).toBeGreaterThanOrEqual(3);
      // The rate over the chunks before the last: each waits out the cap after the one before.
      const first = patches[0]?.startedAt ?? 0;
      const last = patches.at(-1)?.startedAt ?? 0;
      const sentBefore = patches.slice(0, -1).reduce((sum, p) => sum + p.upBytes, 0);
      const kbps = (sentBefore * 8) / (last - first);
      expect(kbps).toBeLessThanOrEqual(cap * 1.1);
      expect(kbps).toBeGreaterThan(cap * 0.5);
      // Each chunk itself went at the link's speed: the cap waits between requests, never inside one.
      const firstPatch = patches[0];
      expect(firstPatch?.sentAt).not.toBeNull();
      const bodyMs = (firstPatch?.sentAt ?? 0) - (firstPatch?.startedAt ?? 0);
      expect(bodyMs).toBeLessThan(((firstPatch?.upBytes ?? 0) * 8) / cap / 2);
    } finally {
      await relay.stop();
      await link.close();
    }
  }, 90_000);

  it('pausing a file mid-forward stops it part-way, and Resume goes on from shore’s offset', async () => {
    const ship = await shore.enroll('MY Paused');
    const link = await startLinkEmulator(shore.url, { uplinkBytesPerSec: 512 * 1024, delayMs: 20 });
    const relay = await startRelay(compiled, newBox(roots), link.url, ship.token);
    try {
      const crew = await enrollAt(relay.url, 'Captain laptop');
      const body = bytes(6 * 1024 * 1024, 51);
      const id = await uploadOnBoard(relay.url, crew, body, { filename: 'survey.mp4', sha256: sha256(body) });
      const patches = () => link.requests.filter((r) => r.method === 'PATCH');
      const patchBytes = () => patches().reduce((sum, r) => sum + r.upBytes, 0);
      await until(patchBytes, (n) => n > 1024 * 1024, 30_000);
      expect((await row(relay.url, id))?.status).toBe('uploading');

      expect((await control(relay.url, id, 'pause')).status).toBe(200);
      const open = () => patches().filter((r) => r.endedAt === null).length;
      expect(await until(open, (n) => n === 0, 15_000)).toBe(0);
      const requests = patches().length;
      const sent = patchBytes();
      // Nothing to await: the check is that no request for the file starts while it is paused.
      await sleep(1_000);
      expect(patches().length).toBe(requests);
      expect(patchBytes()).toBe(sent);
      expect(sent).toBeLessThan(body.length);
      expect((await row(relay.url, id))?.status).toBe('paused');
      expect((await listRecords(shore.url)).some((r) => r.sha256 === sha256(body))).toBe(false);

      expect((await control(relay.url, id, 'resume')).status).toBe(200);
      await ashore(sha256(body));
      // What the cut PATCH carried past shore's last verified block is all that went twice.
      expect(patchBytes()).toBeLessThan(body.length + 256 * 1024);
    } finally {
      await relay.stop();
      await link.close();
    }
  }, 90_000);

  it('holds files back under the data budget with the reason shown, and the operator steers them', async () => {
    const ship = await shore.enroll('MY Thrifty');
    const relay = await startRelay(compiled, newBox(roots), shore.url, ship.token);
    try {
      expect((await putSettings(relay.url, { dailyBudgetBytes: 0, pricePerGB: 8 })).status).toBe(200);
      const crew = await enrollAt(relay.url, 'Chief stew phone');
      const small = bytes(200_000, 31);
      const id = await uploadOnBoard(relay.url, crew, small, {
        filename: 'invoice.pdf',
        sha256: sha256(small),
        priority: '4',
        folder: 'Accounts',
      });
      const held = await until(
        () => row(relay.url, id),
        (r) => r?.reason?.includes('data budget') ?? false,
        20_000,
      );
      expect(held).toMatchObject({ name: 'invoice.pdf', size: small.length, priority: 4, status: 'waiting' });
      expect(held?.reason).toMatch(/Today’s data budget is used up: held on board/);
      expect(held?.tags).toMatchObject({ folder: 'Accounts', crewDevice: 'Chief stew phone' });
      const seen = await overview(relay.url);
      expect(seen.spendDays).toHaveLength(31);
      expect(seen.spendDays.at(-1)?.bytes).toBe(seen.spend.todayBytes);
      expect(seen.cost.currency).toBe('USD');

      // Controls go through the queue's transitions: each applies only where it makes sense.
      expect((await control(relay.url, 'nope', 'pause')).status).toBe(404);
      expect((await control(relay.url, id, 'retry')).status).toBe(409);
      const paused = await control(relay.url, id, 'pause');
      expect(paused.status).toBe(200);
      expect(await paused.json()).toMatchObject({
        status: 'paused',
        reason: expect.stringMatching(/Paused/),
      });
      expect((await control(relay.url, id, 'pause')).status).toBe(409);
      expect((await control(relay.url, id, 'priority', { priority: 11 })).status).toBe(400);
      expect(await (await control(relay.url, id, 'priority', { priority: 9 })).json()).toMatchObject({
        priority: 9,
      });
      // Raising the budget while it is paused sends nothing: paused stays paused.
      expect((await putSettings(relay.url, { dailyBudgetBytes: null })).status).toBe(200);
      const stillPaused = await row(relay.url, id);
      expect(stillPaused?.status).toBe('paused');
      expect((await listRecords(shore.url)).some((r) => r.sha256 === sha256(small))).toBe(false);
      expect((await control(relay.url, id, 'resume')).status).toBe(200);
      const record = await ashore(sha256(small));
      expect(record).toMatchObject({
        name: 'invoice.pdf',
        metadata: expect.objectContaining({ priority: '9' }),
      });
      const done = await until(
        () => row(relay.url, id),
        (r) => r?.status === 'uploaded',
        10_000,
      );
      expect(done?.bytesAshore).toBe(small.length);
      expect((await control(relay.url, id, 'priority', { priority: 2 })).status).toBe(409);

      // Shore refuses the next file's type once: it fails with shore's reason, and Retry sends it.
      const fault = await fetch(`${shore.url}/__test/faults`, {
        method: 'POST',
        headers: ADMIN,
        body: JSON.stringify({ method: 'POST', status: 415, count: 1 }),
      });
      expect(fault.status).toBe(204);
      const other = bytes(50_000, 32);
      const otherId = await uploadOnBoard(relay.url, crew, other, {
        filename: 'menu.pdf',
        sha256: sha256(other),
      });
      const failed = await until(
        () => row(relay.url, otherId),
        (r) => r?.status === 'failed',
        20_000,
      );
      expect(failed?.lastError).toMatch(/415/);
      expect((await overview(relay.url, '?limit=1')).items).toMatchObject({ total: 2, limit: 1 });
      expect((await overview(relay.url, '?limit=1')).items.items[0]?.id).toBe(otherId);
      expect((await control(relay.url, otherId, 'retry')).status).toBe(200);
      await ashore(sha256(other));
    } finally {
      await relay.stop();
    }
  }, 90_000);
});
