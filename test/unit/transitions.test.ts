import { describe, expect, it } from 'vitest';
import { FIRST_ADD_DEFAULTS, readAddDefaults } from '../../src/shared/addDefaults.ts';
import type { Change } from '../../src/shared/queueStore.ts';
import {
  checked,
  forgetBackoff,
  retag,
  stillChecking,
  unreadableCopy,
} from '../../src/shared/transitions.ts';
import { newQueueItem, type QueueItem } from '../../src/shared/types.ts';

const NOW = 1_000_000;
const base = newQueueItem({ id: 'a', blob: new Blob([new Uint8Array(10)]), name: 'pump.jpg' }, NOW - 5_000);
const item = (over: Partial<QueueItem>): QueueItem => ({ ...base, ...over });
const checking = item({ waitReason: 'checking', notBefore: NOW + 10_000 });

/** The fields a change would write, or null when it declines. */
const apply = (change: Change, from: QueueItem) => change(from);

describe('a file stored first and checked after', () => {
  const table: [string, Change, QueueItem, Partial<QueueItem> | null][] = [
    [
      'a new file is held while a page checks it',
      stillChecking(NOW + 15_000, NOW),
      base,
      { waitReason: 'checking', notBefore: NOW + 15_000 },
    ],
    ['the hold is renewed', stillChecking(NOW + 15_000, NOW), checking, { notBefore: NOW + 15_000 }],
    [
      'a file in a backoff keeps its reason',
      stillChecking(NOW + 15_000, NOW),
      item({ waitReason: 'backoff', notBefore: NOW + 60_000 }),
      null,
    ],
    [
      'a file whose upload started is not held',
      stillChecking(NOW + 15_000, NOW),
      item({ uploadUrl: 'http://x/files/1' }),
      null,
    ],
    [
      'a paused file is not held',
      stillChecking(NOW + 15_000, NOW),
      item({ status: 'paused', waitReason: null }),
      null,
    ],
    [
      'a checked file goes in line with its hash',
      checked('ab', false, NOW),
      checking,
      { sha256: 'ab', waitReason: 'queued', notBefore: null },
    ],
    [
      'a copy is paused, its wait closed',
      checked('ab', true, NOW),
      checking,
      { sha256: 'ab', status: 'paused', waitReason: 'duplicate', waitingSince: null },
    ],
    [
      'a file paused meanwhile only gets its hash',
      checked('ab', true, NOW),
      item({ status: 'paused', waitReason: null }),
      { sha256: 'ab' },
    ],
    [
      'a file that went unhashed keeps going unhashed',
      checked('ab', false, NOW),
      item({ uploadUrl: 'http://x/files/1' }),
      null,
    ],
    [
      'a stored copy that cannot be read fails before any upload',
      unreadableCopy(NOW),
      checking,
      { status: 'failed', waitReason: null },
    ],
    [
      'a file already started is left to its upload',
      unreadableCopy(NOW),
      item({ uploadUrl: 'http://x/files/1' }),
      null,
    ],
    ['a link back does not end a check', forgetBackoff(NOW), checking, null],
    [
      'a link back ends a backoff',
      forgetBackoff(NOW),
      item({ waitReason: 'backoff', notBefore: NOW + 60_000 }),
      { notBefore: null, waitReason: 'queued' },
    ],
  ];
  it.each(table)('%s', (_name, change, from, expected) => {
    const patch = apply(change, from);
    if (expected === null) expect(patch).toBeNull();
    else expect(patch).toMatchObject(expected);
  });
});

describe('tags edited while a file waits', () => {
  const tags = { documentType: ' Certificate ', systemTag: 'Main engine', directories: '', other: 'x' };
  it.each([
    ['waiting, not started', base, { tags: { documentType: 'Certificate', systemTag: 'Main engine' } }],
    [
      'paused, not started',
      item({ status: 'paused' }),
      { tags: { documentType: 'Certificate', systemTag: 'Main engine' } },
    ],
    [
      'created on the server already: its metadata went with it',
      item({ uploadUrl: 'http://x/files/1' }),
      null,
    ],
    ['uploading', item({ status: 'uploading' }), null],
    ['uploaded', item({ status: 'uploaded' }), null],
  ] as [string, QueueItem, Partial<QueueItem> | null][])('%s', (_name, from, expected) => {
    const patch = apply(retag(tags, NOW), from);
    if (expected === null) expect(patch).toBeNull();
    else expect(patch).toMatchObject(expected);
  });
});

describe('the Add files form remembers its last choices', () => {
  it.each([
    ['nothing stored', undefined, FIRST_ADD_DEFAULTS],
    ['not an object', 'x', FIRST_ADD_DEFAULTS],
    [
      'stored choices, cleaned',
      { priority: 12, tags: { systemTag: '  Bilge ', bogus: 1 }, keepLocalCopy: true, dataSaver: true },
      { priority: 10, tags: { systemTag: 'Bilge' }, keepLocalCopy: true, dataSaver: true },
    ],
    [
      'a priority that is not a number, and choices stored before Data saver existed',
      { priority: '9' },
      { priority: 5, tags: {}, keepLocalCopy: false, dataSaver: false },
    ],
    ['Data saver other than true', { dataSaver: 'yes' }, FIRST_ADD_DEFAULTS],
  ] as [string, unknown, unknown][])('%s', (_name, stored, expected) => {
    expect(readAddDefaults(stored)).toEqual(expected);
  });
});
