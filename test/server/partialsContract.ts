// The unfinished-upload part of the repository contract (see repositoryContract.ts).
import { expect, it } from 'vitest';
import type { Reserved, Partial as Unfinished } from '../../server/partials.ts';
import type { Repositories } from './repositoryContract.ts';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const admitAll = () => undefined;

function upload(id: string, deviceId: string, size: number, minutes = 0) {
  return { id, deviceId, size, metadata: { filename: `${id}.jpg` }, createdAt: at(minutes) };
}

/** Admits while the device holds fewer than `max` uploads; otherwise refuses with what it saw. */
const atMost = (max: number) => (reserved: Reserved) => (reserved.count < max ? undefined : reserved);

export function partialsContract(open: () => Promise<Repositories>) {
  it('creates at offset 0, acknowledges offsets, marks complete and forgets', async () => {
    const { partials } = await open();
    expect(await partials.create(upload('u1', 'deck', 6 * 1024 ** 3, 5), admitAll)).toBeUndefined();
    const created = await partials.get('u1');
    expect(created).toEqual({
      id: 'u1',
      deviceId: 'deck',
      size: 6 * 1024 ** 3,
      acked: 0,
      metadata: { filename: 'u1.jpg' },
      createdAt: at(5),
      completion: null,
      dropRequestedAt: null,
    } satisfies Unfinished);
    await partials.ack('u1', 5 * 1024 ** 3);
    expect((await partials.get('u1'))?.acked).toBe(5 * 1024 ** 3);
    const completion = { at: at(9), sha256: 'f'.repeat(64), target: 'uploads/2026/03/deck/u1-u1.jpg' };
    await partials.markComplete('u1', completion);
    expect(await partials.get('u1')).toMatchObject({ acked: 6 * 1024 ** 3, completion });
    await partials.delete('u1');
    expect(await partials.get('u1')).toBeUndefined();
    expect(await partials.all()).toEqual([]);
  });

  it('shows admit what the device holds, and inserts nothing when it refuses', async () => {
    const { partials } = await open();
    const seen: Reserved[] = [];
    const watch = (reserved: Reserved) => {
      seen.push(reserved);
      return reserved.bytes + 300 > 900 ? 'too much' : undefined;
    };
    expect(await partials.create(upload('a', 'deck', 400), watch)).toBeUndefined();
    expect(await partials.create(upload('b', 'deck', 300), watch)).toBeUndefined();
    expect(await partials.create(upload('other', 'bridge', 999), admitAll)).toBeUndefined();
    expect(await partials.create(upload('c', 'deck', 300), watch)).toBe('too much');
    expect(seen).toEqual([
      { count: 0, bytes: 0 },
      { count: 1, bytes: 400 },
      { count: 2, bytes: 700 },
    ]);
    expect(await partials.get('c')).toBeUndefined();
    expect(await partials.reservedBy('deck')).toEqual({ count: 2, bytes: 700 });
    // A completed upload no longer holds quota.
    await partials.markComplete('a', { at: at(1), sha256: 'f'.repeat(64), target: 'x' });
    expect(await partials.reservedBy('deck')).toEqual({ count: 1, bytes: 300 });
    expect(await partials.reservedBy('nobody')).toEqual({ count: 0, bytes: 0 });
  });

  it('never lets creations started together take more than the last slot', async () => {
    const { partials } = await open();
    await partials.create(upload('held', 'deck', 10), admitAll);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => partials.create(upload(`race-${i}`, 'deck', 10), atMost(2))),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(await partials.reservedBy('deck')).toEqual({ count: 2, bytes: 20 });
  });

  it('lists all oldest first, a device’s unfinished ones, and those created before a time', async () => {
    const { partials } = await open();
    await partials.create(upload('late', 'deck', 10, 30), admitAll);
    await partials.create(upload('early', 'bridge', 10, 10), admitAll);
    await partials.create(upload('middle', 'deck', 10, 20), admitAll);
    await partials.create(upload('done', 'deck', 10, 0), admitAll);
    await partials.markComplete('done', { at: at(1), sha256: 'f'.repeat(64), target: 'x' });
    const ids = (list: Unfinished[]) => list.map((p) => p.id);
    expect(ids(await partials.all())).toEqual(['done', 'early', 'middle', 'late']);
    expect(ids(await partials.ofDevice('deck'))).toEqual(['middle', 'late']);
    expect(ids(await partials.expired(at(20)))).toEqual(['early']);
    expect(ids(await partials.expired(at(31))).sort()).toEqual(['early', 'late', 'middle']);
  });

  it('marks a device’s uploads to drop once, releasing its quota and its claim on room', async () => {
    const { partials, devices } = await open();
    const deck = await devices.enroll('Deck tablet');
    const bridge = await devices.enroll('Bridge phone');
    await partials.create(upload('d1', deck.deviceId, 1000), admitAll);
    await partials.create(upload('d2', deck.deviceId, 500), admitAll);
    await partials.create(upload('b1', bridge.deviceId, 300), admitAll);
    await partials.create(upload('d3', deck.deviceId, 50), admitAll);
    await partials.markComplete('d3', { at: at(1), sha256: 'f'.repeat(64), target: 'x' });
    await partials.ack('d1', 400);
    // What resumable uploads still need: (1000 - 400) + 500 + 300; a completed one needs nothing.
    expect(await partials.outstandingBytes()).toBe(1400);
    expect(await partials.abandoned()).toEqual([]);

    expect(await partials.requestDrop(deck.deviceId)).toBe(2);
    const first = (await partials.get('d1'))?.dropRequestedAt;
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await partials.get('d3'))?.dropRequestedAt).toBeNull();
    expect(await partials.reservedBy(deck.deviceId)).toEqual({ count: 0, bytes: 0 });
    expect(await partials.outstandingBytes()).toBe(300);
    expect((await partials.abandoned()).map((p) => p.id).sort()).toEqual(['d1', 'd2']);
    // Asking again counts them again but keeps the first time.
    expect(await partials.requestDrop(deck.deviceId)).toBe(2);
    expect((await partials.get('d1'))?.dropRequestedAt).toBe(first);
    expect(await partials.requestDrop('nobody')).toBe(0);
  });

  it('counts uploads of revoked or unknown devices as abandoned, claiming no room', async () => {
    const { partials, devices } = await open();
    const deck = await devices.enroll('Deck tablet');
    const bridge = await devices.enroll('Bridge phone');
    await partials.create(upload('d1', deck.deviceId, 100), admitAll);
    await partials.create(upload('b1', bridge.deviceId, 200), admitAll);
    await partials.create(upload('ghost', 'unenrolled', 400), admitAll);
    // An upload of a device that is not enrolled claims no room either.
    expect(await partials.outstandingBytes()).toBe(300);
    expect((await partials.abandoned()).map((p) => p.id)).toEqual(['ghost']);
    await devices.revoke(bridge.deviceId);
    expect(await partials.outstandingBytes()).toBe(100);
    expect((await partials.abandoned()).map((p) => p.id).sort()).toEqual(['b1', 'ghost']);
  });
}
