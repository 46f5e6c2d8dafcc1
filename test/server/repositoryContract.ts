// What every implementation of the server's repositories must do: run against SQLite in
// test/server/repositories.test.ts and against PostgreSQL in test/fleet/postgresRepositories.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { Devices } from '../../server/devices.ts';
import type { EnrolmentCodes } from '../../server/enrolmentCodes.ts';
import type { Partials } from '../../server/partials.ts';
import type { UploadRecord, UploadRecords } from '../../server/records.ts';
import { partialsContract } from './partialsContract.ts';

/** One fresh, empty set of repositories over one database. */
export type Repositories = {
  devices: Devices;
  codes: EnrolmentCodes;
  records: UploadRecords;
  partials: Partials;
  close(): Promise<void>;
};

/** Runs the repository contract; `open` must return empty repositories each time. */
export function repositoryContract(name: string, open: () => Promise<Repositories>): void {
  let opened: Repositories[] = [];
  const fresh = async () => {
    const repos = await open();
    opened.push(repos);
    return repos;
  };
  afterEach(async () => {
    await Promise.all(opened.map((r) => r.close()));
    opened = [];
  });

  describe(`${name}: upload records`, () => recordsContract(fresh));
  describe(`${name}: unfinished uploads`, () => partialsContract(fresh));
  describe(`${name}: devices and enrolment codes`, () => devicesContract(fresh));
}

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

/** A record received `hours` after T0; fields overridable. */
export function record(id: string, hours: number, fields: Partial<UploadRecord> = {}): UploadRecord {
  return {
    id,
    name: `${id}.jpg`,
    type: 'image/jpeg',
    size: 1000,
    sha256: 'a'.repeat(64),
    metadata: { filename: `${id}.jpg` },
    receivedAt: at(hours),
    startedAt: at(hours - 1),
    deviceId: 'deck',
    duplicateOf: null,
    path: `uploads/2026/03/deck/${id}.jpg`,
    ...fields,
  };
}

function recordsContract(open: () => Promise<Repositories>) {
  it('stores a record once and reads it back field for field', async () => {
    const { records } = await open();
    // Past 2^32: a 5 GiB video must not wrap.
    const video = record('video', 1, {
      size: 5 * 1024 ** 3 + 7,
      type: 'video/mp4',
      metadata: { filename: 'engine "room".mp4', systemPath: 'Engine room/Port', priority: '2' },
      startedAt: null,
      deviceId: null,
      path: null,
    });
    expect(await records.add(video)).toBe(true);
    expect(await records.add({ ...video, name: 'other' })).toBe(false);
    expect(await records.get('video')).toEqual(video);
    expect(await records.get('nope')).toBeUndefined();
  });

  it('lists newest first, ties in the order recorded, and pages', async () => {
    const { records } = await open();
    for (const [id, hours] of [
      ['a', 1],
      ['b', 3],
      ['c', 2],
      ['d', 3],
      ['e', 0],
    ] as const) {
      await records.add(record(id, hours));
    }
    const ids = async (query = {}) => (await records.list(query)).map((r) => r.id);
    expect(await ids()).toEqual(['d', 'b', 'c', 'a', 'e']);
    expect(await ids({ limit: 2 })).toEqual(['d', 'b']);
    expect(await ids({ limit: 2, offset: 2 })).toEqual(['c', 'a']);
    expect(await ids({ offset: 4 })).toEqual(['e']);
    expect(await ids({ offset: 5 })).toEqual([]);
  });

  it('filters by device, time (since inclusive, until exclusive), type family and text', async () => {
    const { records } = await open();
    await records.add(record('deck-photo', 1, { name: 'Hull_1.JPG' }));
    await records.add(record('bridge-png', 2, { deviceId: 'bridge', type: 'image/png', name: 'chart.png' }));
    await records.add(
      record('bridge-pdf', 3, {
        deviceId: 'bridge',
        type: 'application/pdf',
        name: 'certificate.pdf',
        metadata: { filename: 'certificate.pdf', systemPath: 'Engine room/Main engine' },
      }),
    );
    await records.add(record('odd', 4, { type: 'imagery/x', name: '100% done.txt' }));
    const ids = async (query: object) => (await records.list(query)).map((r) => r.id);
    expect(await ids({ device: 'bridge' })).toEqual(['bridge-pdf', 'bridge-png']);
    expect(await ids({ since: at(2), until: at(4) })).toEqual(['bridge-pdf', 'bridge-png']);
    expect(await ids({ since: at(4) })).toEqual(['odd']);
    expect(await ids({ until: at(1) })).toEqual([]);
    for (const type of ['image', 'image/', 'image/*', 'IMAGE']) {
      expect(await ids({ type }), type).toEqual(['bridge-png', 'deck-photo']);
    }
    expect(await ids({ type: 'image/png' })).toEqual(['bridge-png']);
    expect(await ids({ type: 'image/PNG' })).toEqual([]);
    expect(await ids({ type: 'imagery' })).toEqual(['odd']);
    // Name or any metadata value; ASCII case ignored; % and _ are plain characters.
    expect(await ids({ q: 'hull_1' })).toEqual(['deck-photo']);
    expect(await ids({ q: 'hull%' })).toEqual([]);
    expect(await ids({ q: '_' })).toEqual(['deck-photo']);
    expect(await ids({ q: '100%' })).toEqual(['odd']);
    expect(await ids({ q: 'main ENGINE' })).toEqual(['bridge-pdf']);
    expect(await ids({ q: 'main engine', device: 'deck' })).toEqual([]);
  });

  it('finds stored content by digest and size, preferring the oldest original to a duplicate', async () => {
    const { records } = await open();
    const sha256 = 'b'.repeat(64);
    await records.add(record('dup', 0, { sha256, duplicateOf: 'first' }));
    await records.add(record('second', 2, { sha256 }));
    await records.add(record('first', 1, { sha256 }));
    await records.add(record('bigger', 0, { sha256, size: 1001 }));
    expect((await records.findContent(sha256, 1000))?.id).toBe('first');
    expect((await records.findContent(sha256, 1001))?.id).toBe('bigger');
    expect(await records.findContent(sha256, 999)).toBeUndefined();
    expect(await records.findContent('c'.repeat(64), 1000)).toBeUndefined();
  });

  it('records a finished upload and forgets its unfinished row together, once', async () => {
    const { records, partials } = await open();
    await partials.create(
      { id: 'u1', deviceId: 'deck', size: 1000, metadata: {}, createdAt: at(0) },
      () => undefined,
    );
    await partials.markComplete('u1', { at: at(1), sha256: 'a'.repeat(64), target: 'uploads/x' });
    expect(await records.addCompleted(record('u1', 1))).toBe(true);
    expect(await partials.get('u1')).toBeUndefined();
    expect(await records.get('u1')).toEqual(record('u1', 1));
    // Finishing twice (a retry after a crash) is harmless.
    expect(await records.addCompleted(record('u1', 2))).toBe(false);
    expect((await records.get('u1'))?.receivedAt).toBe(at(1));
  });
}

function devicesContract(open: () => Promise<Repositories>) {
  it('enrols devices with a token stored only as a hash, lists them oldest first and authenticates', async () => {
    const { devices } = await open();
    const deck = await devices.enroll('  Deck tablet ');
    const bridge = await devices.enroll('Bridge phone');
    expect(deck.name).toBe('Deck tablet');
    expect(deck.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await devices.list()).map((d) => d.deviceId)).toEqual([deck.deviceId, bridge.deviceId]);
    expect(await devices.get(deck.deviceId)).toMatchObject({ name: 'Deck tablet', revokedAt: null });
    expect(await devices.get('nope')).toBeUndefined();
    const auth = await devices.authenticate(deck.token);
    expect(auth).toMatchObject({ ok: true, device: { deviceId: deck.deviceId } });
    expect((await devices.get(deck.deviceId))?.lastSeenAt).not.toBeNull();
    // Another token: its last character changed (to one it is not already).
    const other = `${deck.token.slice(0, -1)}${deck.token.endsWith('A') ? 'B' : 'A'}`;
    expect(await devices.authenticate(other)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    for (const bad of ['', '   ', 'x'.repeat(101), 'tab\u0007let']) {
      await expect(devices.enroll(bad), JSON.stringify(bad)).rejects.toThrow(/device name/);
    }
  });

  it('revokes at once, keeping the first time; unknown devices are not revoked', async () => {
    const { devices } = await open();
    const deck = await devices.enroll('Deck tablet');
    expect(await devices.revoke(deck.deviceId)).toBe(true);
    expect(await devices.authenticate(deck.token)).toEqual({ ok: false, reason: 'revoked' });
    const first = (await devices.get(deck.deviceId))?.revokedAt;
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await devices.revoke(deck.deviceId)).toBe(true);
    expect((await devices.get(deck.deviceId))?.revokedAt).toBe(first);
    expect(await devices.revoke('nope')).toBe(false);
  });

  it('redeems an enrolment code once, for its token, and not after it expires', async () => {
    const { codes } = await open();
    const now = T0;
    const code = await codes.issue('deck', 'token-of-deck', HOUR, now);
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await codes.redeem(code, now + 1000)).toEqual({
      ok: true,
      deviceId: 'deck',
      token: 'token-of-deck',
    });
    expect(await codes.redeem(code, now + 2000)).toEqual({ ok: false, reason: 'used' });
    const late = await codes.issue('bridge', 'token-of-bridge', HOUR, now);
    expect(await codes.redeem(late, now + HOUR + 1)).toEqual({ ok: false, reason: 'expired' });
    expect(await codes.redeem('A'.repeat(22), now)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('gives a code to one of several redeeming at once', async () => {
    const { codes } = await open();
    const code = await codes.issue('deck', 'token-of-deck', HOUR);
    const results = await Promise.all(Array.from({ length: 8 }, () => codes.redeem(code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'used')).toHaveLength(7);
  });
}
