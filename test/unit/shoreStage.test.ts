import { describe, expect, it } from 'vitest';
import { arrivedAt, ashoreNotice } from '../../src/shared/ashore.ts';
import type { Change } from '../../src/shared/queueStore.ts';
import {
  awaitingShore,
  checkShore,
  MAX_STAGE_IDS,
  parseStages,
  type ShoreStage,
  uploadIdOf,
} from '../../src/shared/shoreStage.ts';
import { reachedShore } from '../../src/shared/transitions.ts';
import type { QueueItem } from '../../src/shared/types.ts';
import { MemoryQueueStore, makeItem } from './fakes.ts';

const NOW = 1_000_000;
const URL_OF = (id: string) => `http://box.local/files/${id}`;
/** Uploaded to the server at NOW - 60 s, as a record stored before the ashore stage existed (no fields for it). */
const uploaded = (id: string, patch: Partial<QueueItem> = {}) =>
  makeItem(id, 'uploaded', 1000, { uploadUrl: URL_OF(`u-${id}`), uploadedAt: NOW - 60_000, ...patch });

const shore: ShoreStage = { relay: false };
const onBoard = (reason: string | null = null): ShoreStage => ({
  relay: true,
  stage: 'on-board',
  ashoreAt: null,
  reason,
});
const landed: ShoreStage = { relay: true, stage: 'ashore', ashoreAt: NOW - 5_000, reason: null };

describe('what the server says of an uploaded file’s way ashore', () => {
  const table: [string, Change, QueueItem, Partial<QueueItem> | null][] = [
    [
      'a server ashore: ashore since it was uploaded',
      reachedShore(shore, NOW),
      uploaded('a'),
      { ashoreAt: NOW - 60_000, viaRelay: false },
    ],
    [
      'a relay still holds it: on board, with no reason',
      reachedShore(onBoard(), NOW),
      uploaded('a'),
      { viaRelay: true, relayNote: null },
    ],
    [
      'a relay says why it waits',
      reachedShore(onBoard('shore cannot be reached'), NOW),
      uploaded('a', { viaRelay: true, relayNote: null }),
      { relayNote: 'shore cannot be reached' },
    ],
    [
      'the same word again writes nothing',
      reachedShore(onBoard('shore cannot be reached'), NOW),
      uploaded('a', { viaRelay: true, relayNote: 'shore cannot be reached' }),
      null,
    ],
    [
      'a relay says it is ashore: marked when this device learnt it',
      reachedShore(landed, NOW),
      uploaded('a', { viaRelay: true, relayNote: 'shore cannot be reached' }),
      { ashoreAt: NOW, viaRelay: true, relayNote: null },
    ],
    [
      'a relay that gave up says so, and who can act',
      reachedShore({ relay: true, stage: 'failed', ashoreAt: null, reason: 'too large for shore' }, NOW),
      uploaded('a'),
      {
        relayNote: 'the relay stopped sending it (too large for shore); tell whoever runs it',
        viaRelay: true,
      },
    ],
    [
      'ashore never goes back on board',
      reachedShore(onBoard(), NOW),
      uploaded('a', { ashoreAt: NOW - 1 }),
      null,
    ],
    ['a file not yet uploaded is not ashore', reachedShore(shore, NOW), makeItem('w', 'waiting'), null],
    ['a failed file is not ashore', reachedShore(landed, NOW), makeItem('f', 'failed'), null],
  ];
  it.each(table)('%s', (_name, change, from, expected) => {
    const patch = change(from);
    if (expected === null) expect(patch).toBeNull();
    else expect(patch).toMatchObject(expected);
  });
});

describe('reading the server’s answer', () => {
  it.each([
    ['a server ashore', { relay: false }, { relay: false }],
    [
      'a relay, with one stage of each kind and one malformed',
      {
        relay: true,
        stages: {
          a: { stage: 'on-board', ashoreAt: null, reason: 'link down' },
          b: { stage: 'ashore', ashoreAt: 1234, reason: null },
          c: { stage: 'failed', ashoreAt: null, reason: '' },
          d: { stage: 'sunk' },
          e: 'ashore',
        },
      },
      {
        relay: true,
        stages: new Map([
          ['a', { stage: 'on-board', ashoreAt: null, reason: 'link down' }],
          ['b', { stage: 'ashore', ashoreAt: 1234, reason: null }],
          ['c', { stage: 'failed', ashoreAt: null, reason: null }],
        ]),
      },
    ],
    ['a captive portal’s page', '<html>', null],
    ['an error', { error: 'not found' }, null],
    ['a relay without stages', { relay: true }, null],
    ['nothing', null, null],
  ] as [string, unknown, unknown][])('%s', (_name, body, expected) => {
    expect(parseStages(body)).toEqual(expected);
  });

  it('takes the upload id from the tus URL', () => {
    expect(uploadIdOf('http://box.local/files/abc123')).toBe('abc123');
    expect(uploadIdOf('https://box/files/abc?x=1')).toBe('abc');
    expect(uploadIdOf(null)).toBeNull();
    expect(uploadIdOf('http://box/files/')).toBeNull();
  });

  it('asks only about uploaded files not yet known to be ashore', () => {
    expect(awaitingShore(uploaded('a'))).toBe(true);
    expect(awaitingShore(uploaded('a', { ashoreAt: NOW }))).toBe(false);
    expect(awaitingShore(uploaded('a', { uploadUrl: null }))).toBe(false);
    expect(awaitingShore(makeItem('w', 'waiting', 10, { uploadUrl: URL_OF('w') }))).toBe(false);
  });
});

describe('a check of the files on board', () => {
  it('asks in batches of at most 200 by upload id and records each stage the relay gives', async () => {
    const items = Array.from({ length: 450 }, (_, i) => uploaded(`f${i}`));
    const store = new MemoryQueueStore([...items, uploaded('done', { ashoreAt: NOW - 1 })]);
    const questions: string[][] = [];
    const result = await checkShore({
      store,
      now: () => NOW,
      ask: async (ids) => {
        questions.push(ids);
        // The relay has forwarded the even ones, holds the rest, and has not yet queued f449.
        const stages = Object.fromEntries(
          ids
            .filter((id) => id !== 'u-f449')
            .map((id) => [
              id,
              Number(id.slice(3)) % 2 === 0
                ? { stage: 'ashore', ashoreAt: NOW - 10, reason: null }
                : { stage: 'on-board', ashoreAt: null, reason: null },
            ]),
        );
        return { relay: true, stages };
      },
    });
    expect(questions.map((q) => q.length)).toEqual([MAX_STAGE_IDS, MAX_STAGE_IDS, 50]);
    expect(questions.flat()).not.toContain('u-done');
    expect(result.asked).toBe(450);
    expect(store.items.get('f2')).toMatchObject({ ashoreAt: NOW, viaRelay: true });
    expect(store.items.get('f3')?.viaRelay).toBe(true);
    expect(store.items.get('f3')?.ashoreAt ?? null).toBeNull();
    expect(store.items.get('f449')?.viaRelay).toBeUndefined();
    expect(result.left).toBe(225);
  });

  it('marks everything ashore at once on a server ashore', async () => {
    const store = new MemoryQueueStore([uploaded('a'), uploaded('b')]);
    const result = await checkShore({ store, now: () => NOW, ask: async () => ({ relay: false }) });
    expect(result.left).toBe(0);
    expect(store.items.get('a')?.ashoreAt).toBe(NOW - 60_000);
  });

  it.each([
    ['the link is down', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['a captive portal answers', () => Promise.resolve(null)],
  ])('changes nothing when %s', async (_name, ask) => {
    const store = new MemoryQueueStore([uploaded('a')]);
    const result = await checkShore({ store, now: () => NOW, ask });
    expect(result).toMatchObject({ asked: 0, left: 1 });
    expect(store.items.get('a')?.ashoreAt).toBeUndefined();
    expect(store.writes).toBe(0);
  });
});

describe('the notice on a relay', () => {
  it('counts a file when it reaches shore, not when it reaches the box', () => {
    const since = NOW - 30_000;
    const onBox = uploaded('a', { viaRelay: true, uploadedAt: NOW - 10_000 });
    expect(arrivedAt(onBox)).toBeNull();
    expect(ashoreNotice([onBox], since)).toBeNull();
    const ashore = { ...onBox, ashoreAt: NOW - 1_000 };
    expect(ashoreNotice([ashore, uploaded('b', { viaRelay: true })], since)?.body).toBe(
      `${ashore.name} has reached shore.`,
    );
  });
});
