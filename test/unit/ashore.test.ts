import { describe, expect, it } from 'vitest';
import { ashoreNotice } from '../../src/shared/ashore.ts';
import { newQueueItem, type QueueItem } from '../../src/shared/types.ts';

const NOW = 1_000_000;
const base = newQueueItem({ id: 'a', blob: new Blob([new Uint8Array(10)]), name: 'pump.jpg' }, NOW - 5_000);
const item = (over: Partial<QueueItem>): QueueItem => ({ ...base, ...over });

describe('the notice when a batch has gone ashore', () => {
  const up = (name: string, uploadedAt: number) => item({ id: name, name, status: 'uploaded', uploadedAt });
  it.each([
    ['nothing arrived', [], null],
    ['one file arrived', [up('pump.jpg', NOW)], 'pump.jpg has reached shore.'],
    ['several arrived', [up('a', NOW), up('b', NOW + 1)], '2 files have reached shore.'],
    ['only files from before the last notice', [up('old', NOW - 10_000)], null],
    ['one still waits: not ashore yet', [up('a', NOW), item({ id: 'w', status: 'waiting' })], null],
    ['one still uploads: not ashore yet', [up('a', NOW), item({ id: 'u', status: 'uploading' })], null],
    [
      'a failed one is named, not waited for',
      [up('a', NOW), item({ id: 'f', status: 'failed' })],
      'a has reached shore. 1 other is paused or failed.',
    ],
  ] as [string, QueueItem[], string | null][])('%s', (_name, items, body) => {
    const notice = ashoreNotice(items, NOW - 5_000);
    expect(notice?.body ?? null).toBe(body);
    if (notice) expect(notice.title).toBe('Files ashore');
  });
});
